-- +goose Up
-- Indexes of cities that cost every bulk gazetteer load time to build (docs/import.md,
-- "Speed") and can be had cheaper or not at all.

-- Cities near a point through a GiST index on the plain (longitude, latitude) point
-- instead of the earth position (migration 00002). point_ops can sort its input, so
-- PostgreSQL 14+ builds the index from sorted rows in one pass, where the cube
-- operator class of ll_to_earth inserts every row into the tree one by one: for
-- 200,000 cities about 2 s instead of 30 s at the same load. The near filter looks up
-- one or two degree boxes around the circle (postgres.nearBoxes) and keeps the exact
-- earth_distance test.
DROP INDEX cities_earth_idx;
CREATE INDEX cities_point_idx ON cities USING gist (point(longitude, latitude))
    WHERE latitude IS NOT NULL;

-- No statement looks names up by lower(name) (migration 00001) or by the folded name
-- in the database's collation (00002) any more: exact lookups say COLLATE "C" and use
-- the indexes of migration 00009. Each of these was built in every bulk load (the
-- folded ones evaluating amity_fold once a name) and kept up at every write.
DROP INDEX cities_lower_name_idx, city_names_lower_name_idx, cities_fold_idx, city_names_fold_idx;

-- +goose Down
CREATE INDEX cities_lower_name_idx ON cities (lower(name));
CREATE INDEX city_names_lower_name_idx ON city_names (lower(name));
CREATE INDEX cities_fold_idx ON cities (amity_fold(name));
CREATE INDEX city_names_fold_idx ON city_names (amity_fold(name));
DROP INDEX cities_point_idx;
CREATE INDEX cities_earth_idx ON cities USING gist (ll_to_earth(latitude, longitude))
    WHERE latitude IS NOT NULL;
