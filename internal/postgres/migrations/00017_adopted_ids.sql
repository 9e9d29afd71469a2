-- +goose Up
-- A file's city that takes over a stored city by its Wikidata or GeoNames id (the
-- shipped Shenzhen meeting the gazetteer's, in either order) was known by the id its
-- key derives, and clients may hold that id. It keeps answering with the city it took
-- over, as a merged city's id does (city_merges), but unlike a merged city's line, the
-- file's line goes on writing that city when the file is imported again: adopted marks
-- such an id.
ALTER TABLE city_merges ADD COLUMN adopted boolean NOT NULL DEFAULT false;

-- +goose Down
DELETE FROM city_merges WHERE adopted;
ALTER TABLE city_merges DROP COLUMN adopted;
