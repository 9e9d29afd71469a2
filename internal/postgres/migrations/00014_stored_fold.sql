-- +goose Up
-- Faster search at world scale (issue 13, point 4; docs/benchmarks.md "World-scale
-- lookups", "Search under 30 ms").
--
-- The folded name, stored. Search's similar-name branch and cities(filter:
-- {nameContains}) read the candidates a trigram GIN index gives (3,723 names for
-- "Shenzhen" over the gazetteer) and recheck each: the recheck folded every candidate's
-- name again (amity_fold is evaluated, not read from the index), and the ranking folded
-- the survivors once more. A generated column is computed by PostgreSQL itself on every
-- insert and update, so every writer (the importer's bulk path, the mutations, merges)
-- fills it unchanged; amity_fold is IMMUTABLE, as a generated column requires. It is in
-- the C collation, as the indexes of migration 00009 were: the GIN indexes below are
-- then the only trigram indexes on the column, so the planner cannot take the GiST
-- ones for these LIKE and similarity tests (see 00009), and no statement needs to say
-- COLLATE "C".
ALTER TABLE cities ADD COLUMN name_fold text COLLATE "C" GENERATED ALWAYS AS (amity_fold(name)) STORED;
ALTER TABLE city_names ADD COLUMN name_fold text COLLATE "C" GENERATED ALWAYS AS (amity_fold(name)) STORED;

-- The trigram GIN indexes of 00009 move from the expression to the column: the same
-- entries, built without folding every name again.
DROP INDEX cities_name_gin_idx, city_names_name_gin_idx;
CREATE INDEX cities_name_gin_idx ON cities USING gin (name_fold gin_trgm_ops);
CREATE INDEX city_names_name_gin_idx ON city_names USING gin (name_fold gin_trgm_ops);

-- The trigram GiST indexes that search reads nearest first for a short query ("par",
-- "Lon") get a longer signature. With the default 12 bytes, the signature of an inner
-- page of 380,000 names holds nearly every common trigram, so its distance bound is 0
-- and the scan descends into most of the tree (2,500 of the 3,456 pages of
-- city_names_name_trgm_idx for "par") before it has its 100 nearest names. At 128
-- bytes the bounds prune: the same search reads about half as much and takes about half
-- the time (docs/benchmarks.md). The index is no larger; it costs a bulk load about 3 s
-- more to build over the gazetteer (docs/import.md). They stay on the expression: the
-- short branch orders by it, and on the column the planner would weigh them against
-- the GIN indexes for the long queries again.
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gist (amity_fold(name) gist_trgm_ops (siglen = 128));
CREATE INDEX city_names_name_trgm_idx ON city_names USING gist (amity_fold(name) gist_trgm_ops (siglen = 128));

-- +goose Down
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX city_names_name_trgm_idx ON city_names USING gist (amity_fold(name) gist_trgm_ops);
DROP INDEX cities_name_gin_idx, city_names_name_gin_idx;
ALTER TABLE cities DROP COLUMN name_fold;
ALTER TABLE city_names DROP COLUMN name_fold;
CREATE INDEX cities_name_gin_idx ON cities USING gin ((amity_fold(name) COLLATE "C") gin_trgm_ops);
CREATE INDEX city_names_name_gin_idx ON city_names USING gin ((amity_fold(name) COLLATE "C") gin_trgm_ops);
