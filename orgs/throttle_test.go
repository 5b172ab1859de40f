package orgs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/testclock"
)

func TestBadKeysFromOneAddressAreThrottled(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		store := orgs.NewStore(db, nil)
		_, key, err := store.CreateOrg(context.Background(), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		e := echo.New()
		e.HTTPErrorHandler = apierr.Handler(dbtest.Logger(t), database.IsUnavailable)
		api := e.Group("/api/v1", orgs.ThrottleBadKeys(rest.NewThrottle(6, 3), clock.Now), store.RequireKey())
		api.GET("/ping", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		get := func(k string) apitest.Answer { return apitest.Do(t, http.MethodGet, srv.URL+"/api/v1/ping", k, nil) }

		// A good key spends nothing.
		for range 5 {
			if a := get(key); a.Status != http.StatusNoContent {
				t.Fatalf("good key: %d %s", a.Status, a.Body)
			}
		}
		for i := range 3 {
			if a := get("sgk_wrong" + strconv.Itoa(i)); a.Status != http.StatusUnauthorized {
				t.Fatalf("bad key %d: %d %s; want 401", i, a.Status, a.Body)
			}
		}
		for _, k := range []string{"sgk_wrong", "", key} {
			a := get(k)
			if a.Status != http.StatusTooManyRequests || a.ErrorCode(t) != "rate_limited" {
				t.Fatalf("key %q past the burst: %d %s; want 429 rate_limited before the key is checked", k, a.Status, a.Body)
			}
			if secs, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 10 {
				t.Fatalf("Retry-After = %q; want at most 10 s (6 a minute)", a.Header.Get("Retry-After"))
			}
		}
		clock.Advance(10 * time.Second)
		if a := get(key); a.Status != http.StatusNoContent {
			t.Fatalf("good key after the wait: %d %s", a.Status, a.Body)
		}
	})
}
