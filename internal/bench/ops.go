package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// An op is one benchmark operation, written once for each server's schema, with a
// projection of each server's answer onto the same normalized shape so that the
// harness can check that both return the same data before it times them.
type op struct {
	Name, Desc string
	// PG is empty for operations PostGraphile's schema has no counterpart for.
	Amity, PG string
	// NeedsCity: the op takes a city id; NeedsPair: two (from, to); NeedsName: a name.
	NeedsCity, NeedsPair, NeedsName bool
	normAmity                       func(json.RawMessage) (any, error)
	normPG                          func(json.RawMessage) (any, error)
}

// PostGraphileSchemaSQL exposes, for PostGraphile, the two relations Amity derives and a
// plain table schema does not have: a city's partnerships seen from either side (stored
// once, as city_a_id < city_b_id) and a city's agreements ordered by signing date. Both
// are views with smart tags (PostGraphile's documented way to add relations), and a
// smart-tag foreign key gives Agreement a `signatories` field (the table's real foreign
// key goes to agreement_parties). Nothing here changes a table or what Amity reads.
const PostGraphileSchemaSQL = `
CREATE OR REPLACE VIEW bench_city_partnerships AS
  SELECT p.id AS partnership_id, p.city_a_id AS city_id, p.city_b_id AS partner_id, p.kind, p.since, p.until, p.agreement_id FROM partnerships p
  UNION ALL
  SELECT p.id, p.city_b_id, p.city_a_id, p.kind, p.since, p.until, p.agreement_id FROM partnerships p;
COMMENT ON VIEW bench_city_partnerships IS E'@primaryKey partnership_id,city_id\n@foreignKey (city_id) references cities (id)|@fieldName city|@foreignFieldName partnerships\n@foreignKey (partner_id) references cities (id)|@fieldName partner|@foreignFieldName partneredBy\n@foreignKey (partnership_id) references partnerships (id)';
CREATE OR REPLACE VIEW bench_city_agreements AS
  SELECT ap.city_id, ap.agreement_id, a.signed_on FROM agreement_parties ap JOIN agreements a ON a.id = ap.agreement_id;
COMMENT ON VIEW bench_city_agreements IS E'@primaryKey city_id,agreement_id\n@foreignKey (city_id) references cities (id)|@foreignFieldName agreements\n@foreignKey (agreement_id) references agreements (id)|@fieldName agreement';
COMMENT ON TABLE signatories IS E'@foreignKey (agreement_id) references agreements (id)|@foreignFieldName signatories';
`

// PostGraphileIndexes are the indexes PostGraphile's own orderings need, created on the
// bench databases (never by a migration: Amity does not read them). Amity's migration
// 00004 indexes its newest-first lists on coalesce(date, '-infinity'), which sorts
// undated rows last and which only Amity's ORDER BY names; PostGraphile orders by the
// plain column (`ORDER BY signed_on DESC, id DESC`, and `since DESC, partnership_id
// DESC` through bench_city_partnerships, whose two halves PostgreSQL reads with a Merge
// Append of the two city indexes). Without these its Q3 sorts every agreement (86 ms a
// statement at l) and its Q2 reads all of a hub's partnerships. Read from its SQL with
// EXPLAIN (docs/benchmarks.md, "Indexes").
var PostGraphileIndexes = []string{
	`CREATE INDEX IF NOT EXISTS bench_pg_agreements_signed_on_idx ON agreements (signed_on DESC, id DESC)`,
	`CREATE INDEX IF NOT EXISTS bench_pg_partnerships_city_a_since_idx ON partnerships (city_a_id, since DESC, id DESC)`,
	`CREATE INDEX IF NOT EXISTS bench_pg_partnerships_city_b_since_idx ON partnerships (city_b_id, since DESC, id DESC)`,
}

// createPostGraphileIndexes creates PostGraphileIndexes where missing and, when it
// created any, refreshes the planner's statistics so that it sees them.
func createPostGraphileIndexes(ctx context.Context, db *sql.DB) error {
	var before int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'bench_pg_%'`).Scan(&before); err != nil {
		return err
	}
	if before == len(PostGraphileIndexes) {
		return nil
	}
	// One connection, so that the memory setting applies to the builds.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	for _, q := range PostGraphileIndexes {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("postgraphile index: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE agreements; ANALYZE partnerships`); err != nil {
		return fmt.Errorf("analyze after the postgraphile indexes: %w", err)
	}
	return nil
}

type nName struct {
	Name string `json:"name"`
}

type nCountry struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name"`
}

// Normalized shapes: names, counts, dates; lists whose order one side cannot express
// (PostGraphile orders only by indexed columns) are sorted.
type (
	n1 struct {
		Name, Population, Country, Code string
	}
	n2 struct {
		Name         string
		Partnerships []n2p
	}
	n2p struct{ Kind, Since, Partner, Country string }
	n3a struct {
		Title, SignedOn string
		Parties         []string // "city/country", sorted
		Signatories     []string // "name/title/city", sorted
	}
	n4 struct {
		Name         string
		Partnerships []n4p
	}
	n4p struct {
		Kind, Since, Partner string
		Agreements           []n4a
	}
	n4a struct {
		Title, SignedOn string
		Signatories     []string // "name/title", sorted
	}
)

func sorted(s []string) []string {
	if s == nil {
		s = []string{}
	}
	sort.Strings(s)
	return s
}

func unquote(raw json.RawMessage) string {
	return strings.Trim(string(raw), `"`)
}

var ops = []op{
	{
		Name: "Q1", Desc: "one city by id with its country", NeedsCity: true,
		Amity: `query Q1($id: ID!) { city(id: $id) { name population country { code name } } }`,
		PG:    `query Q1($id: UUID!) { cityByRowId(rowId: $id) { name population countryByCountryId { code name } } }`,
		normAmity: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name       string          `json:"name"`
					Population json.RawMessage `json:"population"`
					Country    nCountry        `json:"country"`
				} `json:"city"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			c := d.City
			return n1{c.Name, unquote(c.Population), c.Country.Name, c.Country.Code}, nil
		},
		normPG: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name       string          `json:"name"`
					Population json.RawMessage `json:"population"`
					Country    nCountry        `json:"countryByCountryId"`
				} `json:"cityByRowId"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			c := d.City
			return n1{c.Name, unquote(c.Population), c.Country.Name, c.Country.Code}, nil
		},
	},
	{
		Name: "Q2", Desc: "one city with its first 50 partnerships, each partner's name and country", NeedsCity: true,
		Amity: `query Q2($id: ID!) { city(id: $id) { name partnerships(first: 50) { nodes { kind since partner { name country { name } } } } } }`,
		PG: `query Q2($id: UUID!) { cityByRowId(rowId: $id) { name partnerships(first: 50, orderBy: [SINCE_DESC, PARTNERSHIP_ID_DESC]) {
  nodes { kind since partner { name countryByCountryId { name } } } } } }`,
		normAmity: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name         string `json:"name"`
					Partnerships struct {
						Nodes []struct {
							Kind    string `json:"kind"`
							Since   string `json:"since"`
							Partner struct {
								Name    string `json:"name"`
								Country nName  `json:"country"`
							} `json:"partner"`
						} `json:"nodes"`
					} `json:"partnerships"`
				} `json:"city"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			out := n2{Name: d.City.Name, Partnerships: []n2p{}}
			for _, p := range d.City.Partnerships.Nodes {
				out.Partnerships = append(out.Partnerships, n2p{p.Kind, p.Since, p.Partner.Name, p.Partner.Country.Name})
			}
			return out, nil
		},
		normPG: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name         string `json:"name"`
					Partnerships struct {
						Nodes []struct {
							Kind    string `json:"kind"`
							Since   string `json:"since"`
							Partner struct {
								Name    string `json:"name"`
								Country nName  `json:"countryByCountryId"`
							} `json:"partner"`
						} `json:"nodes"`
					} `json:"partnerships"`
				} `json:"cityByRowId"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			out := n2{Name: d.City.Name, Partnerships: []n2p{}}
			for _, p := range d.City.Partnerships.Nodes {
				out.Partnerships = append(out.Partnerships, n2p{p.Kind, p.Since, p.Partner.Name, p.Partner.Country.Name})
			}
			return out, nil
		},
	},
	{
		Name: "Q3", Desc: "20 agreements newest first, with parties (city, country) and signatories (name, title, city)",
		Amity: `query Q3 { agreements(first: 20) { nodes { title signedOn parties { name country { name } }
  signatories { official { name title city { name } } } } } }`,
		PG: `query Q3 { allAgreements(first: 20, orderBy: [SIGNED_ON_DESC, ROW_ID_DESC]) { nodes { title signedOn
  agreementPartiesByAgreementId { nodes { cityByCityId { name countryByCountryId { name } } } }
  signatories { nodes { officialByOfficialId { name title cityByCityId { name } } } } } } }`,
		normAmity: func(b json.RawMessage) (any, error) {
			var d struct {
				Agreements struct {
					Nodes []struct {
						Title    string `json:"title"`
						SignedOn string `json:"signedOn"`
						Parties  []struct {
							Name    string `json:"name"`
							Country nName  `json:"country"`
						} `json:"parties"`
						Signatories []struct {
							Official struct {
								Name  string `json:"name"`
								Title string `json:"title"`
								City  nName  `json:"city"`
							} `json:"official"`
						} `json:"signatories"`
					} `json:"nodes"`
				} `json:"agreements"`
			}
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, err
			}
			out := []n3a{}
			for _, a := range d.Agreements.Nodes {
				x := n3a{Title: a.Title, SignedOn: a.SignedOn}
				for _, p := range a.Parties {
					x.Parties = append(x.Parties, p.Name+"/"+p.Country.Name)
				}
				for _, s := range a.Signatories {
					x.Signatories = append(x.Signatories, s.Official.Name+"/"+s.Official.Title+"/"+s.Official.City.Name)
				}
				x.Parties, x.Signatories = sorted(x.Parties), sorted(x.Signatories)
				out = append(out, x)
			}
			return out, nil
		},
		normPG: func(b json.RawMessage) (any, error) {
			var d struct {
				Agreements struct {
					Nodes []struct {
						Title    string `json:"title"`
						SignedOn string `json:"signedOn"`
						Parties  struct {
							Nodes []struct {
								City struct {
									Name    string `json:"name"`
									Country nName  `json:"countryByCountryId"`
								} `json:"cityByCityId"`
							} `json:"nodes"`
						} `json:"agreementPartiesByAgreementId"`
						Signatories struct {
							Nodes []struct {
								Official struct {
									Name  string `json:"name"`
									Title string `json:"title"`
									City  nName  `json:"cityByCityId"`
								} `json:"officialByOfficialId"`
							} `json:"nodes"`
						} `json:"signatories"`
					} `json:"nodes"`
				} `json:"allAgreements"`
			}
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, err
			}
			out := []n3a{}
			for _, a := range d.Agreements.Nodes {
				x := n3a{Title: a.Title, SignedOn: a.SignedOn}
				for _, p := range a.Parties.Nodes {
					x.Parties = append(x.Parties, p.City.Name+"/"+p.City.Country.Name)
				}
				for _, s := range a.Signatories.Nodes {
					x.Signatories = append(x.Signatories, s.Official.Name+"/"+s.Official.Title+"/"+s.Official.City.Name)
				}
				x.Parties, x.Signatories = sorted(x.Parties), sorted(x.Signatories)
				out = append(out, x)
			}
			return out, nil
		},
	},
	{
		Name: "Q4", Desc: "one city → first 20 partnerships → partner → its first 5 agreements → signatories", NeedsCity: true,
		Amity: `query Q4($id: ID!) { city(id: $id) { name partnerships(first: 20) { nodes { kind since partner { name
  agreements(first: 5) { nodes { title signedOn signatories { official { name title } } } } } } } } }`,
		PG: `query Q4($id: UUID!) { cityByRowId(rowId: $id) { name partnerships(first: 20, orderBy: [SINCE_DESC, PARTNERSHIP_ID_DESC]) { nodes { kind since partner { name
  agreements(first: 5, orderBy: [SIGNED_ON_DESC, AGREEMENT_ID_DESC]) { nodes { agreement { title signedOn
    signatories { nodes { officialByOfficialId { name title } } } } } } } } } } }`,
		normAmity: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name         string `json:"name"`
					Partnerships struct {
						Nodes []struct {
							Kind    string `json:"kind"`
							Since   string `json:"since"`
							Partner struct {
								Name       string `json:"name"`
								Agreements struct {
									Nodes []struct {
										Title       string `json:"title"`
										SignedOn    string `json:"signedOn"`
										Signatories []struct {
											Official struct {
												Name  string `json:"name"`
												Title string `json:"title"`
											} `json:"official"`
										} `json:"signatories"`
									} `json:"nodes"`
								} `json:"agreements"`
							} `json:"partner"`
						} `json:"nodes"`
					} `json:"partnerships"`
				} `json:"city"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			out := n4{Name: d.City.Name, Partnerships: []n4p{}}
			for _, p := range d.City.Partnerships.Nodes {
				x := n4p{Kind: p.Kind, Since: p.Since, Partner: p.Partner.Name, Agreements: []n4a{}}
				for _, a := range p.Partner.Agreements.Nodes {
					y := n4a{Title: a.Title, SignedOn: a.SignedOn}
					for _, s := range a.Signatories {
						y.Signatories = append(y.Signatories, s.Official.Name+"/"+s.Official.Title)
					}
					y.Signatories = sorted(y.Signatories)
					x.Agreements = append(x.Agreements, y)
				}
				out.Partnerships = append(out.Partnerships, x)
			}
			return out, nil
		},
		normPG: func(b json.RawMessage) (any, error) {
			var d struct {
				City *struct {
					Name         string `json:"name"`
					Partnerships struct {
						Nodes []struct {
							Kind    string `json:"kind"`
							Since   string `json:"since"`
							Partner struct {
								Name       string `json:"name"`
								Agreements struct {
									Nodes []struct {
										Agreement struct {
											Title       string `json:"title"`
											SignedOn    string `json:"signedOn"`
											Signatories struct {
												Nodes []struct {
													Official struct {
														Name  string `json:"name"`
														Title string `json:"title"`
													} `json:"officialByOfficialId"`
												} `json:"nodes"`
											} `json:"signatories"`
										} `json:"agreement"`
									} `json:"nodes"`
								} `json:"agreements"`
							} `json:"partner"`
						} `json:"nodes"`
					} `json:"partnerships"`
				} `json:"cityByRowId"`
			}
			if err := json.Unmarshal(b, &d); err != nil || d.City == nil {
				return nil, fmt.Errorf("no city: %v", err)
			}
			out := n4{Name: d.City.Name, Partnerships: []n4p{}}
			for _, p := range d.City.Partnerships.Nodes {
				x := n4p{Kind: p.Kind, Since: p.Since, Partner: p.Partner.Name, Agreements: []n4a{}}
				for _, a := range p.Partner.Agreements.Nodes {
					y := n4a{Title: a.Agreement.Title, SignedOn: a.Agreement.SignedOn}
					for _, s := range a.Agreement.Signatories.Nodes {
						y.Signatories = append(y.Signatories, s.Official.Name+"/"+s.Official.Title)
					}
					y.Signatories = sorted(y.Signatories)
					x.Agreements = append(x.Agreements, y)
				}
				out.Partnerships = append(out.Partnerships, x)
			}
			return out, nil
		},
	},
}

// Amity-only operations: PostGraphile's schema has no search or path finding, and
// writing them as SQL functions for it would benchmark those functions, not PostGraphile.
var amityOnly = []op{
	{
		Name: "Q5", Desc: "search for a city name with a typo (Amity only)", NeedsName: true,
		Amity: `query Q5($q: String!) { search(query: $q, types: [CITY], first: 10) { nodes { ... on City { name country { name } } } } }`,
	},
	{
		Name: "Q6", Desc: "shortest partnership paths between two cities, at most 3 hops (Amity only)", NeedsPair: true,
		Amity: `query Q6($from: ID!, $to: ID!) { connections(from: $from, to: $to, maxHops: 3, first: 3) { length cities { name } } }`,
	},
}

func init() { ops = append(ops, amityOnly...) }

func opByName(name string) (op, bool) {
	for _, o := range ops {
		if o.Name == name {
			return o, true
		}
	}
	return op{}, false
}

// requestBodies are the JSON bodies of one request of an op, for each server: for a
// city (ignored by ops without variables), its name (typo'd: "Testvile 001234"), or a
// pair of cities.
func requestBodies(o op, city, other uuid.UUID, name string) (amity, pg []byte) {
	av, pv := map[string]any{}, map[string]any{}
	switch {
	case o.NeedsCity:
		av["id"] = knowledge.GlobalID(knowledge.TypeCity, city)
		pv["id"] = city.String()
	case o.NeedsPair:
		av["from"], av["to"] = knowledge.GlobalID(knowledge.TypeCity, city), knowledge.GlobalID(knowledge.TypeCity, other)
	case o.NeedsName:
		av["q"] = strings.Replace(name, "ll", "l", 1)
	}
	amity, _ = json.Marshal(map[string]any{"query": o.Amity, "variables": av, "operationName": o.Name})
	pg, _ = json.Marshal(map[string]any{"query": o.PG, "variables": pv, "operationName": o.Name})
	return amity, pg
}

// AmityQuery returns the GraphQL document of a benchmark operation (Q1..Q6) for Amity's
// schema, and which variable it takes: "id" (a city), "pair" (from, to) or "" (none;
// Q5 takes "q", a name). Go benchmarks of the hot paths use it.
func AmityQuery(name string) (query string, ok bool) {
	o, ok := opByName(name)
	return o.Amity, ok
}
