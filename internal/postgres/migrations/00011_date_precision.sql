-- +goose Up
-- Sources often date a fact only by its year ("in 1994") or month ("May 1994"). Each
-- date that may be imprecise keeps the first day of the period it names in its own
-- column, so that every sort, keyset cursor and index on it (migrations 00001, 00004)
-- works as before, and its precision beside it: 'day', 'month' or 'year'. A date and
-- its precision are one value (knowledge.Date); the checks keep them canonical: the
-- date is the first day of its period, and a missing date has the precision 'day'.
ALTER TABLE partnerships
    ADD COLUMN since_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT partnerships_since_precision_check CHECK (since_precision IN ('day', 'month', 'year')),
    ADD COLUMN until_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT partnerships_until_precision_check CHECK (until_precision IN ('day', 'month', 'year')),
    ADD CONSTRAINT partnerships_since_period_check
        CHECK ((since_precision = 'day' OR date_trunc(since_precision, since::timestamp) = since) IS TRUE),
    ADD CONSTRAINT partnerships_until_period_check
        CHECK ((until_precision = 'day' OR date_trunc(until_precision, until::timestamp) = until) IS TRUE);
ALTER TABLE agreements
    ADD COLUMN signed_on_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT agreements_signed_on_precision_check CHECK (signed_on_precision IN ('day', 'month', 'year')),
    ADD CONSTRAINT agreements_signed_on_period_check
        CHECK ((signed_on_precision = 'day' OR date_trunc(signed_on_precision, signed_on::timestamp) = signed_on) IS TRUE);
ALTER TABLE institutions
    ADD COLUMN founded_on_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT institutions_founded_on_precision_check CHECK (founded_on_precision IN ('day', 'month', 'year')),
    ADD CONSTRAINT institutions_founded_on_period_check
        CHECK ((founded_on_precision = 'day' OR date_trunc(founded_on_precision, founded_on::timestamp) = founded_on) IS TRUE);
ALTER TABLE sources
    ADD COLUMN published_on_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT sources_published_on_precision_check CHECK (published_on_precision IN ('day', 'month', 'year')),
    ADD CONSTRAINT sources_published_on_period_check
        CHECK ((published_on_precision = 'day' OR date_trunc(published_on_precision, published_on::timestamp) = published_on) IS TRUE);
-- A figure "as of 2024" and one "as of 2024-01-01" are two statements of the source,
-- so the precision is part of what makes a figure the same figure.
ALTER TABLE reported_figures
    ADD COLUMN as_of_precision text NOT NULL DEFAULT 'day'
        CONSTRAINT reported_figures_as_of_precision_check CHECK (as_of_precision IN ('day', 'month', 'year')),
    ADD CONSTRAINT reported_figures_as_of_period_check
        CHECK ((as_of_precision = 'day' OR date_trunc(as_of_precision, as_of::timestamp) = as_of) IS TRUE),
    DROP CONSTRAINT reported_figures_key,
    ADD CONSTRAINT reported_figures_key UNIQUE NULLS NOT DISTINCT (city_id, metric, as_of, as_of_precision, source_id);

-- amity_date_last is the last day of the period a date names: 1994-12-31 for 1994 at
-- the precision 'year'. A fact "since 1994" is certain to hold from that day on, which
-- is when asOf starts to count it (docs/dates.md). Inlined by the planner.
CREATE FUNCTION amity_date_last(d date, prec text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE prec
        WHEN 'year' THEN (d + interval '1 year' - interval '1 day')::date
        WHEN 'month' THEN (d + interval '1 month' - interval '1 day')::date
        ELSE d END;

-- amity_date_text writes a date as its source gave it ("1994", "1994-05",
-- "1994-05-12"), the form knowledge.ParseDate reads back with its precision.
CREATE FUNCTION amity_date_text(d date, prec text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(d, CASE prec WHEN 'year' THEN 'YYYY' WHEN 'month' THEN 'YYYY-MM' ELSE 'YYYY-MM-DD' END);

-- A tie that ended "in 1994" may have begun "in May 1994": only an end whose period is
-- over before the start's begins is impossible.
ALTER TABLE partnerships
    DROP CONSTRAINT partnerships_period_check,
    ADD CONSTRAINT partnerships_period_check
        CHECK (until IS NULL OR since IS NULL OR amity_date_last(until, until_precision) >= since);

-- +goose Down
ALTER TABLE partnerships
    DROP CONSTRAINT partnerships_period_check,
    ADD CONSTRAINT partnerships_period_check CHECK (until IS NULL OR since IS NULL OR until >= since);
DROP FUNCTION amity_date_text(date, text);
DROP FUNCTION amity_date_last(date, text);
ALTER TABLE reported_figures
    DROP CONSTRAINT reported_figures_key,
    ADD CONSTRAINT reported_figures_key UNIQUE NULLS NOT DISTINCT (city_id, metric, as_of, source_id),
    DROP COLUMN as_of_precision;
ALTER TABLE sources DROP COLUMN published_on_precision;
ALTER TABLE institutions DROP COLUMN founded_on_precision;
ALTER TABLE agreements DROP COLUMN signed_on_precision;
ALTER TABLE partnerships DROP COLUMN since_precision, DROP COLUMN until_precision;
