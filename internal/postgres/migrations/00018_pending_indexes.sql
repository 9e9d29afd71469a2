-- +goose Up
-- The secondary indexes a first gazetteer load set aside and has yet to build
-- (postgres.BuildPendingIndexes, docs/import.md "Indexes built beside each other"). The
-- load writes their definitions here in the transaction that writes its rows, and builds
-- them after it commits, several at once on separate connections; a row left here (the
-- process stopped between the commit and the last build) is built by the next migration.
CREATE TABLE pending_indexes (
    name text PRIMARY KEY,
    table_name text NOT NULL,
    def text NOT NULL,
    set_aside_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE pending_indexes;
