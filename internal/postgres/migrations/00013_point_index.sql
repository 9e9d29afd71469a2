-- +goose Up
-- Cities near a point through a GiST index on the plain (longitude, latitude) point
-- instead of the earth position (migration 00002). point_ops can sort its input, so
-- PostgreSQL 14+ builds the index from sorted rows in one pass, where the cube
-- operator class of ll_to_earth inserts every row into the tree one by one: for
-- 200,000 cities about 2 s instead of 30 s at the same load, in every bulk gazetteer
-- load (docs/import.md). The near filter looks up one or two degree boxes around the
-- circle (postgres.nearBoxes) and keeps the exact earth_distance test.
DROP INDEX cities_earth_idx;
CREATE INDEX cities_point_idx ON cities USING gist (point(longitude, latitude))
    WHERE latitude IS NOT NULL;

-- +goose Down
DROP INDEX cities_point_idx;
CREATE INDEX cities_earth_idx ON cities USING gist (ll_to_earth(latitude, longitude))
    WHERE latitude IS NOT NULL;
