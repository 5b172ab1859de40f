package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Stable error codes. Clients branch on these strings, so they never change.
const (
	CodeNotFound         = "not_found"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeValidationFailed = "validation_failed"
	CodeConflict         = "conflict"
	CodeInvalidJSON      = "invalid_json"
	CodeStatusMissing    = "status_missing"
	CodeStatusUnmapped   = "status_unmapped"
	CodeServiceUnknown   = "service_unknown"
	CodePayloadTooLarge  = "payload_too_large"
	CodeSignatureInvalid = "signature_invalid"
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnsupportedMedia = "unsupported_media_type"
)

// statusByCode is the one table that decides which HTTP status a code answers with.
var statusByCode = map[string]int{
	CodeNotFound:         http.StatusNotFound,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeValidationFailed: http.StatusUnprocessableEntity,
	CodeConflict:         http.StatusConflict,
	CodeInvalidJSON:      http.StatusBadRequest,
	CodeStatusMissing:    http.StatusUnprocessableEntity,
	CodeStatusUnmapped:   http.StatusUnprocessableEntity,
	CodeServiceUnknown:   http.StatusUnprocessableEntity,
	CodePayloadTooLarge:  http.StatusRequestEntityTooLarge,
	CodeSignatureInvalid: http.StatusUnauthorized,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
}

// HTTPStatus returns the HTTP status that answers an error with the given code.
// Unknown codes answer 500: a code without a row here is a programming error.
func HTTPStatus(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error a client is allowed to see: a stable Code and a Message written
// for a person. Field names the offending input field of a validation error, if any.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// New returns an *Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation_failed error that names the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeValidationFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not_found error for one kind of object ("service", "receiver").
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found"}
}

// As returns the *Error in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of the *Error in err's chain, or "" if there is none.
func CodeOf(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}
