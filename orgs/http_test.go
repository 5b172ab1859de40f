package orgs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/testclock"
)

var start = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// instance is one gateway's admin API over a database: the real middleware, the real
// error handler and the orgs routes, on the given clock.
type instance struct {
	t     *testing.T
	url   string
	store *orgs.Store
}

func serve(t *testing.T, db *database.DB, clk *testclock.Clock) *instance {
	t.Helper()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = apierr.Handler(dbtest.Logger(t), database.IsUnavailable)
	store := orgs.NewStore(db, clk.Now)
	store.Register(e.Group("/api/v1", store.RequireKey()))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &instance{t: t, url: srv.URL, store: store}
}

func (in *instance) do(method, path, key string, body any) apitest.Answer {
	in.t.Helper()
	return apitest.Do(in.t, method, in.url+path, key, body)
}

// newOrg creates an organization and answers its first admin key.
func (in *instance) newOrg(slug string) string {
	in.t.Helper()
	_, key, err := in.store.CreateOrg(context.Background(), slug, strings.ToUpper(slug))
	if err != nil {
		in.t.Fatalf("creating organization %s: %v", slug, err)
	}
	return key
}

// createKey makes a key through the API and answers the 201 body.
func (in *instance) createKey(admin string, body map[string]any) map[string]any {
	in.t.Helper()
	a := in.do(http.MethodPost, "/api/v1/api-keys", admin, body)
	if a.Status != http.StatusCreated {
		in.t.Fatalf("POST /api/v1/api-keys %v: %d %s", body, a.Status, a.Body)
	}
	return a.Map(in.t)
}

type keyList struct {
	Keys []struct {
		ID         string     `json:"id"`
		Name       string     `json:"name"`
		Role       string     `json:"role"`
		Prefix     string     `json:"prefix"`
		Hint       string     `json:"hint"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
		ExpiresAt  *time.Time `json:"expires_at"`
	} `json:"api_keys"`
	NextCursor *string `json:"next_cursor"`
}

func (in *instance) list(key string) (keyList, apitest.Answer) {
	in.t.Helper()
	a := in.do(http.MethodGet, "/api/v1/api-keys", key, nil)
	if a.Status != http.StatusOK {
		in.t.Fatalf("GET /api/v1/api-keys: %d %s", a.Status, a.Body)
	}
	var l keyList
	a.JSON(in.t, &l)
	return l, a
}

func wantStatus(t *testing.T, a apitest.Answer, status int, code string) {
	t.Helper()
	if a.Status != status || (code != "" && a.ErrorCode(t) != code) {
		t.Fatalf("answer %d %s, want %d %s", a.Status, a.Body, status, code)
	}
}

func TestAPIKeys(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		in := serve(t, db, testclock.New(start))
		admin := in.newOrg("acme")
		viewer := in.createKey(admin, map[string]any{"name": "dashboards", "role": "viewer"})
		viewerKey := viewer["key"].(string)

		t.Run("create answers the key once, with its settings", func(t *testing.T) {
			if !strings.HasPrefix(viewerKey, "sgk_") || len(viewerKey) != 44 {
				t.Fatalf("key = %q, want sgk_ and 40 characters", viewerKey)
			}
			if viewer["role"] != "viewer" || viewer["name"] != "dashboards" || viewer["hint"] != viewerKey[40:] || viewer["expires_at"] != nil {
				t.Fatalf("create answer = %v", viewer)
			}
			if a := in.do(http.MethodGet, "/api/v1/api-keys", viewerKey, nil); a.Status != http.StatusOK {
				t.Fatalf("the new key does not work: %d %s", a.Status, a.Body)
			}
		})
		t.Run("list shows every key and no secret", func(t *testing.T) {
			l, a := in.list(viewerKey)
			if len(l.Keys) != 2 || l.Keys[0].Name != "bootstrap" || l.Keys[1].ID != viewer["id"] || l.NextCursor != nil {
				t.Fatalf("list = %s", a.Body)
			}
			k := l.Keys[1]
			if k.Role != "viewer" || k.Prefix != "sgk_" || k.Hint != viewerKey[40:] || !k.CreatedAt.Equal(start) || k.LastUsedAt == nil {
				t.Fatalf("listed viewer key = %+v", k)
			}
			body := string(a.Body)
			for _, secret := range []string{viewerKey, admin, viewerKey[4:36], `"key"`, "hash"} {
				if strings.Contains(body, secret) {
					t.Fatalf("list carries %q:\n%s", secret, body)
				}
			}
		})
		t.Run("viewers cannot create or revoke", func(t *testing.T) {
			wantStatus(t, in.do(http.MethodPost, "/api/v1/api-keys", viewerKey, map[string]any{"role": "admin"}), http.StatusForbidden, "forbidden")
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+viewer["id"].(string), viewerKey, nil), http.StatusForbidden, "forbidden")
		})
		t.Run("bad input names the field", func(t *testing.T) {
			for field, body := range map[string]map[string]any{
				"role":            {"role": "owner"},
				"expires_at":      {"role": "viewer", "expires_at": start.Add(-time.Hour)},
				"expires_in_days": {"role": "viewer", "expires_in_days": 0},
				"key":             {"role": "viewer", "key": "sgk_mine"},
			} {
				a := in.do(http.MethodPost, "/api/v1/api-keys", admin, body)
				wantStatus(t, a, http.StatusUnprocessableEntity, "validation_failed")
				if !strings.Contains(string(a.Body), `"field":"`+field+`"`) {
					t.Fatalf("%v: %s, want the field %s named", body, a.Body, field)
				}
			}
		})
		t.Run("a revoked key answers 401 at once", func(t *testing.T) {
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+viewer["id"].(string), admin, nil), http.StatusNoContent, "")
			wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", viewerKey, nil), http.StatusUnauthorized, "unauthorized")
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+viewer["id"].(string), admin, nil), http.StatusNotFound, "not_found")
			if l, a := in.list(admin); len(l.Keys) != 1 {
				t.Fatalf("list after revoking = %s", a.Body)
			}
		})
		t.Run("another organization's key is not found", func(t *testing.T) {
			other := in.newOrg("other")
			l, _ := in.list(other)
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+l.Keys[0].ID, admin, nil), http.StatusNotFound, "not_found")
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/not-a-uuid", admin, nil), http.StatusNotFound, "not_found")
			if mine, a := in.list(admin); len(mine.Keys) != 1 || mine.Keys[0].ID == l.Keys[0].ID {
				t.Fatalf("acme lists %s", a.Body)
			}
			wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", other, nil), http.StatusOK, "")
		})
		t.Run("the last admin key stays; with another, a key may revoke itself", func(t *testing.T) {
			l, _ := in.list(admin)
			self := l.Keys[0].ID
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+self, admin, nil), http.StatusConflict, "conflict")
			second := in.createKey(admin, map[string]any{"role": "admin", "name": "second"})
			wantStatus(t, in.do(http.MethodDelete, "/api/v1/api-keys/"+self, admin, nil), http.StatusNoContent, "")
			wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", admin, nil), http.StatusUnauthorized, "unauthorized")
			wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", second["key"].(string), nil), http.StatusOK, "")
		})
	})
}

// Two instances on one database: a key revoked through one is refused by the other
// on its very next request, because every request reads the key from the database.
// Several instances are a PostgreSQL deployment; SQLite is one process per file, so
// there the two handlers share one database handle (and still no cache).
func TestRevocationReachesEveryInstance(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			a, b := twoInstances(t, d)
			admin := a.newOrg("acme")
			key := a.createKey(admin, map[string]any{"role": "viewer"})
			wantStatus(t, b.do(http.MethodGet, "/api/v1/api-keys", key["key"].(string), nil), http.StatusOK, "")
			wantStatus(t, a.do(http.MethodDelete, "/api/v1/api-keys/"+key["id"].(string), admin, nil), http.StatusNoContent, "")
			wantStatus(t, b.do(http.MethodGet, "/api/v1/api-keys", key["key"].(string), nil), http.StatusUnauthorized, "unauthorized")
			wantStatus(t, a.do(http.MethodGet, "/api/v1/api-keys", key["key"].(string), nil), http.StatusUnauthorized, "unauthorized")
		})
	}
}

// twoInstances serves two admin APIs on one fresh database of the dialect: on
// PostgreSQL each with its own pool, as two gateways would be; on SQLite (one process
// per file) over one handle.
func twoInstances(t *testing.T, d database.Dialect) (*instance, *instance) {
	t.Helper()
	url := dbtest.URL(t, d)
	clk := testclock.New(start)
	first := openURL(t, url)
	second := first
	if d == database.Postgres {
		second = openURL(t, url)
	}
	return serve(t, first, clk), serve(t, second, clk)
}

func openURL(t *testing.T, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url, database.Options{Logger: dbtest.Logger(t)})
	if err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestKeyExpiry(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		clk := testclock.New(start)
		in := serve(t, db, clk)
		admin := in.newOrg("acme")
		byDays := in.createKey(admin, map[string]any{"role": "viewer", "expires_in_days": 1})
		at := start.Add(36 * time.Hour)
		byTime := in.createKey(admin, map[string]any{"role": "viewer", "expires_at": at.Format(time.RFC3339)})
		if got := byDays["expires_at"]; got != start.Add(24*time.Hour).Format(time.RFC3339) {
			t.Fatalf("expires_in_days 1: expires_at = %v", got)
		}
		wantStatus(t, in.do(http.MethodPost, "/api/v1/api-keys", admin, map[string]any{"role": "viewer", "expires_in_days": 1, "expires_at": at}), http.StatusUnprocessableEntity, "validation_failed")

		clk.Set(start.Add(24*time.Hour - time.Second))
		wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", byDays["key"].(string), nil), http.StatusOK, "")
		clk.Set(start.Add(24 * time.Hour))
		a := in.do(http.MethodGet, "/api/v1/api-keys", byDays["key"].(string), nil)
		wantStatus(t, a, http.StatusUnauthorized, "unauthorized")
		if !strings.Contains(string(a.Body), "expired at 2026-01-16T10:00:00Z") {
			t.Fatalf("expired key's answer %s does not say it expired", a.Body)
		}
		wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", byTime["key"].(string), nil), http.StatusOK, "")
		clk.Set(at)
		wantStatus(t, in.do(http.MethodGet, "/api/v1/api-keys", byTime["key"].(string), nil), http.StatusUnauthorized, "unauthorized")
		l, _ := in.list(admin)
		if len(l.Keys) != 3 {
			t.Fatalf("expired keys are listed too (so they can be revoked): got %d keys", len(l.Keys))
		}
	})
}

// last_used_at moves at most once a minute, so a busy key does not write per request.
func TestLastUsedIsKeptToTheMinute(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		clk := testclock.New(start)
		in := serve(t, db, clk)
		admin := in.newOrg("acme")
		lastUsed := func() time.Time {
			t.Helper()
			l, a := in.list(admin) // this request is itself a use
			if l.Keys[0].LastUsedAt == nil {
				t.Fatalf("last_used_at is null after a request: %s", a.Body)
			}
			return *l.Keys[0].LastUsedAt
		}
		if got := lastUsed(); !got.Equal(start) {
			t.Fatalf("first use: last_used_at = %v, want %v", got, start)
		}
		clk.Advance(59 * time.Second)
		if got := lastUsed(); !got.Equal(start) {
			t.Fatalf("59 s later: last_used_at = %v, want still %v", got, start)
		}
		now := clk.Advance(time.Second)
		if got := lastUsed(); !got.Equal(now) {
			t.Fatalf("a minute later: last_used_at = %v, want %v", got, now)
		}
	})
}

func TestOrganizationProfile(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		in := serve(t, db, testclock.New(start))
		admin := in.newOrg("acme")
		viewer := in.createKey(admin, map[string]any{"role": "viewer"})["key"].(string)

		a := in.do(http.MethodGet, "/api/v1/organization", viewer, nil)
		wantStatus(t, a, http.StatusOK, "")
		if got := a.Map(t); got["slug"] != "acme" || got["name"] != "ACME" || got["display_name"] != "" || got["time_zone"] != "Etc/UTC" {
			t.Fatalf("organization = %s", a.Body)
		}
		wantStatus(t, in.do(http.MethodPatch, "/api/v1/organization", viewer, map[string]any{"display_name": "x"}), http.StatusForbidden, "forbidden")

		for _, bad := range []struct {
			field string
			value any
		}{
			{"time_zone", "Mars/Olympus"},
			{"time_zone", "Local"},
			{"logo_url", "javascript:alert(1)"},
			{"logo_url", "data:image/png;base64,AAAA"},
			{"logo_url", "/logo.png"},
			{"logo_url", "mailto:ops@acme.test"},
			{"support_url", "ftp://acme.test/"},
			{"support_url", "https://user:pw@acme.test/"},
			{"display_name", strings.Repeat("x", 101)},
			{"page_title", "two\nlines"},
			{"slug", "renamed"},
		} {
			a := in.do(http.MethodPatch, "/api/v1/organization", admin, map[string]any{bad.field: bad.value})
			wantStatus(t, a, http.StatusUnprocessableEntity, "validation_failed")
			if !strings.Contains(string(a.Body), `"field":"`+bad.field+`"`) {
				t.Fatalf("%s = %v: %s, want the field named", bad.field, bad.value, a.Body)
			}
		}

		want := map[string]any{
			"display_name": "Acme Cloud", "page_title": "Acme Cloud service status",
			"logo_url": "https://cdn.acme.test/logo.svg", "support_url": "mailto:support@acme.test",
			"time_zone": "Europe/Berlin",
		}
		a = in.do(http.MethodPatch, "/api/v1/organization", admin, want)
		wantStatus(t, a, http.StatusOK, "")
		got := in.do(http.MethodGet, "/api/v1/organization", viewer, nil).Map(t)
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("after PATCH, %s = %v, want %v", k, got[k], v)
			}
		}
		a = in.do(http.MethodPatch, "/api/v1/organization", admin, map[string]any{"logo_url": "", "time_zone": ""})
		wantStatus(t, a, http.StatusOK, "")
		if got := a.Map(t); got["logo_url"] != "" || got["time_zone"] != "Etc/UTC" || got["display_name"] != "Acme Cloud" {
			t.Fatalf("after clearing logo and zone: %s", a.Body)
		}
	})
}

// Two admins revoking each other's key at the same moment, through two instances: one
// wins, the other is refused, and the organization keeps one working admin key.
func TestConcurrentRevocationsKeepAnAdmin(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			a, b := twoInstances(t, d)
			for round := 0; round < 5; round++ {
				k0 := a.newOrg(fmt.Sprintf("org%d", round))
				l, _ := a.list(k0)
				k1 := a.createKey(k0, map[string]any{"role": "admin"})
				statuses := make(chan int, 2)
				go func() {
					statuses <- apitest.Do(t, http.MethodDelete, a.url+"/api/v1/api-keys/"+k1["id"].(string), k0, nil).Status
				}()
				go func() {
					statuses <- apitest.Do(t, http.MethodDelete, b.url+"/api/v1/api-keys/"+l.Keys[0].ID, k1["key"].(string), nil).Status
				}()
				got := []int{<-statuses, <-statuses}
				won := 0
				for _, s := range got {
					switch s {
					case http.StatusNoContent:
						won++
					case http.StatusConflict, http.StatusUnauthorized: // refused, or its own key already gone
					default:
						t.Fatalf("round %d: statuses %v", round, got)
					}
				}
				left := 0
				for _, k := range []string{k0, k1["key"].(string)} {
					if apitest.Do(t, http.MethodGet, a.url+"/api/v1/api-keys", k, nil).Status == http.StatusOK {
						left++
					}
				}
				if won != 1 || left != 1 {
					t.Fatalf("round %d: statuses %v, %d admin keys still work; want one revocation and one key left", round, got, left)
				}
			}
		})
	}
}
