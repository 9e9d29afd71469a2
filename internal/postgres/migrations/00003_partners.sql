-- +goose Up
-- Partner agencies: API keys, curated writes with optimistic concurrency, an append-only
-- audit log, idempotent retries, and change notifications.

-- Only a hash of each key is stored: the secret is shown once, at creation.
CREATE TABLE api_keys (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CONSTRAINT api_keys_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    secret_hash    bytea NOT NULL CONSTRAINT api_keys_secret_hash_check CHECK (length(secret_hash) = 32),
    scopes         text[] NOT NULL CONSTRAINT api_keys_scopes_check CHECK (scopes <@ ARRAY['read', 'write', 'admin'] AND cardinality(scopes) > 0),
    rate_per_sec   double precision CONSTRAINT api_keys_rate_check CHECK (rate_per_sec > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);

-- Optimistic concurrency: every update names the version it read.
ALTER TABLE sources ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE cities ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE officials ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE agreements ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE partnerships ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE institutions ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Every write, who made it and what it changed. Rows are never updated or deleted: the
-- trigger below refuses it, whoever asks.
CREATE TABLE audit_log (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 timestamptz NOT NULL DEFAULT now(),
    key_id             uuid CONSTRAINT audit_log_key_id_fkey REFERENCES api_keys (id),
    actor              text NOT NULL,
    action             text NOT NULL CONSTRAINT audit_log_action_check CHECK (action IN ('CREATE', 'UPDATE', 'RETRACT')),
    entity_type        text NOT NULL,
    entity_id          uuid NOT NULL,
    before             jsonb,
    after              jsonb,
    source_ids         uuid[] NOT NULL DEFAULT '{}',
    reason             text,
    client_mutation_id text,
    request_id         text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_id, id DESC);
CREATE INDEX audit_log_at_idx ON audit_log (id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- A retried mutation with the same client mutation id returns what the first one did
-- instead of writing twice. The request hash tells a retry from a reuse of the id.
CREATE TABLE mutation_requests (
    key_id             uuid NOT NULL CONSTRAINT mutation_requests_key_id_fkey REFERENCES api_keys (id),
    client_mutation_id text NOT NULL CONSTRAINT mutation_requests_id_check CHECK (length(client_mutation_id) BETWEEN 1 AND 200),
    mutation           text NOT NULL,
    request_hash       bytea NOT NULL,
    entity_type        text NOT NULL,
    entity_id          uuid NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mutation_requests_pkey PRIMARY KEY (key_id, client_mutation_id)
);

-- +goose Down
DROP TABLE mutation_requests;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
ALTER TABLE institutions DROP COLUMN version;
ALTER TABLE partnerships DROP COLUMN version;
ALTER TABLE agreements DROP COLUMN version;
ALTER TABLE officials DROP COLUMN version;
ALTER TABLE cities DROP COLUMN version;
ALTER TABLE sources DROP COLUMN version;
DROP TABLE api_keys;
