-- +goose Up
-- Search, geography and external identifiers. Everything here uses what PostgreSQL
-- ships in contrib: unaccent and pg_trgm for names in any script and spelling, cube and
-- earthdistance for distances. All four are trusted extensions, so a database owner
-- without superuser rights can create them.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- amity_fold folds a name for matching: lower case, accents removed, and Cyrillic
-- transliterated to Latin (Москва and Moskva fold alike). It is IMMUTABLE so that
-- expression indexes can use it, which is why the unaccent dictionary is named
-- explicitly instead of found through search_path.
-- +goose StatementBegin
CREATE FUNCTION amity_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN translate(
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    lower(public.unaccent('public.unaccent'::regdictionary, t)),
    'щ', 'shch'), 'ж', 'zh'), 'ч', 'ch'), 'ш', 'sh'), 'ц', 'ts'),
    'ю', 'yu'), 'я', 'ya'), 'х', 'kh'), 'ё', 'yo'), 'й', 'y'),
  'абвгдезиклмнопрстуфыэъь',
  'abvgdeziklmnoprstufye');
-- +goose StatementEnd

CREATE INDEX cities_name_trgm_idx ON cities USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX city_names_name_trgm_idx ON city_names USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX officials_name_trgm_idx ON officials USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX official_names_name_trgm_idx ON official_names USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX institutions_name_trgm_idx ON institutions USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX countries_name_trgm_idx ON countries USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX agreements_title_trgm_idx ON agreements USING gin (amity_fold(title) gin_trgm_ops);
CREATE INDEX agreements_text_fts_idx ON agreements
    USING gin (to_tsvector('simple', amity_fold(title || ' ' || coalesce(summary, ''))));

-- Exact lookups by any name use the folded form too.
CREATE INDEX city_names_fold_idx ON city_names (amity_fold(name));
CREATE INDEX cities_fold_idx ON cities (amity_fold(name));

-- Cities near a point: a GiST index on the earth position supports both the radius
-- filter (earth_box) and ordering by distance.
CREATE INDEX cities_earth_idx ON cities USING gist (ll_to_earth(latitude, longitude))
    WHERE latitude IS NOT NULL;

-- Lists filtered by what clients filter on.
CREATE INDEX cities_population_idx ON cities (coalesce(population, -1) DESC, id DESC);
CREATE INDEX agreements_kind_idx ON agreements (kind, signed_on DESC NULLS LAST, id DESC);
CREATE INDEX agreement_areas_area_idx ON agreement_areas (area, agreement_id);
CREATE INDEX institutions_kind_idx ON institutions (kind, name, id);

-- External identifiers where the knowledge has them.
ALTER TABLE officials ADD COLUMN wikidata_qid text
    CONSTRAINT officials_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$'),
    ADD CONSTRAINT officials_wikidata_qid_key UNIQUE (wikidata_qid);
ALTER TABLE institutions ADD COLUMN wikidata_qid text
    CONSTRAINT institutions_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$'),
    ADD CONSTRAINT institutions_wikidata_qid_key UNIQUE (wikidata_qid);
ALTER TABLE countries ADD CONSTRAINT countries_wikidata_qid_key UNIQUE (wikidata_qid);

-- +goose Down
ALTER TABLE countries DROP CONSTRAINT countries_wikidata_qid_key;
ALTER TABLE institutions DROP COLUMN wikidata_qid;
ALTER TABLE officials DROP COLUMN wikidata_qid;
DROP INDEX institutions_kind_idx, agreement_areas_area_idx, agreements_kind_idx, cities_population_idx,
    cities_earth_idx, cities_fold_idx, city_names_fold_idx, agreements_text_fts_idx, agreements_title_trgm_idx,
    countries_name_trgm_idx, institutions_name_trgm_idx, official_names_name_trgm_idx, officials_name_trgm_idx,
    city_names_name_trgm_idx, cities_name_trgm_idx;
DROP FUNCTION amity_fold(text);
