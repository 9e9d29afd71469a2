package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type sourceRow struct {
	pageCols
	ID          uuid.UUID      `db:"id"`
	Version     int            `db:"version"`
	Title       string         `db:"title"`
	Publisher   *string        `db:"publisher"`
	URL         *string        `db:"url"`
	PublishedOn dbDate         `db:"published_on"`
	Excerpt     *string        `db:"excerpt"`
	Languages   pq.StringArray `db:"languages"`
}

const sourceCols = "s.id, s.version, s.title, s.publisher, s.url, amity_date_text(s.published_on, s.published_on_precision) AS published_on, s.excerpt, s.languages"

func (r *sourceRow) domain() *knowledge.Source {
	return &knowledge.Source{
		ID: r.ID, Version: r.Version, Title: r.Title, Publisher: r.Publisher, URL: r.URL,
		PublishedOn: r.PublishedOn.d, Excerpt: r.Excerpt, Languages: []string(r.Languages),
	}
}

var sourceListing = listing{
	order: "source:published",
	from:  "sources s", cols: sourceCols,
	key: "coalesce(s.published_on, '-infinity'::date)", keyType: "date", id: "s.id", desc: true,
}

// SourcesByID returns the sources with the given ids.
func (db *DB) SourcesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Source, error) {
	rows, err := byIDs[sourceRow](ctx, db, sourceCols, "sources s", "s.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(s *knowledge.Source) uuid.UUID { return s.ID }), nil
}

// Sources returns a page of all sources, newest first.
func (db *DB) Sources(ctx context.Context, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Source], error) {
	return listPage[sourceRow, *sourceRow](ctx, db, sourceListing, "true", nil, pa)
}

// CountSources counts all sources.
func (db *DB) CountSources(ctx context.Context) (int, error) {
	return count(ctx, db, sourceListing, "true", nil)
}

// SourcesOf returns the sources each entity of the subject kind cites, newest first.
// Besides the sources cited for the entity as a whole, that includes the sources of its
// statements, so nothing an entity shows is without its source.
func (db *DB) SourcesOf(ctx context.Context, subject knowledge.Subject, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.Source, error) {
	if err := subject.Valid(); err != nil {
		return nil, err
	}
	// The table and column names come from the closed set of Subjects above, never from
	// input.
	q := fmt.Sprintf(`SELECT cited.owner_id AS parent_id, %[2]s
FROM (SELECT %[1]s_id AS owner_id, source_id FROM %[1]s_sources WHERE %[1]s_id = ANY($1::uuid[])
      UNION
      SELECT %[1]s_id, source_id FROM statements WHERE %[1]s_id = ANY($1::uuid[])) cited
JOIN sources s ON s.id = cited.source_id
ORDER BY cited.owner_id, s.published_on DESC NULLS LAST, s.title, s.id`, subject, sourceCols)
	return selectGrouped[sourceRow, *sourceRow](ctx, db, q, ids)
}

// StatementsOf returns the statements about each entity of the subject kind, in the
// order they were recorded.
func (db *DB) StatementsOf(ctx context.Context, subject knowledge.Subject, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.Statement, error) {
	if err := subject.Valid(); err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`SELECT %[1]s_id AS owner_id, id, property, value, source_id, quote FROM statements
WHERE %[1]s_id = ANY($1::uuid[]) ORDER BY %[1]s_id, position, property, id`, subject)
	var rows []struct {
		OwnerID  uuid.UUID `db:"owner_id"`
		ID       uuid.UUID `db:"id"`
		Property string    `db:"property"`
		Value    string    `db:"value"`
		SourceID uuid.UUID `db:"source_id"`
		Quote    *string   `db:"quote"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(ids))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]*knowledge.Statement, len(ids))
	for _, r := range rows {
		out[r.OwnerID] = append(out[r.OwnerID], &knowledge.Statement{
			ID: r.ID, Property: r.Property, Value: r.Value, SourceID: r.SourceID, Quote: r.Quote,
		})
	}
	return out, nil
}

// ReportedFigures returns the figures sources report about each city, by metric and date.
func (db *DB) ReportedFigures(ctx context.Context, cities []uuid.UUID) (map[uuid.UUID][]*knowledge.ReportedFigure, error) {
	const q = `SELECT id, city_id, metric, value, amity_date_text(as_of, as_of_precision) AS as_of, source_id FROM reported_figures
WHERE city_id = ANY($1::uuid[])
ORDER BY city_id, array_position(ARRAY['FRIENDLY_CITIES','FRIENDLY_COUNTRIES','SISTER_CITIES','FRIENDLY_EXCHANGE_CITIES'], metric),
         reported_figures.as_of DESC NULLS LAST, reported_figures.as_of_precision, id`
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		CityID   uuid.UUID `db:"city_id"`
		Metric   string    `db:"metric"`
		Value    int       `db:"value"`
		AsOf     dbDate    `db:"as_of"`
		SourceID uuid.UUID `db:"source_id"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(cities))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]*knowledge.ReportedFigure, len(cities))
	for _, r := range rows {
		out[r.CityID] = append(out[r.CityID], &knowledge.ReportedFigure{
			ID: r.ID, CityID: r.CityID, Metric: knowledge.FigureMetric(r.Metric), Value: r.Value,
			AsOf: r.AsOf.d, SourceID: r.SourceID,
		})
	}
	return out, nil
}
