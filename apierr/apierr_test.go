package apierr

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestEveryCodeHasItsStatus(t *testing.T) {
	t.Parallel()
	want := map[string]int{
		CodeNotFound: 404, CodeUnauthorized: 401, CodeForbidden: 403, CodeValidationFailed: 422,
		CodeConflict: 409, CodeInvalidJSON: 400, CodeStatusMissing: 422, CodeStatusUnmapped: 422,
		CodeServiceUnknown: 422, CodePayloadTooLarge: 413, CodeSignatureInvalid: 401,
		CodeRateLimited: 429, CodeUnavailable: 503, CodeInternal: 500,
	}
	for code, status := range want {
		if got := HTTPStatus(code); got != status {
			t.Fatalf("HTTPStatus(%q) = %d, want %d", code, got, status)
		}
	}
	if got := HTTPStatus("no_such_code"); got != http.StatusInternalServerError {
		t.Fatalf("unknown code answers %d, want 500", got)
	}
}

// serve runs the handler on one error and returns the answer.
func serve(t *testing.T, err error, unavailable UnavailableFunc) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	var logged strings.Builder
	e.HTTPErrorHandler = Handler(slog.New(slog.NewTextHandler(&logged, nil)), unavailable)
	e.GET("/x", func(echo.Context) error { return err })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	return rec
}

func TestHandlerAnswers(t *testing.T) {
	t.Parallel()
	errDB := errors.New("dial tcp 10.0.0.5:5432: connection refused, password=hunter2")
	cases := []struct {
		name       string
		err        error
		status     int
		body       string
		retryAfter bool
	}{
		{"wrapped api error keeps its code and message", fmt.Errorf("creating: %w", Invalid("name", "name is required")), 422,
			`{"error":{"code":"validation_failed","message":"name is required","field":"name"}}`, false},
		{"unknown error is a bare 500 that leaks nothing", errors.New("pq: secret table broke"), 500,
			`{"error":{"code":"internal","message":"internal error"}}`, false},
		{"unavailable store is 503 with Retry-After", errDB, 503,
			`{"error":{"code":"unavailable","message":"the database is unavailable; try again shortly"}}`, true},
		{"echo 404 keeps our shape", echo.ErrNotFound, 404, `{"error":{"code":"not_found","message":"no such route"}}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := serve(t, c.err, func(err error) bool { return errors.Is(err, errDB) })
			if rec.Code != c.status || strings.TrimSpace(rec.Body.String()) != c.body {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body, c.status, c.body)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != c.retryAfter {
				t.Fatalf("Retry-After present = %v, want %v", got, c.retryAfter)
			}
		})
	}
}
