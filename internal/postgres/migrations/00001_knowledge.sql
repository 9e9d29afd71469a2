-- +goose Up
-- The knowledge graph. Every id is a UUID: the seed bundle derives them (UUIDv5) from
-- stable keys so the shipped facts keep the same global IDs in every database; rows
-- created later get random ones. Constraints carry explicit names because the store maps
-- them to field-level errors.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE sources (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title        text NOT NULL CONSTRAINT sources_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    publisher    text CONSTRAINT sources_publisher_check CHECK (length(publisher) <= 300),
    url          text CONSTRAINT sources_url_check CHECK (url ~ '^https?://' AND length(url) <= 2000),
    published_on date,
    excerpt      text,
    languages    text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sources_url_key UNIQUE (url)
);
CREATE INDEX sources_published_on_idx ON sources (published_on DESC NULLS LAST, id DESC);

CREATE TABLE countries (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code         text NOT NULL CONSTRAINT countries_code_check CHECK (code ~ '^[A-Z]{2}$'),
    name         text NOT NULL CONSTRAINT countries_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    wikidata_qid text CONSTRAINT countries_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT countries_code_key UNIQUE (code)
);

CREATE TABLE cities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    country_id   uuid NOT NULL CONSTRAINT cities_country_id_fkey REFERENCES countries (id),
    name         text NOT NULL CONSTRAINT cities_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    population   bigint CONSTRAINT cities_population_check CHECK (population >= 0),
    latitude     double precision CONSTRAINT cities_latitude_check CHECK (latitude BETWEEN -90 AND 90),
    longitude    double precision CONSTRAINT cities_longitude_check CHECK (longitude BETWEEN -180 AND 180),
    wikidata_qid text CONSTRAINT cities_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$'),
    geonames_id  bigint CONSTRAINT cities_geonames_id_check CHECK (geonames_id > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cities_location_check CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CONSTRAINT cities_wikidata_qid_key UNIQUE (wikidata_qid),
    CONSTRAINT cities_geonames_id_key UNIQUE (geonames_id)
);
CREATE INDEX cities_country_id_idx ON cities (country_id, name, id);
CREATE INDEX cities_name_idx ON cities (name, id);

-- Names in other languages and spellings. The English name also lives in cities.name;
-- lookups by name search both.
CREATE TABLE city_names (
    city_id   uuid NOT NULL CONSTRAINT city_names_city_id_fkey REFERENCES cities (id) ON DELETE CASCADE,
    language  text NOT NULL CONSTRAINT city_names_language_check CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    name      text NOT NULL CONSTRAINT city_names_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    source_id uuid CONSTRAINT city_names_source_id_fkey REFERENCES sources (id),
    CONSTRAINT city_names_pkey PRIMARY KEY (city_id, language, name)
);
CREATE INDEX city_names_lower_name_idx ON city_names (lower(name));
CREATE INDEX cities_lower_name_idx ON cities (lower(name));

CREATE TABLE officials (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CONSTRAINT officials_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    title      text CONSTRAINT officials_title_check CHECK (length(title) <= 500),
    city_id    uuid CONSTRAINT officials_city_id_fkey REFERENCES cities (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX officials_city_id_idx ON officials (city_id, name, id);
CREATE INDEX officials_name_idx ON officials (name, id);

CREATE TABLE official_names (
    official_id uuid NOT NULL CONSTRAINT official_names_official_id_fkey REFERENCES officials (id) ON DELETE CASCADE,
    language    text NOT NULL CONSTRAINT official_names_language_check CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    name        text NOT NULL CONSTRAINT official_names_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    source_id   uuid CONSTRAINT official_names_source_id_fkey REFERENCES sources (id),
    CONSTRAINT official_names_pkey PRIMARY KEY (official_id, language, name)
);
CREATE INDEX official_names_lower_name_idx ON official_names (lower(name));

CREATE TABLE agreements (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title        text NOT NULL CONSTRAINT agreements_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    kind         text NOT NULL CONSTRAINT agreements_kind_check CHECK (kind IN
                     ('MEMORANDUM', 'SISTER_CITY_AGREEMENT', 'FRIENDLY_EXCHANGE_AGREEMENT', 'COOPERATION_AGREEMENT', 'OTHER')),
    signed_on    date,
    signed_in_id uuid CONSTRAINT agreements_signed_in_id_fkey REFERENCES cities (id),
    summary      text CONSTRAINT agreements_summary_check CHECK (length(summary) <= 10000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agreements_signed_on_idx ON agreements (signed_on DESC NULLS LAST, id DESC);

CREATE TABLE agreement_parties (
    agreement_id uuid NOT NULL CONSTRAINT agreement_parties_agreement_id_fkey REFERENCES agreements (id) ON DELETE CASCADE,
    city_id      uuid NOT NULL CONSTRAINT agreement_parties_city_id_fkey REFERENCES cities (id),
    position     smallint NOT NULL DEFAULT 0,
    CONSTRAINT agreement_parties_pkey PRIMARY KEY (agreement_id, city_id)
);
CREATE INDEX agreement_parties_city_id_idx ON agreement_parties (city_id, agreement_id);

CREATE TABLE agreement_areas (
    agreement_id uuid NOT NULL CONSTRAINT agreement_areas_agreement_id_fkey REFERENCES agreements (id) ON DELETE CASCADE,
    area         text NOT NULL CONSTRAINT agreement_areas_area_check CHECK (area IN
                     ('TRADE', 'INVESTMENT', 'TECHNOLOGY', 'EDUCATION', 'CULTURE', 'TRANSPORTATION',
                      'INFRASTRUCTURE', 'TOURISM', 'HEALTH', 'ENVIRONMENT', 'SCIENCE', 'SPORT',
                      'YOUTH', 'URBAN_PLANNING', 'OTHER')),
    CONSTRAINT agreement_areas_pkey PRIMARY KEY (agreement_id, area)
);

-- A signatory signs for one of the agreement's parties: the composite foreign key makes
-- "signed for a city that is not a party" impossible.
CREATE TABLE signatories (
    agreement_id  uuid NOT NULL,
    official_id   uuid NOT NULL CONSTRAINT signatories_official_id_fkey REFERENCES officials (id),
    party_city_id uuid NOT NULL,
    role          text CONSTRAINT signatories_role_check CHECK (length(role) <= 500),
    position      smallint NOT NULL DEFAULT 0,
    CONSTRAINT signatories_pkey PRIMARY KEY (agreement_id, official_id),
    CONSTRAINT signatories_party_fkey FOREIGN KEY (agreement_id, party_city_id)
        REFERENCES agreement_parties (agreement_id, city_id) ON DELETE CASCADE
);
CREATE INDEX signatories_official_id_idx ON signatories (official_id, agreement_id);

CREATE TABLE institutions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CONSTRAINT institutions_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
    kind        text NOT NULL CONSTRAINT institutions_kind_check CHECK (kind IN
                    ('UNIVERSITY', 'SCHOOL', 'RESEARCH_INSTITUTE', 'CULTURAL_CENTER', 'HOSPITAL',
                     'COMPANY', 'CHAMBER_OF_COMMERCE', 'GOVERNMENT_OFFICE', 'PARK', 'OTHER')),
    city_id     uuid NOT NULL CONSTRAINT institutions_city_id_fkey REFERENCES cities (id),
    founded_on  date,
    description text CONSTRAINT institutions_description_check CHECK (length(description) <= 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX institutions_city_id_idx ON institutions (city_id, name, id);
CREATE INDEX institutions_name_idx ON institutions (name, id);

CREATE TABLE institution_agreements (
    institution_id uuid NOT NULL CONSTRAINT institution_agreements_institution_id_fkey REFERENCES institutions (id) ON DELETE CASCADE,
    agreement_id   uuid NOT NULL CONSTRAINT institution_agreements_agreement_id_fkey REFERENCES agreements (id) ON DELETE CASCADE,
    CONSTRAINT institution_agreements_pkey PRIMARY KEY (institution_id, agreement_id)
);
CREATE INDEX institution_agreements_agreement_id_idx ON institution_agreements (agreement_id, institution_id);

-- A partnership is stored once, with its two cities in canonical order (city_a_id <
-- city_b_id), so the same tie cannot be entered twice from either side.
CREATE TABLE partnerships (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL CONSTRAINT partnerships_kind_check CHECK (kind IN ('SISTER_CITY', 'FRIENDLY_EXCHANGE')),
    city_a_id    uuid NOT NULL CONSTRAINT partnerships_city_a_id_fkey REFERENCES cities (id),
    city_b_id    uuid NOT NULL CONSTRAINT partnerships_city_b_id_fkey REFERENCES cities (id),
    since        date,
    until        date,
    agreement_id uuid CONSTRAINT partnerships_agreement_id_fkey REFERENCES agreements (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partnerships_cities_check CHECK (city_a_id < city_b_id),
    CONSTRAINT partnerships_period_check CHECK (until IS NULL OR since IS NULL OR until >= since),
    CONSTRAINT partnerships_cities_kind_key UNIQUE (city_a_id, city_b_id, kind)
);
CREATE INDEX partnerships_city_a_idx ON partnerships (city_a_id, since DESC NULLS LAST, id DESC);
CREATE INDEX partnerships_city_b_idx ON partnerships (city_b_id, since DESC NULLS LAST, id DESC);
CREATE INDEX partnerships_agreement_id_idx ON partnerships (agreement_id);

-- A figure a source states ("friendly ties with 93 cities"), kept apart from what the
-- graph itself can count.
CREATE TABLE reported_figures (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id    uuid NOT NULL CONSTRAINT reported_figures_city_id_fkey REFERENCES cities (id) ON DELETE CASCADE,
    metric     text NOT NULL CONSTRAINT reported_figures_metric_check CHECK (metric IN
                   ('FRIENDLY_CITIES', 'FRIENDLY_COUNTRIES', 'SISTER_CITIES', 'FRIENDLY_EXCHANGE_CITIES')),
    value      integer NOT NULL CONSTRAINT reported_figures_value_check CHECK (value >= 0),
    as_of      date,
    source_id  uuid NOT NULL CONSTRAINT reported_figures_source_id_fkey REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reported_figures_key UNIQUE NULLS NOT DISTINCT (city_id, metric, as_of, source_id)
);

-- Entity-level provenance: which sources state an entity. One table per entity keeps
-- real foreign keys on both sides.
CREATE TABLE agreement_sources (
    agreement_id uuid NOT NULL CONSTRAINT agreement_sources_agreement_id_fkey REFERENCES agreements (id) ON DELETE CASCADE,
    source_id    uuid NOT NULL CONSTRAINT agreement_sources_source_id_fkey REFERENCES sources (id),
    CONSTRAINT agreement_sources_pkey PRIMARY KEY (agreement_id, source_id)
);
CREATE TABLE partnership_sources (
    partnership_id uuid NOT NULL CONSTRAINT partnership_sources_partnership_id_fkey REFERENCES partnerships (id) ON DELETE CASCADE,
    source_id      uuid NOT NULL CONSTRAINT partnership_sources_source_id_fkey REFERENCES sources (id),
    CONSTRAINT partnership_sources_pkey PRIMARY KEY (partnership_id, source_id)
);
CREATE TABLE institution_sources (
    institution_id uuid NOT NULL CONSTRAINT institution_sources_institution_id_fkey REFERENCES institutions (id) ON DELETE CASCADE,
    source_id      uuid NOT NULL CONSTRAINT institution_sources_source_id_fkey REFERENCES sources (id),
    CONSTRAINT institution_sources_pkey PRIMARY KEY (institution_id, source_id)
);
CREATE TABLE official_sources (
    official_id uuid NOT NULL CONSTRAINT official_sources_official_id_fkey REFERENCES officials (id) ON DELETE CASCADE,
    source_id   uuid NOT NULL CONSTRAINT official_sources_source_id_fkey REFERENCES sources (id),
    CONSTRAINT official_sources_pkey PRIMARY KEY (official_id, source_id)
);
CREATE TABLE city_sources (
    city_id   uuid NOT NULL CONSTRAINT city_sources_city_id_fkey REFERENCES cities (id) ON DELETE CASCADE,
    source_id uuid NOT NULL CONSTRAINT city_sources_source_id_fkey REFERENCES sources (id),
    CONSTRAINT city_sources_pkey PRIMARY KEY (city_id, source_id)
);

-- Statements: one source's word on one property of one entity ("signed on 2024-03-06",
-- "title: Minister of the Moscow City Government ..."). Where sources disagree, each
-- keeps its own statement; the entity's own columns hold the reconciled value.
-- Exactly one subject column is set, each a real foreign key.
CREATE TABLE statements (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id        uuid CONSTRAINT statements_city_id_fkey REFERENCES cities (id) ON DELETE CASCADE,
    official_id    uuid CONSTRAINT statements_official_id_fkey REFERENCES officials (id) ON DELETE CASCADE,
    agreement_id   uuid CONSTRAINT statements_agreement_id_fkey REFERENCES agreements (id) ON DELETE CASCADE,
    institution_id uuid CONSTRAINT statements_institution_id_fkey REFERENCES institutions (id) ON DELETE CASCADE,
    partnership_id uuid CONSTRAINT statements_partnership_id_fkey REFERENCES partnerships (id) ON DELETE CASCADE,
    property       text NOT NULL CONSTRAINT statements_property_check CHECK (property ~ '^[a-zA-Z][a-zA-Z0-9_.]{0,63}$'),
    value          text NOT NULL CONSTRAINT statements_value_check CHECK (length(value) BETWEEN 1 AND 2000),
    source_id      uuid NOT NULL CONSTRAINT statements_source_id_fkey REFERENCES sources (id),
    quote          text CONSTRAINT statements_quote_check CHECK (length(quote) <= 4000),
    position       integer NOT NULL DEFAULT 0,
    CONSTRAINT statements_subject_check CHECK (num_nonnulls(city_id, official_id, agreement_id, institution_id, partnership_id) = 1)
);
CREATE INDEX statements_city_id_idx ON statements (city_id) WHERE city_id IS NOT NULL;
CREATE INDEX statements_official_id_idx ON statements (official_id) WHERE official_id IS NOT NULL;
CREATE INDEX statements_agreement_id_idx ON statements (agreement_id) WHERE agreement_id IS NOT NULL;
CREATE INDEX statements_institution_id_idx ON statements (institution_id) WHERE institution_id IS NOT NULL;
CREATE INDEX statements_partnership_id_idx ON statements (partnership_id) WHERE partnership_id IS NOT NULL;

-- Which knowledge bundles were applied, so a restart does not load the same one twice.
CREATE TABLE bundle_loads (
    digest    text PRIMARY KEY,
    name      text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE bundle_loads, statements, city_sources, official_sources, institution_sources,
    partnership_sources, agreement_sources, reported_figures, partnerships,
    institution_agreements, institutions, signatories, agreement_areas, agreement_parties,
    agreements, official_names, officials, city_names, cities, countries, sources;

