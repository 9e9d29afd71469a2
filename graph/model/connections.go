package model

import (
	"context"

	"github.com/amity/amity/internal/relations"
)

// PageInfo is the Relay page information of a connection.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Counter counts the whole list behind a connection. It runs only when a client asks
// for totalCount.
type Counter func(ctx context.Context) (int, error)

type connection struct {
	PageInfo *PageInfo
	count    Counter
}

// TotalCount counts the items of the whole list.
func (c *connection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// build turns a page into the parts every connection has.
func build[T any, E any](p *relations.Page[T], count Counter, edge func(cursor string, node *T) *E) (connection, []*E) {
	info := &PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if n := len(p.Cursors); n > 0 {
		info.StartCursor, info.EndCursor = &p.Cursors[0], &p.Cursors[n-1]
	}
	edges := make([]*E, len(p.Items))
	for i, item := range p.Items {
		edges[i] = edge(p.Cursors[i], item)
	}
	return connection{PageInfo: info, count: count}, edges
}

// CityConnection is a page of cities.
type CityConnection struct {
	connection
	Edges []*CityEdge
	Nodes []*relations.City
}

// CityEdge is a city and its cursor.
type CityEdge struct {
	Cursor string
	Node   *relations.City
}

// NewCityConnection returns the connection for a page of cities.
func NewCityConnection(p *relations.Page[relations.City], count Counter) *CityConnection {
	c, edges := build(p, count, func(cur string, n *relations.City) *CityEdge { return &CityEdge{cur, n} })
	return &CityConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// CountryConnection is a page of countries.
type CountryConnection struct {
	connection
	Edges []*CountryEdge
	Nodes []*relations.Country
}

// CountryEdge is a country and its cursor.
type CountryEdge struct {
	Cursor string
	Node   *relations.Country
}

// NewCountryConnection returns the connection for a page of countries.
func NewCountryConnection(p *relations.Page[relations.Country], count Counter) *CountryConnection {
	c, edges := build(p, count, func(cur string, n *relations.Country) *CountryEdge { return &CountryEdge{cur, n} })
	return &CountryConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// PartnershipConnection is a page of partnerships.
type PartnershipConnection struct {
	connection
	Edges []*PartnershipEdge
	Nodes []*relations.Partnership
}

// PartnershipEdge is a partnership and its cursor.
type PartnershipEdge struct {
	Cursor string
	Node   *relations.Partnership
}

// NewPartnershipConnection returns the connection for a page of partnerships.
func NewPartnershipConnection(p *relations.Page[relations.Partnership], count Counter) *PartnershipConnection {
	c, edges := build(p, count, func(cur string, n *relations.Partnership) *PartnershipEdge { return &PartnershipEdge{cur, n} })
	return &PartnershipConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// OfficialConnection is a page of officials.
type OfficialConnection struct {
	connection
	Edges []*OfficialEdge
	Nodes []*relations.Official
}

// OfficialEdge is an official and its cursor.
type OfficialEdge struct {
	Cursor string
	Node   *relations.Official
}

// NewOfficialConnection returns the connection for a page of officials.
func NewOfficialConnection(p *relations.Page[relations.Official], count Counter) *OfficialConnection {
	c, edges := build(p, count, func(cur string, n *relations.Official) *OfficialEdge { return &OfficialEdge{cur, n} })
	return &OfficialConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// AgreementConnection is a page of agreements.
type AgreementConnection struct {
	connection
	Edges []*AgreementEdge
	Nodes []*relations.Agreement
}

// AgreementEdge is an agreement and its cursor.
type AgreementEdge struct {
	Cursor string
	Node   *relations.Agreement
}

// NewAgreementConnection returns the connection for a page of agreements.
func NewAgreementConnection(p *relations.Page[relations.Agreement], count Counter) *AgreementConnection {
	c, edges := build(p, count, func(cur string, n *relations.Agreement) *AgreementEdge { return &AgreementEdge{cur, n} })
	return &AgreementConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// InstitutionConnection is a page of institutions.
type InstitutionConnection struct {
	connection
	Edges []*InstitutionEdge
	Nodes []*relations.Institution
}

// InstitutionEdge is an institution and its cursor.
type InstitutionEdge struct {
	Cursor string
	Node   *relations.Institution
}

// NewInstitutionConnection returns the connection for a page of institutions.
func NewInstitutionConnection(p *relations.Page[relations.Institution], count Counter) *InstitutionConnection {
	c, edges := build(p, count, func(cur string, n *relations.Institution) *InstitutionEdge { return &InstitutionEdge{cur, n} })
	return &InstitutionConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// SourceConnection is a page of sources.
type SourceConnection struct {
	connection
	Edges []*SourceEdge
	Nodes []*relations.Source
}

// SourceEdge is a source and its cursor.
type SourceEdge struct {
	Cursor string
	Node   *relations.Source
}

// NewSourceConnection returns the connection for a page of sources.
func NewSourceConnection(p *relations.Page[relations.Source], count Counter) *SourceConnection {
	c, edges := build(p, count, func(cur string, n *relations.Source) *SourceEdge { return &SourceEdge{cur, n} })
	return &SourceConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// AuditEntryConnection is a page of the audit log.
type AuditEntryConnection struct {
	connection
	Edges []*AuditEntryEdge
	Nodes []*relations.AuditEntry
}

// AuditEntryEdge is an audit entry and its cursor.
type AuditEntryEdge struct {
	Cursor string
	Node   *relations.AuditEntry
}

// NewAuditEntryConnection returns the connection for a page of the audit log.
func NewAuditEntryConnection(p *relations.Page[relations.AuditEntry], count Counter) *AuditEntryConnection {
	c, edges := build(p, count, func(cur string, n *relations.AuditEntry) *AuditEntryEdge { return &AuditEntryEdge{cur, n} })
	return &AuditEntryConnection{connection: c, Edges: edges, Nodes: p.Items}
}
