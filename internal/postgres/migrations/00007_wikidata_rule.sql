-- +goose Up
-- One rule for Wikidata item ids on every way in (relations.WikidataPattern): the
-- mutations refused Q0 and Q012, which name no Wikidata item, while the bundle, the
-- importer and these checks let them in. The checks now hold the mutations' rule. A
-- stored id of the old, looser form makes this migration fail with the row's table
-- named (VALIDATE), rather than leave a row that no later update could keep.
ALTER TABLE countries DROP CONSTRAINT countries_wikidata_qid_check,
    ADD CONSTRAINT countries_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[1-9][0-9]*$') NOT VALID;
ALTER TABLE countries VALIDATE CONSTRAINT countries_wikidata_qid_check;
ALTER TABLE cities DROP CONSTRAINT cities_wikidata_qid_check,
    ADD CONSTRAINT cities_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[1-9][0-9]*$') NOT VALID;
ALTER TABLE cities VALIDATE CONSTRAINT cities_wikidata_qid_check;
ALTER TABLE officials DROP CONSTRAINT officials_wikidata_qid_check,
    ADD CONSTRAINT officials_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[1-9][0-9]*$') NOT VALID;
ALTER TABLE officials VALIDATE CONSTRAINT officials_wikidata_qid_check;
ALTER TABLE institutions DROP CONSTRAINT institutions_wikidata_qid_check,
    ADD CONSTRAINT institutions_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[1-9][0-9]*$') NOT VALID;
ALTER TABLE institutions VALIDATE CONSTRAINT institutions_wikidata_qid_check;

-- +goose Down
ALTER TABLE institutions DROP CONSTRAINT institutions_wikidata_qid_check,
    ADD CONSTRAINT institutions_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$');
ALTER TABLE officials DROP CONSTRAINT officials_wikidata_qid_check,
    ADD CONSTRAINT officials_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$');
ALTER TABLE cities DROP CONSTRAINT cities_wikidata_qid_check,
    ADD CONSTRAINT cities_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$');
ALTER TABLE countries DROP CONSTRAINT countries_wikidata_qid_check,
    ADD CONSTRAINT countries_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[0-9]+$');
