-- +goose Up
-- Search ranks by trigram word similarity. GIN indexes find every name that is similar
-- enough, but a query whose words many names share ("Testville …", "San …") then ranks
-- them all. GiST indexes can hand the names back nearest first, so each branch of a
-- search stops after its best few hundred candidates, however common the words. GiST
-- serves the LIKE of the nameContains filters too, so it replaces GIN here.
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx, officials_name_trgm_idx,
    official_names_name_trgm_idx, institutions_name_trgm_idx, countries_name_trgm_idx,
    agreements_title_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX city_names_name_trgm_idx ON city_names USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX officials_name_trgm_idx ON officials USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX official_names_name_trgm_idx ON official_names USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX institutions_name_trgm_idx ON institutions USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX countries_name_trgm_idx ON countries USING gist (amity_fold(name) gist_trgm_ops);
CREATE INDEX agreements_title_trgm_idx ON agreements USING gist (amity_fold(title) gist_trgm_ops);

-- +goose Down
DROP INDEX cities_name_trgm_idx, city_names_name_trgm_idx, officials_name_trgm_idx,
    official_names_name_trgm_idx, institutions_name_trgm_idx, countries_name_trgm_idx,
    agreements_title_trgm_idx;
CREATE INDEX cities_name_trgm_idx ON cities USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX city_names_name_trgm_idx ON city_names USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX officials_name_trgm_idx ON officials USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX official_names_name_trgm_idx ON official_names USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX institutions_name_trgm_idx ON institutions USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX countries_name_trgm_idx ON countries USING gin (amity_fold(name) gin_trgm_ops);
CREATE INDEX agreements_title_trgm_idx ON agreements USING gin (amity_fold(title) gin_trgm_ops);
