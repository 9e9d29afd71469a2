-- +goose Up
-- Merging two records of one city (docs/cities.md, "Merging cities"). The merged
-- record's row is deleted and its facts move to the survivor; this table keeps its id
-- answering: a lookup by id, an import that refers to it by key, or a reference by an
-- identifier it held that the survivor did not take over (the survivor kept its own,
-- and the merged one became a statement) all find the survivor. Rows always name the
-- last survivor (a merge into a city that was itself merged repoints its rows), so a
-- lookup is one step. Retracting the survivor takes its old ids with it.
CREATE TABLE city_merges (
    merged_id    uuid PRIMARY KEY,
    survivor_id  uuid NOT NULL CONSTRAINT city_merges_survivor_id_fkey REFERENCES cities (id) ON DELETE CASCADE,
    merged_at    timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    wikidata_qid text CONSTRAINT city_merges_wikidata_qid_check CHECK (wikidata_qid ~ '^Q[1-9][0-9]*$'),
    geonames_id  bigint CONSTRAINT city_merges_geonames_id_check CHECK (geonames_id > 0),
    CONSTRAINT city_merges_not_self_check CHECK (merged_id <> survivor_id),
    CONSTRAINT city_merges_wikidata_qid_key UNIQUE (wikidata_qid),
    CONSTRAINT city_merges_geonames_id_key UNIQUE (geonames_id)
);
CREATE INDEX city_merges_survivor_id_idx ON city_merges (survivor_id);

-- A partnership of the merged city that duplicated one of the survivor's (same
-- partner, same kind) is joined to it and deleted; its id keeps answering with the
-- one it joined, so that importing again the file that stated it finds that one.
CREATE TABLE partnership_merges (
    merged_id   uuid PRIMARY KEY,
    survivor_id uuid NOT NULL CONSTRAINT partnership_merges_survivor_id_fkey REFERENCES partnerships (id) ON DELETE CASCADE,
    merged_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partnership_merges_not_self_check CHECK (merged_id <> survivor_id)
);
CREATE INDEX partnership_merges_survivor_id_idx ON partnership_merges (survivor_id);

-- A merge is audited as such, for both cities (and for a partnership that duplicated
-- one of the survivor's and was joined to it).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN ('CREATE', 'UPDATE', 'RETRACT', 'MERGE'));

-- +goose Down
-- The MERGE entries stay (the log is append-only): the old rule comes back for new
-- entries only (NOT VALID).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN ('CREATE', 'UPDATE', 'RETRACT')) NOT VALID;
DROP TABLE partnership_merges, city_merges;
