-- +goose Up
-- The exact-name and short-search indexes of cities and city_names read the stored
-- folded name (name_fold, 00014) instead of folding every name again: amity_fold costs
-- about 1.4 µs a name, evaluated once per name and index at every build, and a first
-- gazetteer load builds both indexes of both tables (docs/import.md "Indexes built
-- beside each other": over the world gazetteer's 378,716 names the trigram GiST index
-- built in 4.3–4.6 s instead of 5.4, the B-tree in 0.24 s instead of 0.47). The values
-- are the same, so every lookup finds what it found.
--
-- The B-trees: name_fold is in the C collation already, as foldC asked of the expression.
DROP INDEX cities_fold_c_idx, city_names_fold_c_idx;
CREATE INDEX cities_fold_c_idx ON cities (name_fold, id);
CREATE INDEX city_names_fold_c_idx ON city_names (name_fold, city_id);

-- The trigram GiST indexes: on the column, in the database's default collation. The
-- GIN indexes on name_fold are in C, so the long queries, which compare the column as
-- it is, still cannot be planned on GiST (see 00014); the short ones say
-- (name_fold COLLATE "default") to read these.
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gist ((name_fold COLLATE "default") gist_trgm_ops (siglen = 128));
CREATE INDEX city_names_name_trgm_idx ON city_names USING gist ((name_fold COLLATE "default") gist_trgm_ops (siglen = 128));

-- +goose Down
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gist (amity_fold(name) gist_trgm_ops (siglen = 128));
CREATE INDEX city_names_name_trgm_idx ON city_names USING gist (amity_fold(name) gist_trgm_ops (siglen = 128));
DROP INDEX cities_fold_c_idx, city_names_fold_c_idx;
CREATE INDEX cities_fold_c_idx ON cities ((amity_fold(name) COLLATE "C"), id);
CREATE INDEX city_names_fold_c_idx ON city_names ((amity_fold(name) COLLATE "C"), city_id);
