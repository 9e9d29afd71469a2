-- +goose Up
-- amity_date_text (00011) was declared IMMUTABLE, but its body is to_char over the date
-- as a timestamptz, which is STABLE (it reads the session's time zone; the calendar
-- day it prints does not depend on it). PostgreSQL inlines a SQL function only when its
-- body is no more volatile than it is declared, so every date of every answer went
-- through a function call of its own: about 3.5 µs of PostgreSQL CPU a date. Q3 (20
-- agreements with their signing dates) cost PostgreSQL 12 % more than with the
-- function inlined; Q4 prints about 120 dates (docs/benchmarks.md, "Dates inlined").
-- Declared STABLE, it is inlined; no index or constraint uses it, and its answers are
-- the same.
CREATE OR REPLACE FUNCTION amity_date_text(d date, prec text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_char(d, CASE prec WHEN 'year' THEN 'YYYY' WHEN 'month' THEN 'YYYY-MM' ELSE 'YYYY-MM-DD' END);

-- +goose Down
CREATE OR REPLACE FUNCTION amity_date_text(d date, prec text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(d, CASE prec WHEN 'year' THEN 'YYYY' WHEN 'month' THEN 'YYYY-MM' ELSE 'YYYY-MM-DD' END);
