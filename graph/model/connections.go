package model

import (
	"context"

	"github.com/amity/amity/internal/knowledge"
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
func build[T any, E any](p *knowledge.Page[T], count Counter, edge func(cursor string, node *T) *E) (connection, []*E) {
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
	Nodes []*knowledge.City
}

// CityEdge is a city and its cursor.
type CityEdge struct {
	Cursor string
	Node   *knowledge.City
}

// NewCityConnection returns the connection for a page of cities.
func NewCityConnection(p *knowledge.Page[knowledge.City], count Counter) *CityConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.City) *CityEdge { return &CityEdge{cur, n} })
	return &CityConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// CountryConnection is a page of countries.
type CountryConnection struct {
	connection
	Edges []*CountryEdge
	Nodes []*knowledge.Country
}

// CountryEdge is a country and its cursor.
type CountryEdge struct {
	Cursor string
	Node   *knowledge.Country
}

// NewCountryConnection returns the connection for a page of countries.
func NewCountryConnection(p *knowledge.Page[knowledge.Country], count Counter) *CountryConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Country) *CountryEdge { return &CountryEdge{cur, n} })
	return &CountryConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// PartnershipConnection is a page of partnerships.
type PartnershipConnection struct {
	connection
	Edges []*PartnershipEdge
	Nodes []*knowledge.Partnership
}

// PartnershipEdge is a partnership and its cursor.
type PartnershipEdge struct {
	Cursor string
	Node   *knowledge.Partnership
}

// NewPartnershipConnection returns the connection for a page of partnerships.
func NewPartnershipConnection(p *knowledge.Page[knowledge.Partnership], count Counter) *PartnershipConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Partnership) *PartnershipEdge { return &PartnershipEdge{cur, n} })
	return &PartnershipConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// OfficialConnection is a page of officials.
type OfficialConnection struct {
	connection
	Edges []*OfficialEdge
	Nodes []*knowledge.Official
}

// OfficialEdge is an official and its cursor.
type OfficialEdge struct {
	Cursor string
	Node   *knowledge.Official
}

// NewOfficialConnection returns the connection for a page of officials.
func NewOfficialConnection(p *knowledge.Page[knowledge.Official], count Counter) *OfficialConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Official) *OfficialEdge { return &OfficialEdge{cur, n} })
	return &OfficialConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// AgreementConnection is a page of agreements.
type AgreementConnection struct {
	connection
	Edges []*AgreementEdge
	Nodes []*knowledge.Agreement
}

// AgreementEdge is an agreement and its cursor.
type AgreementEdge struct {
	Cursor string
	Node   *knowledge.Agreement
}

// NewAgreementConnection returns the connection for a page of agreements.
func NewAgreementConnection(p *knowledge.Page[knowledge.Agreement], count Counter) *AgreementConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Agreement) *AgreementEdge { return &AgreementEdge{cur, n} })
	return &AgreementConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// InstitutionConnection is a page of institutions.
type InstitutionConnection struct {
	connection
	Edges []*InstitutionEdge
	Nodes []*knowledge.Institution
}

// InstitutionEdge is an institution and its cursor.
type InstitutionEdge struct {
	Cursor string
	Node   *knowledge.Institution
}

// NewInstitutionConnection returns the connection for a page of institutions.
func NewInstitutionConnection(p *knowledge.Page[knowledge.Institution], count Counter) *InstitutionConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Institution) *InstitutionEdge { return &InstitutionEdge{cur, n} })
	return &InstitutionConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// SourceConnection is a page of sources.
type SourceConnection struct {
	connection
	Edges []*SourceEdge
	Nodes []*knowledge.Source
}

// SourceEdge is a source and its cursor.
type SourceEdge struct {
	Cursor string
	Node   *knowledge.Source
}

// NewSourceConnection returns the connection for a page of sources.
func NewSourceConnection(p *knowledge.Page[knowledge.Source], count Counter) *SourceConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.Source) *SourceEdge { return &SourceEdge{cur, n} })
	return &SourceConnection{connection: c, Edges: edges, Nodes: p.Items}
}

// AuditEntryConnection is a page of the audit log.
type AuditEntryConnection struct {
	connection
	Edges []*AuditEntryEdge
	Nodes []*knowledge.AuditEntry
}

// AuditEntryEdge is an audit entry and its cursor.
type AuditEntryEdge struct {
	Cursor string
	Node   *knowledge.AuditEntry
}

// NewAuditEntryConnection returns the connection for a page of the audit log.
func NewAuditEntryConnection(p *knowledge.Page[knowledge.AuditEntry], count Counter) *AuditEntryConnection {
	c, edges := build(p, count, func(cur string, n *knowledge.AuditEntry) *AuditEntryEdge { return &AuditEntryEdge{cur, n} })
	return &AuditEntryConnection{connection: c, Edges: edges, Nodes: p.Items}
}
