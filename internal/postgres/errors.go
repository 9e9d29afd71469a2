package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"syscall"

	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// mapError turns database errors into domain errors once, here: invalid input that the
// database caught (bad cast of a cursor value, a violated constraint) becomes
// BAD_USER_INPUT, an unreachable database SERVICE_UNAVAILABLE. Everything else stays
// as it is and reads as internal.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", "53", "57": // connection exception, insufficient resources, operator intervention
			if pqErr.Code == "57014" { // query_canceled: statement timeout or cancelled request
				return knowledge.Errorf(knowledge.EUNAVAILABLE, "the query took too long and was cancelled")
			}
			return &unavailable{err}
		case "22": // data exception: a value from the client did not fit its column
			return knowledge.Errorf(knowledge.EINVALID, "invalid value: %s", pqErr.Message)
		case "23":
			return constraintError(pqErr)
		}
		return err
	}
	// Checked before net.Error, which context.DeadlineExceeded also satisfies.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return knowledge.Errorf(knowledge.EUNAVAILABLE, "the request took too long or was cancelled")
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return &unavailable{err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return &unavailable{err}
	}
	return err
}

// unavailable wraps a connection failure: the client sees SERVICE_UNAVAILABLE, the log
// keeps the cause.
type unavailable struct{ cause error }

func (u *unavailable) Error() string { return "database unavailable: " + u.cause.Error() }
func (u *unavailable) Unwrap() []error {
	return []error{u.cause, knowledge.Errorf(knowledge.EUNAVAILABLE, "the database is unavailable; try again shortly")}
}

func constraintError(e *pq.Error) error {
	switch e.Code.Name() {
	case "unique_violation":
		return &knowledge.Error{Code: knowledge.ECONFLICT, Field: e.Constraint, Message: "already exists (" + e.Constraint + ")"}
	case "foreign_key_violation":
		return &knowledge.Error{Code: knowledge.EINVALID, Field: e.Constraint, Message: "refers to something that does not exist (" + e.Constraint + ")"}
	default:
		return &knowledge.Error{Code: knowledge.EINVALID, Field: e.Constraint, Message: "violates " + e.Constraint}
	}
}
