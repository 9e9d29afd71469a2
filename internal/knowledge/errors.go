package knowledge

import (
	"errors"
	"fmt"
)

// Error codes. They reach clients as extensions.code, so they are part of the API.
const (
	EINVALID     = "BAD_USER_INPUT"
	ENOTFOUND    = "NOT_FOUND"
	ECONFLICT    = "CONFLICT"
	EUNAVAILABLE = "SERVICE_UNAVAILABLE"
	EINTERNAL    = "INTERNAL_SERVER_ERROR"
)

// Error is an error meant for the client: a stable code and a message a person can act
// on. Any other error is internal, and its text stays in the log.
type Error struct {
	Code    string
	Message string
	// Field names the input the error is about, such as "first" or "after".
	Field string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an invalid-input Error about one field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's Error, or EINTERNAL if it has none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
