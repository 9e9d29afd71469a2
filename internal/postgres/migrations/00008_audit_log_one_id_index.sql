-- +goose Up
-- audit_log_at_idx ordered the log by id, newest first, which the primary key already
-- does (a B-tree is read in either direction). Every audited row paid for a second entry
-- in it, and imports now audit every entity they create or change.
DROP INDEX audit_log_at_idx;

-- +goose Down
CREATE INDEX audit_log_at_idx ON audit_log (id DESC);
