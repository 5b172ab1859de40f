package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/notify"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/testclock"
)

// Without STATUSGATE_OUTBOUND_ALLOW_PRIVATE a channel to a loopback or metadata
// address is refused at create time, naming url (the request never dials: the check
// is on the literal address and on what localhost resolves to).
func TestCreateRefusesPrivateURL(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	clock := testclock.New(t0)
	outbox := newOutbox(t, db, clock, testBox(t), "w1", false)
	api := apitest.New(t, db, func(g *echo.Group) {
		notify.NewHandler(outbox, func(c echo.Context) (uuid.UUID, error) {
			p, err := rest.Caller(c)
			return p.OrgID, err
		}).Register(g)
	})
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x"} {
		a := api.Admin(http.MethodPost, "/api/v1/channels", map[string]any{"name": "x", "type": "webhook", "url": u})
		if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" || !strings.Contains(string(a.Body), `"field":"url"`) {
			t.Fatalf("create with %s = %d %s, want 422 validation_failed naming url", u, a.Status, a.Body)
		}
	}
}

func TestChannelsAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ep := newEndpoint(t, status(http.StatusTeapot))

		t.Run("validation names the field", func(t *testing.T) {
			for field, body := range map[string]map[string]any{
				"type":           {"name": "x", "type": "carrier-pigeon", "url": ep.URL},
				"name":           {"type": "webhook", "url": ep.URL},
				"url":            {"name": "x", "type": "webhook", "url": "not a url"},
				"event_types":    {"name": "x", "type": "webhook", "url": ep.URL, "event_types": []string{"service.exploded"}},
				"retry_schedule": {"name": "x", "type": "webhook", "url": ep.URL, "retry_schedule": []int{0}},
				"secret":         {"name": "x", "type": "webhook", "url": ep.URL, "secret": "whsec_"},
				"headers":        {"name": "x", "type": "webhook", "url": ep.URL, "headers": map[string]string{"webhook-id": "mine"}},
			} {
				a := f.api.Admin(http.MethodPost, "/api/v1/channels", body)
				if a.Status != http.StatusUnprocessableEntity || !strings.Contains(string(a.Body), `"field":"`+field+`"`) {
					t.Fatalf("bad %s = %d %s, want 422 naming %s", field, a.Status, a.Body, field)
				}
			}
		})

		given := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		a := f.api.Admin(http.MethodPost, "/api/v1/channels", map[string]any{
			"name": "ops", "type": "webhook", "url": ep.URL, "secret": given, "headers": map[string]string{"Authorization": "Bearer theirs"},
		})
		if a.Status != http.StatusCreated {
			t.Fatalf("create = %d %s", a.Status, a.Body)
		}
		ch := a.Map(t)
		id := ch["id"].(string)
		if ch["secret"] != given {
			t.Fatalf("a given secret is not used as is: %v", ch["secret"])
		}
		if strings.Contains(string(a.Body), "theirs") {
			t.Fatalf("header values are answered: %s", a.Body)
		}
		if sched := ch["retry_schedule"].([]any); len(sched) != 7 || sched[0] != float64(5) || sched[6] != float64(36000) {
			t.Fatalf("default retry_schedule = %v", sched)
		}

		t.Run("viewer reads, cannot write", func(t *testing.T) {
			if a := f.api.Do(http.MethodGet, "/api/v1/channels", f.api.ViewerKey, nil); a.Status != http.StatusOK || len(a.Map(t)["channels"].([]any)) != 1 {
				t.Fatalf("viewer list = %d %s", a.Status, a.Body)
			}
			for _, p := range []string{"/api/v1/channels/" + id + "/test", "/api/v1/channels/" + id + "/rotate-secret"} {
				if a := f.api.Do(http.MethodPost, p, f.api.ViewerKey, nil); a.Status != http.StatusForbidden {
					t.Fatalf("viewer POST %s = %d", p, a.Status)
				}
			}
			if a := f.api.Do(http.MethodDelete, "/api/v1/channels/"+id, f.api.ViewerKey, nil); a.Status != http.StatusForbidden {
				t.Fatalf("viewer DELETE = %d", a.Status)
			}
		})

		t.Run("test answers what the endpoint said", func(t *testing.T) {
			a := f.api.Admin(http.MethodPost, "/api/v1/channels/"+id+"/test", nil)
			m := a.Map(t)
			if a.Status != http.StatusOK || m["status_code"] != float64(418) || m["body"] != "answer 418" || m["succeeded"] != false || m["error"] == "" {
				t.Fatalf("test = %d %s", a.Status, a.Body)
			}
			got := ep.requests()
			if len(got) != 1 || !strings.Contains(string(got[0].body), `"type":"test"`) || got[0].id != m["event_id"] {
				t.Fatalf("endpoint got %v", got)
			}
			verify(t, given, got[0], f.clock.Peek())
		})

		t.Run("patch", func(t *testing.T) {
			a := f.api.Admin(http.MethodPatch, "/api/v1/channels/"+id, map[string]any{"retry_schedule": []int{1, 2}, "event_types": []string{"incident.created"}})
			m := a.Map(t)
			if a.Status != http.StatusOK || len(m["retry_schedule"].([]any)) != 2 || len(m["event_types"].([]any)) != 1 {
				t.Fatalf("patch = %d %s", a.Status, a.Body)
			}
			a = f.api.Admin(http.MethodPatch, "/api/v1/channels/"+id, map[string]any{"retry_schedule": nil})
			if m := a.Map(t); len(m["retry_schedule"].([]any)) != 7 {
				t.Fatalf("retry_schedule null = %s, want the default back", a.Body)
			}
			if a := f.api.Admin(http.MethodPatch, "/api/v1/channels/"+id, map[string]any{"url": "ftp://x"}); a.Status != http.StatusUnprocessableEntity {
				t.Fatalf("patch to a bad url = %d", a.Status)
			}
		})

		t.Run("event types", func(t *testing.T) {
			a := f.api.Do(http.MethodGet, "/api/v1/event-types", f.api.ViewerKey, nil)
			var body struct {
				EventTypes []notify.EventTypeInfo `json:"event_types"`
			}
			a.JSON(t, &body)
			if len(body.EventTypes) != 10 {
				t.Fatalf("event types = %d, want 10", len(body.EventTypes))
			}
			for _, et := range body.EventTypes {
				if et.Description == "" || et.Example.Type != et.Type || et.Example.ID == "" {
					t.Fatalf("event type %+v lacks a description or example", et)
				}
			}
		})

		t.Run("another organization's channel is not found", func(t *testing.T) {
			other, err := f.outbox.CreateChannel(context.Background(), mustOtherOrg(t, f), notify.CreateInput{Name: "theirs", Type: "webhook", URL: ep.URL})
			if err != nil {
				t.Fatalf("creating another org's channel: %v", err)
			}
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				if a := f.api.Admin(m, "/api/v1/channels/"+other.ID.String(), nil); a.Status != http.StatusNotFound {
					t.Fatalf("%s another org's channel = %d", m, a.Status)
				}
			}
		})

		if a := f.api.Admin(http.MethodDelete, "/api/v1/channels/"+id, nil); a.Status != http.StatusNoContent {
			t.Fatalf("delete = %d", a.Status)
		}
		if a := f.api.Admin(http.MethodGet, "/api/v1/channels/"+id, nil); a.Status != http.StatusNotFound {
			t.Fatalf("get after delete = %d", a.Status)
		}
	})
}

func mustOtherOrg(t *testing.T, f *fixture) uuid.UUID {
	t.Helper()
	org, _, err := f.api.Orgs.CreateOrg(context.Background(), "other", "Other")
	if err != nil {
		t.Fatalf("creating another organization: %v", err)
	}
	return org.ID
}

// Two instances on one PostgreSQL (two pools, two outboxes) share the work and never
// run an attempt of the same delivery at the same time: every event arrives exactly
// once, since no lease runs out here.
func TestTwoInstancesShareTheWork(t *testing.T) {
	url := dbtest.URL(t, database.Postgres)
	open := func() *database.DB {
		db, err := database.Open(context.Background(), url, database.Options{Logger: dbtest.Logger(t), MaxOpenConns: 10})
		if err != nil {
			t.Fatalf("opening PostgreSQL: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	f := newFixture(t, dbA)
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		seen     = map[string]int{}
		overlap  []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		inFlight[id]++
		seen[id]++
		if inFlight[id] > 1 {
			overlap = append(overlap, id)
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // an endpoint that takes a moment, so claims interleave
		mu.Lock()
		inFlight[id]--
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	f.createChannel(t, map[string]any{"url": srv.URL})
	const events = 40
	ids := map[string]bool{}
	for range events {
		ids[f.enqueue(t, notify.EventServiceStatusChanged)] = true
	}
	// The second instance shares the first's secret key, as instances sharing one
	// database share STATUSGATE_SECRET_KEY.
	b := newOutbox(t, dbB, f.clock, f.box, "w2", true)
	var wg sync.WaitGroup
	for _, o := range []*notify.Outbox{f.outbox, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := o.DeliverDue(context.Background())
				if err != nil {
					t.Errorf("DeliverDue: %v", err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(overlap) > 0 {
		t.Fatalf("deliveries attempted twice at once: %v", overlap)
	}
	if len(seen) != events {
		t.Fatalf("endpoint saw %d distinct events, want %d", len(seen), events)
	}
	for id, n := range seen {
		if !ids[id] || n != 1 {
			t.Fatalf("event %s arrived %d times", id, n)
		}
	}
	var workers []string
	if err := dbA.Conn(context.Background()).Raw("SELECT DISTINCT worker FROM notify_attempts ORDER BY worker").Scan(&workers).Error; err != nil {
		t.Fatalf("reading workers: %v", err)
	}
	if len(workers) != 2 {
		t.Fatalf("attempts were made by %v, want both instances", workers)
	}
}
