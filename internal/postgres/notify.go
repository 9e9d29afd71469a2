package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// ChangesChannel is the PostgreSQL NOTIFY channel on which writes announce what they
// changed. Every server replica LISTENs on it (internal/notify), so a subscriber is told
// of a write whichever replica took it.
const ChangesChannel = "amity_changes"

// Entities a change names, as in Change.Entity.
const (
	ChangeAgreement   = "agreement"
	ChangePartnership = "partnership"
	ChangeCity        = "city"
	ChangeOfficial    = "official"
	ChangeInstitution = "institution"
	ChangeSource      = "source"
)

// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload (8000 bytes by default),
// with a margin.
const maxNotifyPayload = 7900

// Change is what a committed write announces on ChangesChannel, as JSON:
//
//	{"entity":"agreement","action":"CREATED","id":"<uuid>","cities":["<uuid>",…]}
//
// Action is relations.ChangeCreated, ChangeUpdated or ChangeRetracted. Cities are the
// cities the entity concerns: an agreement's parties, a partnership's two cities, an
// official's or institution's city. CitiesOmitted is set when there were too many
// cities to fit PostgreSQL's payload limit; a listener that filters by city must then
// look the cities up itself.
type Change struct {
	Entity        string      `json:"entity"`
	Action        string      `json:"action"`
	ID            uuid.UUID   `json:"id"`
	Cities        []uuid.UUID `json:"cities"`
	CitiesOmitted bool        `json:"citiesOmitted,omitempty"`
}

// Payload is the change as NOTIFY carries it.
func (c Change) Payload() (string, error) {
	if c.Cities == nil {
		c.Cities = []uuid.UUID{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if len(b) > maxNotifyPayload {
		c.Cities, c.CitiesOmitted = []uuid.UUID{}, true
		if b, err = json.Marshal(c); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// ParseChange reads a NOTIFY payload.
func ParseChange(payload string) (Change, error) {
	var c Change
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return Change{}, fmt.Errorf("change notification %q: %w", payload, err)
	}
	if c.Entity == "" || c.Action == "" || c.ID == uuid.Nil {
		return Change{}, fmt.Errorf("change notification %q: entity, action and id are required", payload)
	}
	return c, nil
}

// notifyChange announces a change from inside the write's transaction. PostgreSQL
// delivers the notification when the transaction commits, and never if it rolls back,
// so listeners hear of exactly the writes that happened. Call it with the transaction
// (a *sqlx.Tx), never with the pool.
func (db *DB) notifyChange(ctx context.Context, tx sqlx.ExecerContext, c Change) error {
	return NotifyChange(ctx, tx, c)
}

// NotifyChange is notifyChange for writers outside the store (bulk import, tests).
func NotifyChange(ctx context.Context, tx sqlx.ExecerContext, c Change) error {
	payload, err := c.Payload()
	if err != nil {
		return fmt.Errorf("notify change: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", ChangesChannel, payload); err != nil {
		return fmt.Errorf("notify change: %w", err)
	}
	return nil
}

// ListenDSN is the connection string a LISTEN connection opens: the store's own.
func (db *DB) ListenDSN() string {
	return db.dsn
}
