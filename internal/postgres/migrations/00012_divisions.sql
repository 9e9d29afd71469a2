-- +goose Up
-- First-level divisions (GeoNames "admin1": a province, state or region) and the other
-- names of countries (issue 13, points 3 and 7; docs/cities.md, docs/import.md).

-- A city's division is GeoNames' admin1 code, which is unique only within a country
-- ("01" is a division of many countries). It is kept on the city even when the
-- division's name is not known: admin1CodesASCII.txt may come later, or never, and a
-- code alone already tells two Córdobas apart. No foreign key to divisions for that
-- reason.
ALTER TABLE cities ADD COLUMN admin1_code text
    CONSTRAINT cities_admin1_code_check CHECK (admin1_code ~ '^[0-9A-Za-z]{1,20}$');

-- cities(filter: {country, admin1}) lists a division's cities by name off this index,
-- and a reference whose division is only known from the cities' codes (no
-- admin1CodesASCII.txt imported) is checked by one probe of it.
CREATE INDEX cities_admin1_idx ON cities (country_id, admin1_code, name, id);

-- The divisions' names, from GeoNames' admin1CodesASCII.txt (a line per division: the
-- country and admin1 code as "AR.05", the name, the ASCII name, the geonameid). The key
-- is the country and the code; id is the entity's id for the audit log (derived from
-- "CC.code", as every imported key is).
CREATE TABLE divisions (
    id          uuid NOT NULL,
    country_id  uuid NOT NULL CONSTRAINT divisions_country_id_fkey REFERENCES countries (id),
    code        text NOT NULL CONSTRAINT divisions_code_check CHECK (code ~ '^[0-9A-Za-z]{1,20}$'),
    name        text NOT NULL CONSTRAINT divisions_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    ascii_name  text CONSTRAINT divisions_ascii_name_check CHECK (length(btrim(ascii_name)) BETWEEN 1 AND 200),
    geonames_id bigint CONSTRAINT divisions_geonames_id_check CHECK (geonames_id > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT divisions_pkey PRIMARY KEY (country_id, code),
    CONSTRAINT divisions_id_key UNIQUE (id),
    CONSTRAINT divisions_geonames_id_key UNIQUE (geonames_id)
);
-- A division named by its name ("Córdoba"), folded as city names are, in one country.
CREATE INDEX divisions_fold_c_idx ON divisions (country_id, (amity_fold(name) COLLATE "C"));
CREATE INDEX divisions_ascii_fold_c_idx ON divisions (country_id, (amity_fold(ascii_name) COLLATE "C"));

-- A country's other names: the ISO short name a common name replaces ("Korea, Republic
-- of" for South Korea) and the official name ("Argentine Republic"), so that a country
-- is found by any of them. Added, never removed, as a city's names are.
CREATE TABLE country_names (
    country_id uuid NOT NULL CONSTRAINT country_names_country_id_fkey REFERENCES countries (id) ON DELETE CASCADE,
    name       text NOT NULL CONSTRAINT country_names_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    CONSTRAINT country_names_pkey PRIMARY KEY (country_id, name)
);
-- city(name:, country: "Argentine Republic") and a reference by name in an import. A
-- few hundred rows: search's trigram branch reads them all, as it does countries.
CREATE INDEX country_names_fold_c_idx ON country_names ((amity_fold(name) COLLATE "C"), country_id);

-- +goose Down
DROP TABLE country_names;
DROP TABLE divisions;
DROP INDEX cities_admin1_idx;
ALTER TABLE cities DROP COLUMN admin1_code;
