package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// CreateSource creates a source. Problems with the input come back as an
// *knowledge.InputError and change nothing.
func (db *DB) CreateSource(ctx context.Context, meta knowledge.WriteMeta, s knowledge.NewSource) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "createSource", sourcesTable.typ, s, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		s.Check(p, nil)
		if p.Any() {
			return uuid.Nil, nil
		}
		if taken, err := sourceURLTaken(ctx, tx, s.URL); err != nil || taken {
			if taken {
				p.Add(knowledge.CodeConflict, knowledge.Path("url"), "a source with this URL exists already")
			}
			return uuid.Nil, err
		}
		return insertSource(ctx, tx, meta, s)
	})
}

// UpdateSource changes a source's fields.
func (db *DB) UpdateSource(ctx context.Context, meta knowledge.WriteMeta, u knowledge.SourceUpdate) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "updateSource", sourcesTable.typ, u, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		u.Check(p)
		before, ok, err := lockVersion(ctx, tx, sourcesTable, u.ID, u.Version, p)
		if err != nil || !ok || p.Any() {
			return uuid.Nil, err
		}
		// $7 names the fields the update clears (knowledge.Cleared); a date and its
		// precision are written, kept and cleared together.
		const q = `UPDATE sources SET title = coalesce($2, title),
  publisher = CASE WHEN 'publisher' = ANY($7) THEN NULL ELSE coalesce($3, publisher) END,
  url = CASE WHEN 'url' = ANY($7) THEN NULL ELSE coalesce($4, url) END,
  published_on = CASE WHEN 'publishedOn' = ANY($7) THEN NULL ELSE coalesce($5, published_on) END,
  published_on_precision = CASE WHEN 'publishedOn' = ANY($7) THEN 'day' ELSE coalesce($8, published_on_precision) END,
  excerpt = CASE WHEN 'excerpt' = ANY($7) THEN NULL ELSE coalesce($6, excerpt) END, version = version + 1, updated_at = now()
WHERE id = $1`
		day, precision := dateArgs(u.PublishedOn)
		if _, err := tx.ExecContext(ctx, q, u.ID, u.Title, u.Publisher, u.URL, day, u.Excerpt, pq.Array([]string(u.Clear)), precision); err != nil {
			return uuid.Nil, err
		}
		return u.ID, finish(ctx, tx, meta, "UPDATE", sourcesTable, u.ID, before, nil, nil)
	})
}

// finish records the write in the audit log with the entity as it is now, and
// announces the change of an entity that does not announce its own (agreements and
// partnerships do, with their cities, once their parts are written).
func finish(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, action string, e entity, id uuid.UUID, before []byte, sources []uuid.UUID, reason *string) error {
	after, err := snapshot(ctx, tx, e, id)
	if err != nil {
		return err
	}
	if err := audit(ctx, tx, meta, action, e, id, before, after, sources, reason); err != nil {
		return err
	}
	kind, ok := announcedByFinish[e.typ]
	if !ok {
		return nil
	}
	return notifyChange(ctx, tx, knowledge.Change{Entity: kind, Action: changeAction(action), ID: id, Cities: citiesOfRow(e, id, before, after)})
}

// announcedByFinish are the entities whose writes finish announces, by change kind.
var announcedByFinish = map[string]string{
	citiesTable.typ: ChangeCity, officialsTable.typ: ChangeOfficial,
	institutionsTable.typ: ChangeInstitution, sourcesTable.typ: ChangeSource,
}

// citiesOfRow are the cities a change of the entity concerns, as it was and as it is:
// an official or institution that moves concerns both its cities (each city's lists
// change), a city itself.
func citiesOfRow(e entity, id uuid.UUID, before, after []byte) []uuid.UUID {
	if e == citiesTable {
		return []uuid.UUID{id}
	}
	var out []uuid.UUID
	for _, row := range [][]byte{before, after} {
		var r struct {
			CityID *uuid.UUID `json:"city_id"`
		}
		if row != nil && json.Unmarshal(row, &r) == nil && r.CityID != nil && !slices.Contains(out, *r.CityID) {
			out = append(out, *r.CityID)
		}
	}
	return out
}

// WriteCity creates a city (w.ID nil) or updates one.
func (db *DB) WriteCity(ctx context.Context, meta knowledge.WriteMeta, w knowledge.CityWrite) (knowledge.WriteResult, error) {
	mutation := "createCity"
	if w.ID != nil {
		mutation = "updateCity"
	}
	return db.writeTx(ctx, meta, mutation, citiesTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		w.Check(p)
		if p.Any() {
			return uuid.Nil, nil
		}
		var lat, lon *float64
		if w.Location != nil {
			lat, lon = &w.Location.Latitude, &w.Location.Longitude
		}
		var id uuid.UUID
		var before []byte
		action := "CREATE"
		if w.ID == nil {
			var countryID uuid.UUID
			if err := tx.GetContext(ctx, &countryID, `SELECT id FROM countries WHERE code = upper($1)`, *w.CountryCode); err != nil {
				p.Add(knowledge.CodeNotFound, knowledge.Path("country"), "no country has the code %q", *w.CountryCode)
				return uuid.Nil, nil
			}
			const q = `INSERT INTO cities (country_id, name, population, latitude, longitude, wikidata_qid, geonames_id)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
			if err := tx.GetContext(ctx, &id, q, countryID, *w.Name, w.Population, lat, lon, w.WikidataID, w.GeonamesID); err != nil {
				return uuid.Nil, err
			}
		} else {
			id, action = *w.ID, "UPDATE"
			var ok bool
			var err error
			if before, ok, err = lockVersion(ctx, tx, citiesTable, id, w.Version, p); err != nil || !ok {
				return uuid.Nil, err
			}
			// $8 names the fields the update clears (knowledge.Cleared).
			const q = `UPDATE cities SET name = coalesce($2, name),
  population = CASE WHEN 'population' = ANY($8) THEN NULL ELSE coalesce($3, population) END,
  latitude = CASE WHEN 'location' = ANY($8) THEN NULL ELSE coalesce($4, latitude) END,
  longitude = CASE WHEN 'location' = ANY($8) THEN NULL ELSE coalesce($5, longitude) END,
  wikidata_qid = CASE WHEN 'wikidataId' = ANY($8) THEN NULL ELSE coalesce($6, wikidata_qid) END,
  geonames_id = coalesce($7, geonames_id), version = version + 1, updated_at = now()
WHERE id = $1`
			if _, err := tx.ExecContext(ctx, q, id, w.Name, w.Population, lat, lon, w.WikidataID, w.GeonamesID, pq.Array([]string(w.Clear))); err != nil {
				return uuid.Nil, err
			}
		}
		if w.Names != nil {
			if err := replaceNames(ctx, tx, "city_names", "city_id", id, *w.Names); err != nil {
				return uuid.Nil, err
			}
		}
		sources, err := citeSources(ctx, tx, meta, w.Sources, citiesTable, id, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		return id, finish(ctx, tx, meta, action, citiesTable, id, before, sources, nil)
	})
}

func replaceNames(ctx context.Context, tx *sqlx.Tx, table, column string, id uuid.UUID, names []knowledge.Name) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = $1`, table, column), id); err != nil {
		return err
	}
	langs, values := make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		langs[i], values[i] = n.Language, n.Name
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s, language, name) SELECT $1, l, n FROM unnest($2::text[], $3::text[]) AS t(l, n)`, table, column)
	_, err := tx.ExecContext(ctx, q, id, pq.Array(langs), pq.Array(values))
	return err
}

// WriteOfficial creates an official (w.ID nil) or updates one.
func (db *DB) WriteOfficial(ctx context.Context, meta knowledge.WriteMeta, w knowledge.OfficialWrite) (knowledge.WriteResult, error) {
	mutation := "createOfficial"
	if w.ID != nil {
		mutation = "updateOfficial"
	}
	return db.writeTx(ctx, meta, mutation, officialsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		w.Check(p)
		if err := mustExist(ctx, tx, "cities", "city", w.CityID, knowledge.Path("city"), p); err != nil || p.Any() {
			return uuid.Nil, err
		}
		var id uuid.UUID
		var before []byte
		action := "CREATE"
		if w.ID == nil {
			const q = `INSERT INTO officials (name, title, city_id) VALUES ($1, $2, $3) RETURNING id`
			if err := tx.GetContext(ctx, &id, q, *w.Name, w.Title, w.CityID); err != nil {
				return uuid.Nil, err
			}
		} else {
			id, action = *w.ID, "UPDATE"
			var ok bool
			var err error
			if before, ok, err = lockVersion(ctx, tx, officialsTable, id, w.Version, p); err != nil || !ok {
				return uuid.Nil, err
			}
			if w.CityID != nil || w.Clear.Has("city") {
				// His row is locked (lockVersion), and an agreement's write takes a
				// share lock on every official it names (checkAgreementRefs): no
				// signature for his old city can be added while he moves. An official
				// whose city is cleared represents none, so signs for none.
				city := uuid.Nil
				if w.CityID != nil {
					city = *w.CityID
				}
				var signsFor []uuid.UUID
				const sq = `SELECT party_city_id FROM signatories WHERE official_id = $1 ORDER BY agreement_id`
				if err := tx.SelectContext(ctx, &signsFor, sq, id); err != nil {
					return uuid.Nil, err
				}
				if knowledge.RepresentsParty(p, knowledge.Path("city"), city, signsFor); p.Any() {
					return uuid.Nil, nil
				}
			}
			// $5 names the fields the update clears (knowledge.Cleared).
			const q = `UPDATE officials SET name = coalesce($2, name),
  title = CASE WHEN 'title' = ANY($5) THEN NULL ELSE coalesce($3, title) END,
  city_id = CASE WHEN 'city' = ANY($5) THEN NULL ELSE coalesce($4, city_id) END,
  version = version + 1, updated_at = now() WHERE id = $1`
			if _, err := tx.ExecContext(ctx, q, id, w.Name, w.Title, w.CityID, pq.Array([]string(w.Clear))); err != nil {
				return uuid.Nil, err
			}
		}
		if w.Names != nil {
			if err := replaceNames(ctx, tx, "official_names", "official_id", id, *w.Names); err != nil {
				return uuid.Nil, err
			}
		}
		sources, err := citeSources(ctx, tx, meta, w.Sources, officialsTable, id, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		return id, finish(ctx, tx, meta, action, officialsTable, id, before, sources, nil)
	})
}

// WriteAgreement creates an agreement (w.ID nil) or updates one. A signatory must sign
// for one of the parties, and the official must represent one of them.
func (db *DB) WriteAgreement(ctx context.Context, meta knowledge.WriteMeta, w knowledge.AgreementWrite) (knowledge.WriteResult, error) {
	mutation := "createAgreement"
	if w.ID != nil {
		mutation = "updateAgreement"
	}
	return db.writeTx(ctx, meta, mutation, agreementsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		var id uuid.UUID
		var before []byte
		action := "CREATE"
		if w.ID != nil {
			id, action = *w.ID, "UPDATE"
			var ok bool
			var err error
			if before, ok, err = lockVersion(ctx, tx, agreementsTable, id, w.Version, p); err != nil || !ok {
				return uuid.Nil, err
			}
			// Signatories are checked against the parties the agreement will have.
			if w.Signatories != nil && w.Parties == nil {
				var parties []uuid.UUID
				if err := tx.SelectContext(ctx, &parties, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1`, id); err != nil {
					return uuid.Nil, err
				}
				w.Parties = &parties
			}
			// New parties with the old signatories: the signatures are kept, so they
			// must still be for parties.
			if w.Parties != nil && w.Signatories == nil {
				kept, err := agreementSignatories(ctx, tx, id)
				if err != nil {
					return uuid.Nil, err
				}
				knowledge.SignatoriesStayParties(p, knowledge.Path("parties"), *w.Parties, kept)
			}
			if w.Parties != nil {
				if err := partnersStayParties(ctx, tx, id, *w.Parties, p); err != nil {
					return uuid.Nil, err
				}
			}
		}
		w.Check(p)
		if err := checkAgreementRefs(ctx, tx, w, p); err != nil || p.Any() {
			return uuid.Nil, err
		}
		if w.ID == nil {
			const q = `INSERT INTO agreements (title, kind, signed_on, signed_on_precision, signed_in_id, summary)
VALUES ($1, $2, $3, coalesce($4, 'day'), $5, $6) RETURNING id`
			day, precision := dateArgs(w.SignedOn)
			if err := tx.GetContext(ctx, &id, q, *w.Title, string(*w.Kind), day, precision, w.SignedInID, w.Summary); err != nil {
				return uuid.Nil, err
			}
		} else {
			var kind *string
			if w.Kind != nil {
				k := string(*w.Kind)
				kind = &k
			}
			// $7 names the fields the update clears (knowledge.Cleared); a date and its
			// precision are written, kept and cleared together.
			const q = `UPDATE agreements SET title = coalesce($2, title), kind = coalesce($3, kind),
  signed_on = CASE WHEN 'signedOn' = ANY($7) THEN NULL ELSE coalesce($4, signed_on) END,
  signed_on_precision = CASE WHEN 'signedOn' = ANY($7) THEN 'day' ELSE coalesce($8, signed_on_precision) END,
  signed_in_id = CASE WHEN 'signedIn' = ANY($7) THEN NULL ELSE coalesce($5, signed_in_id) END,
  summary = CASE WHEN 'summary' = ANY($7) THEN NULL ELSE coalesce($6, summary) END, version = version + 1, updated_at = now()
WHERE id = $1`
			day, precision := dateArgs(w.SignedOn)
			if _, err := tx.ExecContext(ctx, q, id, w.Title, kind, day, w.SignedInID, w.Summary, pq.Array([]string(w.Clear)), precision); err != nil {
				return uuid.Nil, err
			}
		}
		// The parties it had: a city that stops being one sees its list change too.
		var cities []uuid.UUID
		if err := tx.SelectContext(ctx, &cities, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, id); err != nil {
			return uuid.Nil, err
		}
		if err := replaceAgreementParts(ctx, tx, id, w); err != nil {
			return uuid.Nil, err
		}
		sources, err := citeSources(ctx, tx, meta, w.Sources, agreementsTable, id, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		if err := finish(ctx, tx, meta, action, agreementsTable, id, before, sources, nil); err != nil {
			return uuid.Nil, err
		}
		var now []uuid.UUID
		if err := tx.SelectContext(ctx, &now, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, id); err != nil {
			return uuid.Nil, err
		}
		for _, c := range now {
			if !slices.Contains(cities, c) {
				cities = append(cities, c)
			}
		}
		return id, notifyChange(ctx, tx, knowledge.Change{Entity: "agreement", Action: changeAction(action), ID: id, Cities: cities})
	})
}

func changeAction(auditAction string) string {
	switch auditAction {
	case "CREATE":
		return knowledge.ChangeCreated
	case "RETRACT":
		return knowledge.ChangeRetracted
	}
	return knowledge.ChangeUpdated
}

// checkAgreementRefs checks that every city and official the agreement names exists,
// and that each signatory represents one of the parties and signs for that one.
func checkAgreementRefs(ctx context.Context, tx *sqlx.Tx, w knowledge.AgreementWrite, p *knowledge.Problems) error {
	if err := mustExist(ctx, tx, "cities", "city", w.SignedInID, knowledge.Path("signedIn"), p); err != nil {
		return err
	}
	if w.Parties != nil && len(*w.Parties) <= knowledge.MaxParties { // a longer list is refused whole
		gone, err := missing(ctx, tx, "cities", *w.Parties)
		if err != nil {
			return err
		}
		for i, id := range *w.Parties {
			if gone[id] {
				p.Add(knowledge.CodeNotFound, knowledge.Path("parties", i), "no city has this id")
			}
		}
	}
	if w.Signatories == nil || len(*w.Signatories) > knowledge.MaxSignatories {
		return nil
	}
	parties := map[uuid.UUID]bool{}
	if w.Parties != nil {
		for _, id := range *w.Parties {
			parties[id] = true
		}
	}
	for i, s := range *w.Signatories {
		var cityID *uuid.UUID
		// Shared, so that the official cannot move (updateOfficial) before this commits.
		err := tx.GetContext(ctx, &cityID, `SELECT city_id FROM officials WHERE id = $1 FOR SHARE`, s.OfficialID)
		switch {
		case err != nil && strings.Contains(err.Error(), "no rows"):
			p.Add(knowledge.CodeNotFound, knowledge.Path("signatories", i, "official"), "no official has this id")
		case err != nil:
			return err
		case cityID == nil || !parties[*cityID]:
			p.Invalid(knowledge.Path("signatories", i, "official"), "the official does not represent any of the agreement's parties")
		case *cityID != s.PartyID:
			p.Invalid(knowledge.Path("signatories", i, "party"), "the official represents another of the parties and signs for that one")
		}
	}
	return nil
}

// agreementSignatories reads an agreement's signatories, in order.
func agreementSignatories(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) ([]knowledge.SignatoryWrite, error) {
	var keep []knowledge.SignatoryWrite
	rows, err := tx.QueryxContext(ctx, `SELECT official_id, party_city_id, role FROM signatories WHERE agreement_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s knowledge.SignatoryWrite
		if err := rows.Scan(&s.OfficialID, &s.PartyID, &s.Role); err != nil {
			return nil, err
		}
		keep = append(keep, s)
	}
	return keep, rows.Err()
}

// partnersStayParties checks new parties against the partnerships that stand on the
// agreement (knowledge.PartnersStayParties). The agreement's row is locked for the
// update, and a partnership's write takes a share lock on the agreement it names
// (agreementJoinsPartners), so none can come to stand on it meanwhile.
func partnersStayParties(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, parties []uuid.UUID, p *knowledge.Problems) error {
	var rows []struct {
		A uuid.UUID `db:"city_a_id"`
		B uuid.UUID `db:"city_b_id"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT city_a_id, city_b_id FROM partnerships WHERE agreement_id = $1`, id); err != nil {
		return err
	}
	pairs := make([][2]uuid.UUID, len(rows))
	for i, r := range rows {
		pairs[i] = [2]uuid.UUID{r.A, r.B}
	}
	knowledge.PartnersStayParties(p, knowledge.Path("parties"), parties, pairs)
	return nil
}

// agreementJoinsPartners checks that the agreement a partnership stands on is between
// its two cities (knowledge.AgreementJoinsPartners), locking the agreement so that its
// parties cannot change before the write commits. A missing agreement is NOT_FOUND.
func agreementJoinsPartners(ctx context.Context, tx *sqlx.Tx, agreement uuid.UUID, cities [2]uuid.UUID, p *knowledge.Problems) error {
	var found []uuid.UUID
	if err := tx.SelectContext(ctx, &found, `SELECT id FROM agreements WHERE id = $1 FOR SHARE`, agreement); err != nil {
		return err
	}
	if len(found) == 0 {
		p.Add(knowledge.CodeNotFound, knowledge.Path("agreement"), "no agreement has this id")
		return nil
	}
	var parties []uuid.UUID
	if err := tx.SelectContext(ctx, &parties, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1`, agreement); err != nil {
		return err
	}
	knowledge.AgreementJoinsPartners(p, knowledge.Path("agreement"), cities, parties)
	return nil
}

// replaceAgreementParts writes the parties, areas and signatories the write gives.
func replaceAgreementParts(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, w knowledge.AgreementWrite) error {
	if w.Parties != nil {
		// Signatories hang off parties, so they go first and come back below.
		if w.Signatories == nil {
			keep, err := agreementSignatories(ctx, tx, id)
			if err != nil {
				return err
			}
			w.Signatories = &keep
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signatories WHERE agreement_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM agreement_parties WHERE agreement_id = $1`, id); err != nil {
			return err
		}
		const q = `INSERT INTO agreement_parties (agreement_id, city_id, position)
SELECT $1, c, (o - 1)::smallint FROM unnest($2::uuid[]) WITH ORDINALITY AS t(c, o)`
		if _, err := tx.ExecContext(ctx, q, id, pq.Array(uuidStrings(*w.Parties))); err != nil {
			return err
		}
	}
	if w.Areas != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM agreement_areas WHERE agreement_id = $1`, id); err != nil {
			return err
		}
		areas := make([]string, len(*w.Areas))
		for i, a := range *w.Areas {
			areas[i] = string(a)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agreement_areas (agreement_id, area) SELECT DISTINCT $1::uuid, unnest($2::text[])`, id, pq.Array(areas)); err != nil {
			return err
		}
	}
	if w.Signatories != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signatories WHERE agreement_id = $1`, id); err != nil {
			return err
		}
		for i, s := range *w.Signatories {
			const q = `INSERT INTO signatories (agreement_id, official_id, party_city_id, role, position) VALUES ($1, $2, $3, $4, $5)`
			if _, err := tx.ExecContext(ctx, q, id, s.OfficialID, s.PartyID, s.Role, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// WritePartnership creates a partnership (w.ID nil) or updates one.
func (db *DB) WritePartnership(ctx context.Context, meta knowledge.WriteMeta, w knowledge.PartnershipWrite) (knowledge.WriteResult, error) {
	mutation := "createPartnership"
	if w.ID != nil {
		mutation = "updatePartnership"
	}
	return db.writeTx(ctx, meta, mutation, partnershipsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		w.Check(p)
		if p.Any() {
			return uuid.Nil, nil
		}
		var id uuid.UUID
		var before []byte
		action := "CREATE"
		if w.ID == nil {
			gone, err := missing(ctx, tx, "cities", w.CityIDs)
			if err != nil {
				return uuid.Nil, err
			}
			for i, c := range w.CityIDs {
				if gone[c] {
					p.Add(knowledge.CodeNotFound, knowledge.Path("cities", i), "no city has this id")
				}
			}
			if w.AgreementID != nil {
				if err := agreementJoinsPartners(ctx, tx, *w.AgreementID, [2]uuid.UUID{w.CityIDs[0], w.CityIDs[1]}, p); err != nil {
					return uuid.Nil, err
				}
			}
			if p.Any() {
				return uuid.Nil, nil
			}
			a, b := w.CityIDs[0], w.CityIDs[1]
			if b.String() < a.String() {
				a, b = b, a // stored once, in canonical order
			}
			const q = `INSERT INTO partnerships (kind, city_a_id, city_b_id, since, since_precision, until, until_precision, agreement_id)
VALUES ($1, $2, $3, $4, coalesce($5, 'day'), $6, coalesce($7, 'day'), $8) RETURNING id`
			since, sinceP := dateArgs(w.Since)
			until, untilP := dateArgs(w.Until)
			if err := tx.GetContext(ctx, &id, q, string(*w.Kind), a, b, since, sinceP, until, untilP, w.AgreementID); err != nil {
				return uuid.Nil, err
			}
		} else {
			id, action = *w.ID, "UPDATE"
			var ok bool
			var err error
			if before, ok, err = lockVersion(ctx, tx, partnershipsTable, id, w.Version, p); err != nil || !ok {
				return uuid.Nil, err
			}
			if w.AgreementID != nil {
				var ends struct {
					A uuid.UUID `db:"city_a_id"`
					B uuid.UUID `db:"city_b_id"`
				}
				if err := tx.GetContext(ctx, &ends, `SELECT city_a_id, city_b_id FROM partnerships WHERE id = $1`, id); err != nil {
					return uuid.Nil, err
				}
				if err := agreementJoinsPartners(ctx, tx, *w.AgreementID, [2]uuid.UUID{ends.A, ends.B}, p); err != nil || p.Any() {
					return uuid.Nil, err
				}
			}
			var kind *string
			if w.Kind != nil {
				k := string(*w.Kind)
				kind = &k
			}
			// $7 names the dates the update clears (knowledge.Cleared); a date and its
			// precision are written, kept and cleared together.
			const q = `UPDATE partnerships SET kind = coalesce($2, kind),
  since = CASE WHEN 'since' = ANY($7) THEN NULL ELSE coalesce($3, since) END,
  since_precision = CASE WHEN 'since' = ANY($7) THEN 'day' ELSE coalesce($8, since_precision) END,
  until = CASE WHEN 'until' = ANY($7) THEN NULL ELSE coalesce($4, until) END,
  until_precision = CASE WHEN 'until' = ANY($7) THEN 'day' ELSE coalesce($9, until_precision) END,
  agreement_id = CASE WHEN $6 THEN NULL ELSE coalesce($5, agreement_id) END, version = version + 1, updated_at = now() WHERE id = $1`
			since, sinceP := dateArgs(w.Since)
			until, untilP := dateArgs(w.Until)
			if _, err := tx.ExecContext(ctx, q, id, kind, since, until, w.AgreementID, w.ClearAgreement, pq.Array([]string(w.Clear)), sinceP, untilP); err != nil {
				return uuid.Nil, err
			}
		}
		if p.Any() {
			return uuid.Nil, nil
		}
		sources, err := citeSources(ctx, tx, meta, w.Sources, partnershipsTable, id, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		if err := finish(ctx, tx, meta, action, partnershipsTable, id, before, sources, nil); err != nil {
			return uuid.Nil, err
		}
		var ends struct {
			A uuid.UUID `db:"city_a_id"`
			B uuid.UUID `db:"city_b_id"`
		}
		if err := tx.GetContext(ctx, &ends, `SELECT city_a_id, city_b_id FROM partnerships WHERE id = $1`, id); err != nil {
			return uuid.Nil, err
		}
		return id, notifyChange(ctx, tx, knowledge.Change{Entity: "partnership", Action: changeAction(action), ID: id, Cities: []uuid.UUID{ends.A, ends.B}})
	})
}

// WriteInstitution creates an institution (w.ID nil) or updates one.
func (db *DB) WriteInstitution(ctx context.Context, meta knowledge.WriteMeta, w knowledge.InstitutionWrite) (knowledge.WriteResult, error) {
	mutation := "createInstitution"
	if w.ID != nil {
		mutation = "updateInstitution"
	}
	return db.writeTx(ctx, meta, mutation, institutionsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		w.Check(p)
		if err := mustExist(ctx, tx, "cities", "city", w.CityID, knowledge.Path("city"), p); err != nil {
			return uuid.Nil, err
		}
		if w.AgreementIDs != nil && len(*w.AgreementIDs) <= knowledge.MaxLinks { // a longer list is refused whole
			gone, err := missing(ctx, tx, "agreements", *w.AgreementIDs)
			if err != nil {
				return uuid.Nil, err
			}
			for i, a := range *w.AgreementIDs {
				if gone[a] {
					p.Add(knowledge.CodeNotFound, knowledge.Path("agreements", i), "no agreement has this id")
				}
			}
		}
		if p.Any() {
			return uuid.Nil, nil
		}
		var id uuid.UUID
		var before []byte
		action := "CREATE"
		if w.ID == nil {
			const q = `INSERT INTO institutions (name, kind, city_id, founded_on, founded_on_precision, description)
VALUES ($1, $2, $3, $4, coalesce($5, 'day'), $6) RETURNING id`
			day, precision := dateArgs(w.FoundedOn)
			if err := tx.GetContext(ctx, &id, q, *w.Name, string(*w.Kind), *w.CityID, day, precision, w.Description); err != nil {
				return uuid.Nil, err
			}
		} else {
			id, action = *w.ID, "UPDATE"
			var ok bool
			var err error
			if before, ok, err = lockVersion(ctx, tx, institutionsTable, id, w.Version, p); err != nil || !ok {
				return uuid.Nil, err
			}
			var kind *string
			if w.Kind != nil {
				k := string(*w.Kind)
				kind = &k
			}
			// $7 names the fields the update clears (knowledge.Cleared); a date and its
			// precision are written, kept and cleared together.
			const q = `UPDATE institutions SET name = coalesce($2, name), kind = coalesce($3, kind), city_id = coalesce($4, city_id),
  founded_on = CASE WHEN 'foundedOn' = ANY($7) THEN NULL ELSE coalesce($5, founded_on) END,
  founded_on_precision = CASE WHEN 'foundedOn' = ANY($7) THEN 'day' ELSE coalesce($8, founded_on_precision) END,
  description = CASE WHEN 'description' = ANY($7) THEN NULL ELSE coalesce($6, description) END, version = version + 1, updated_at = now()
WHERE id = $1`
			day, precision := dateArgs(w.FoundedOn)
			if _, err := tx.ExecContext(ctx, q, id, w.Name, kind, w.CityID, day, w.Description, pq.Array([]string(w.Clear)), precision); err != nil {
				return uuid.Nil, err
			}
		}
		if w.AgreementIDs != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM institution_agreements WHERE institution_id = $1`, id); err != nil {
				return uuid.Nil, err
			}
			const q = `INSERT INTO institution_agreements (institution_id, agreement_id) SELECT DISTINCT $1::uuid, unnest($2::uuid[])`
			if _, err := tx.ExecContext(ctx, q, id, pq.Array(uuidStrings(*w.AgreementIDs))); err != nil {
				return uuid.Nil, err
			}
		}
		sources, err := citeSources(ctx, tx, meta, w.Sources, institutionsTable, id, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		return id, finish(ctx, tx, meta, action, institutionsTable, id, before, sources, nil)
	})
}

// Retract takes a fact out of the live graph. Its last state stays in the audit log
// with the reason and the sources that justify the retraction. Facts that depend on it
// must be retracted first; the database's foreign keys say which.
func (db *DB) Retract(ctx context.Context, meta knowledge.WriteMeta, r knowledge.Retraction) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "retract", r.Type, r, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		r.Check(p)
		e, ok := retractable[r.Type]
		if !ok {
			p.Invalid(knowledge.Path("id"), "only cities, officials, agreements, partnerships and institutions can be retracted")
		}
		if p.Any() {
			return uuid.Nil, nil
		}
		if e == agreementsTable {
			// The linked institutions first, then the agreement: the order in which an
			// institution's own write takes them (its row, then the agreements it links),
			// so that the two cannot deadlock.
			if _, err := lockLinkedInstitutions(ctx, tx, r.ID); err != nil {
				return uuid.Nil, err
			}
		}
		before, ok, err := lockVersion(ctx, tx, e, r.ID, r.Version, p)
		if err != nil || !ok {
			return uuid.Nil, err
		}
		sources, err := resolveSources(ctx, tx, meta, r.Sources, p)
		if err != nil || p.Any() {
			return uuid.Nil, err
		}
		var change *knowledge.Change
		switch e {
		case agreementsTable, partnershipsTable:
			c, err := changeBeforeRetract(ctx, tx, e, r.ID)
			if err != nil {
				return uuid.Nil, err
			}
			change = c
		case citiesTable:
			// The city's partnerships, parties and officials go with it (the foreign
			// keys cascade): every city's lists may have changed.
			change = &knowledge.Change{Entity: ChangeCity, Action: knowledge.ChangeRetracted, ID: r.ID, CitiesOmitted: true}
		default:
			change = &knowledge.Change{Entity: announcedByFinish[e.typ], Action: knowledge.ChangeRetracted, ID: r.ID, Cities: citiesOfRow(e, r.ID, before, nil)}
		}
		var unlinked []linkedInstitution
		if e == agreementsTable {
			// Again, now that no link can come or go: the snapshots to audit.
			if unlinked, err = lockLinkedInstitutions(ctx, tx, r.ID); err != nil {
				return uuid.Nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE id = $1`, e.table), r.ID); err != nil {
			return uuid.Nil, err
		}
		if err := audit(ctx, tx, meta, "RETRACT", e, r.ID, before, nil, sources, &r.Reason); err != nil {
			return uuid.Nil, err
		}
		if err := auditUnlinked(ctx, tx, meta, unlinked, r, sources); err != nil {
			return uuid.Nil, err
		}
		return r.ID, notifyChange(ctx, tx, *change)
	})
}

func changeBeforeRetract(ctx context.Context, tx *sqlx.Tx, e entity, id uuid.UUID) (*knowledge.Change, error) {
	var cities []uuid.UUID
	var q, kind string
	if e == agreementsTable {
		q, kind = `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, "agreement"
	} else {
		q, kind = `SELECT unnest(ARRAY[city_a_id, city_b_id]) FROM partnerships WHERE id = $1`, "partnership"
	}
	if err := tx.SelectContext(ctx, &cities, q, id); err != nil {
		return nil, err
	}
	return &knowledge.Change{Entity: kind, Action: knowledge.ChangeRetracted, ID: id, Cities: cities}, nil
}

// linkedInstitution is an institution linked to an agreement being retracted, as it was
// before.
type linkedInstitution struct {
	ID     uuid.UUID `db:"id"`
	Before []byte    `db:"row"`
}

// lockLinkedInstitutions locks the institutions linked to an agreement and snapshots
// them: retracting the agreement takes their link away (the foreign key cascades), and
// that is a change to each of them, audited as such.
func lockLinkedInstitutions(ctx context.Context, tx *sqlx.Tx, agreement uuid.UUID) ([]linkedInstitution, error) {
	const q = `SELECT i.id, to_jsonb(i) AS row FROM institutions i
WHERE i.id IN (SELECT institution_id FROM institution_agreements WHERE agreement_id = $1) ORDER BY i.id FOR UPDATE`
	var out []linkedInstitution
	err := tx.SelectContext(ctx, &out, q, agreement)
	return out, err
}

// auditUnlinked gives each institution that lost its link to a retracted agreement a new
// version and an UPDATE entry citing the retraction's reason and sources, so that its
// history shows when and why the link went.
func auditUnlinked(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, unlinked []linkedInstitution, r knowledge.Retraction, sources []uuid.UUID) error {
	for _, in := range unlinked {
		if _, err := tx.ExecContext(ctx, `UPDATE institutions SET version = version + 1, updated_at = now() WHERE id = $1`, in.ID); err != nil {
			return err
		}
		reason := fmt.Sprintf("its link to agreement %s went with the agreement's retraction: %s", r.ID, r.Reason)
		if err := finish(ctx, tx, meta, "UPDATE", institutionsTable, in.ID, in.Before, sources, &reason); err != nil {
			return err
		}
	}
	return nil
}
