// Package apitest drives a package's real Echo handlers over HTTP in tests: a real
// database, the real API-key middleware and the real error handler, served by
// httptest on loopback. It is imported only by tests.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/orgs"
)

// Server is an httptest server with one organization and an admin and a viewer key.
type Server struct {
	t         testing.TB
	URL       string
	Echo      *echo.Echo
	Orgs      *orgs.Store
	OrgSlug   string
	Org       orgs.Organization
	AdminKey  string
	ViewerKey string
}

// New serves the routes that register adds to an authenticated /api/v1 group; public
// routes (no key) can be added to the returned Server's Echo before the first request.
func New(t testing.TB, db *database.DB, register func(api *echo.Group)) *Server {
	t.Helper()
	ctx := context.Background()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = apierr.Handler(dbtest.Logger(t), database.IsUnavailable)
	store := orgs.NewStore(db, nil)
	org, admin, err := store.CreateOrg(ctx, "acme", "Acme")
	if err != nil {
		t.Fatalf("creating test organization: %v", err)
	}
	viewer, err := store.CreateKey(ctx, "acme", orgs.RoleViewer, "test viewer")
	if err != nil {
		t.Fatalf("creating viewer key: %v", err)
	}
	if register != nil {
		register(e.Group("/api/v1", store.RequireKey()))
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &Server{t: t, URL: srv.URL, Echo: e, Orgs: store, OrgSlug: org.Slug, Org: org, AdminKey: admin, ViewerKey: viewer}
}

// Answer is one HTTP answer, its body read.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer body into v, failing the test if it is not JSON.
func (a Answer) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("answer (%d) is not JSON: %v\n%s", a.Status, err, a.Body)
	}
}

// Map decodes the answer body as a JSON object.
func (a Answer) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	a.JSON(t, &m)
	return m
}

// ErrorCode returns error.code of an error answer.
func (a Answer) ErrorCode(t testing.TB) string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	a.JSON(t, &body)
	if body.Error.Message == "" {
		t.Fatalf("error answer %d has no error.message: %s", a.Status, a.Body)
	}
	return body.Error.Code
}

// Do sends a request with the given key ("" for none). body may be nil, a string or
// []byte (sent as is), or any value (sent as JSON).
func (s *Server) Do(method, path, key string, body any) Answer {
	s.t.Helper()
	return Do(s.t, method, s.URL+path, key, body)
}

// Admin sends a request with the admin key.
func (s *Server) Admin(method, path string, body any) Answer {
	s.t.Helper()
	return s.Do(method, path, s.AdminKey, body)
}

// Do sends one request to an absolute URL and reads the answer.
func Do(t testing.TB, method, url, key string, body any) Answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding request body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading answer of %s %s: %v", method, url, err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: data}
}
