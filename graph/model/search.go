package model

import "github.com/amity/amity/internal/knowledge"

// SearchResult is anything search finds: a *knowledge.City, Official, Agreement,
// Institution or Country.
type SearchResult interface{}

// SearchEdge is a search hit with its cursor, score and the text that matched.
type SearchEdge struct {
	Cursor  string
	Node    SearchResult
	Score   float64
	Matched string
}

// SearchConnection is a page of search hits.
type SearchConnection struct {
	connection
	Edges []*SearchEdge
	Nodes []SearchResult
}

// NewSearchConnection returns the connection for a page of hits whose nodes are loaded.
func NewSearchConnection(p *knowledge.Page[knowledge.SearchHit], nodes []SearchResult, count Counter) *SearchConnection {
	c, edges := build(p, count, func(cur string, h *knowledge.SearchHit) *SearchEdge {
		return &SearchEdge{Cursor: cur, Score: h.Score, Matched: h.Matched}
	})
	for i := range edges {
		edges[i].Node = nodes[i]
	}
	return &SearchConnection{connection: c, Edges: edges, Nodes: nodes}
}
