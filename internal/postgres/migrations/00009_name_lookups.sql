-- +goose Up
-- Name lookups that stay index-backed with the world gazetteer loaded (docs/cities.md,
-- docs/benchmarks.md "World-scale lookups").
--
-- The indexes are on the folded name in the C collation, and the store's lookups say
-- COLLATE "C" (postgres.foldC): that is how a lookup names its index. Left to choose,
-- the planner took the trigram GiST indexes of migration 00005 for both = and LIKE,
-- which it estimates cheaper but which, over 380,000 names, read most of their pages
-- per lookup. Equality and LIKE on folded names give the same rows in either collation.

-- city(name:): one exact B-tree probe per name table, the id in the index.
CREATE INDEX cities_fold_c_idx ON cities ((amity_fold(name) COLLATE "C"), id);
CREATE INDEX city_names_fold_c_idx ON city_names ((amity_fold(name) COLLATE "C"), city_id);

-- cities(filter: {nameContains}) and search's similarity branches: GIN finds the few
-- names that share a word's trigrams without visiting the others, where GiST's lossy
-- signatures cannot tell them apart.
CREATE INDEX cities_name_gin_idx ON cities USING gin ((amity_fold(name) COLLATE "C") gin_trgm_ops);
CREATE INDEX city_names_name_gin_idx ON city_names USING gin ((amity_fold(name) COLLATE "C") gin_trgm_ops);

-- +goose Down
DROP INDEX city_names_name_gin_idx, cities_name_gin_idx, city_names_fold_c_idx, cities_fold_c_idx;
