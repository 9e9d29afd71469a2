package knowledge

import "github.com/google/uuid"

// Change is what a committed write announces on ChangesChannel, as JSON:
//
//	{"entity":"agreement","action":"CREATED","id":"<uuid>","cities":["<uuid>",…]}
//
// Action is knowledge.ChangeCreated, ChangeUpdated or ChangeRetracted. Cities are the
// cities the entity concerns: an agreement's parties, a partnership's two cities, an
// official's or institution's city. CitiesOmitted is set when there were too many
// cities to fit PostgreSQL's payload limit; a listener that filters by city must then
// look the cities up itself.
//
// A bulk write (an import file, the shipped knowledge) announces many changes of one
// entity kind and action at once, with Bulk set and no ID or cities:
//
//	{"entity":"partnership","action":"CREATED","id":"00000000-…","cities":[],
//	 "bulk":{"actor":"import:ties.ndjson","first":812,"last":1311,"count":500}}
//
// The changes themselves are the audit log's entries of that actor, entity and action
// with sequences first to last (the log is appended under one lock, so no other write's
// entries fall between); DB.LogChanges reads them, each as a Change of its own.
//
// Seq is the change's sequence: the id of its audit log entry. Audit entries are
// numbered in commit order (auditLockKey), so notifications arrive in increasing Seq
// and the log is a change log a subscriber can resume from (DB.LogChanges). It is 0 in
// a bulk change, and in a notification from a server that predates sequences.
type Change struct {
	Seq           int64       `json:"seq,omitempty"`
	Entity        string      `json:"entity"`
	Action        string      `json:"action"`
	ID            uuid.UUID   `json:"id"`
	Cities        []uuid.UUID `json:"cities"`
	CitiesOmitted bool        `json:"citiesOmitted,omitempty"`
	Bulk          *BulkChange `json:"bulk,omitempty"`
}

// BulkChange names the audit log entries that stand for the changes of a bulk write:
// those of Actor (with no API key) from sequence First to Last, Count of them. Other
// writers' entries may lie between First and Last; they are not part of it.
type BulkChange struct {
	Actor string `json:"actor"`
	First int64  `json:"first"`
	Last  int64  `json:"last"`
	Count int64  `json:"count"`
}
