package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/testclock"
)

var t0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// fixture is an outbox with the channels API served over HTTP, on a test clock, with
// jitter pinned to zero so attempt times can be checked exactly.
type fixture struct {
	db     *database.DB
	clock  *testclock.Clock
	outbox *notify.Outbox
	api    *apitest.Server
	orgID  uuid.UUID
	box    *secrets.Box
}

func testBox(t *testing.T) *secrets.Box {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatalf("NewBox: %v", err)
	}
	return box
}

func newOutbox(t *testing.T, db *database.DB, clock *testclock.Clock, box *secrets.Box, workerID string, allowPrivate bool) *notify.Outbox {
	t.Helper()
	return notify.NewOutbox(notify.Options{
		DB: db, Box: box, NowFunc: clock.Now, Logger: dbtest.Logger(t), AllowPrivate: allowPrivate,
		Notifiers:  map[string]notify.Notifier{notify.TypeWebhook: notify.NewWebhook(notify.NewClient(allowPrivate, 4), clock.Now)},
		JitterFunc: func(d time.Duration) time.Duration { return d },
		WorkerID:   workerID,
	})
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: testclock.New(t0), box: testBox(t)}
	f.outbox = newOutbox(t, db, f.clock, f.box, "w1", true)
	f.api = apitest.New(t, db, func(g *echo.Group) {
		notify.NewHandler(f.outbox, func(c echo.Context) (uuid.UUID, error) {
			p, err := rest.Caller(c)
			return p.OrgID, err
		}).Register(g)
	})
	f.orgID = f.api.Org.ID
	return f
}

// createChannel makes a webhook channel through the API and returns its id and secret.
func (f *fixture) createChannel(t *testing.T, body map[string]any) (string, string) {
	t.Helper()
	body["type"] = "webhook"
	if body["name"] == nil {
		body["name"] = "ops"
	}
	a := f.api.Admin(http.MethodPost, "/api/v1/channels", body)
	if a.Status != http.StatusCreated {
		t.Fatalf("create channel = %d %s", a.Status, a.Body)
	}
	m := a.Map(t)
	secret, _ := m["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create answer has no whsec_ secret: %s", a.Body)
	}
	return m["id"].(string), secret
}

// enqueue writes an event in its own transaction, as a domain change would.
func (f *fixture) enqueue(t *testing.T, typ string) string {
	t.Helper()
	ev := notify.Event{ID: notify.NewEventID(), Type: typ, OrgID: f.orgID, Data: notify.EventData{
		Service: &notify.ServiceInfo{ID: uuid.New(), Name: "API", Status: "down", PreviousStatus: "operational"}, Source: "webhook",
	}}
	if err := f.db.InTx(context.Background(), func(ctx context.Context) error { return f.outbox.Enqueue(ctx, ev) }); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return ev.ID
}

func (f *fixture) deliverDue(t *testing.T) int {
	t.Helper()
	n, err := f.outbox.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// received is one request the endpoint got.
type received struct {
	id, timestamp, signature string
	body                     []byte
}

// endpoint is a receiving server whose answers the test scripts: each request takes
// the next behaviour; when the script runs out it answers 200.
type endpoint struct {
	*httptest.Server
	mu     sync.Mutex
	script []func(w http.ResponseWriter, r *http.Request)
	got    []received
}

func newEndpoint(t *testing.T, script ...func(w http.ResponseWriter, r *http.Request)) *endpoint {
	e := &endpoint{script: script}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, received{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body})
		var step func(w http.ResponseWriter, r *http.Request)
		if len(e.script) > 0 {
			step, e.script = e.script[0], e.script[1:]
		}
		e.mu.Unlock()
		if step == nil {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "thanks")
			return
		}
		step(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests() []received {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]received(nil), e.got...)
}

func status(code int, header ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "answer %d", code)
	}
}

// hang keeps the request open until the client gives up (the 10 s attempt timeout).
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// verify checks a request the Standard Webhooks way, written here from the spec
// rather than with the code under test: HMAC-SHA256 over "id.timestamp.body" with the
// base64-decoded key, any v1 entry matching, compared in constant time, and a
// timestamp within 5 minutes of now.
func verify(t *testing.T, secret string, r received, now time.Time) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("test secret %q: %v", secret, err)
	}
	ts, err := strconv.ParseInt(r.timestamp, 10, 64)
	if err != nil {
		t.Fatalf("webhook-timestamp %q is not an integer", r.timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		t.Fatalf("webhook-timestamp %d is %s from now", ts, d)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", r.id, r.timestamp)
	mac.Write(r.body)
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(r.signature) {
		v, sig, ok := strings.Cut(entry, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return
		}
	}
	t.Fatalf("webhook-signature %q does not verify with the channel's secret", r.signature)
}

type deliveriesAnswer struct {
	Deliveries []struct {
		ID        string `json:"id"`
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Status    string `json:"status"`
		Attempts  []struct {
			At         time.Time `json:"at"`
			StatusCode int       `json:"status_code"`
			Body       string    `json:"body"`
			Error      string    `json:"error"`
		} `json:"attempts"`
	} `json:"deliveries"`
}

func (f *fixture) deliveries(t *testing.T, channelID, query string) deliveriesAnswer {
	t.Helper()
	a := f.api.Do(http.MethodGet, "/api/v1/channels/"+channelID+"/deliveries"+query, f.api.ViewerKey, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("deliveries = %d %s", a.Status, a.Body)
	}
	var out deliveriesAnswer
	a.JSON(t, &out)
	return out
}

// A receiver that fails, times out, answers 429 with Retry-After, redirects, and
// recovers gets the event at last, every attempt with the same webhook-id and a valid
// fresh signature, at the times the schedule says; the attempt log tells the story;
// a replay sends the same event id again.
func TestDeliveryStory(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ep := newEndpoint(t,
			status(http.StatusInternalServerError),
			hang,
			status(http.StatusTooManyRequests, "Retry-After", "120"),
			status(http.StatusFound, "Location", "http://127.0.0.1:1/elsewhere"),
		)
		chID, secret := f.createChannel(t, map[string]any{"url": ep.URL, "headers": map[string]string{"X-Team": "ops"}})
		evID := f.enqueue(t, notify.EventServiceStatusChanged)

		// Each step: how far the clock moves, and whether an attempt is due then.
		steps := []struct {
			advance time.Duration
			due     bool
		}{
			{0, true},                          // first attempt at once: 500
			{4 * time.Second, false},           // 5 s not yet up
			{time.Second, true},                // +5 s: times out
			{5 * time.Minute, true},            // +5 min: 429, Retry-After 120 s
			{119 * time.Second, false},         // Retry-After not yet up
			{time.Second, true},                // +120 s (not the 30 min of the schedule): 302
			{2*time.Hour - time.Second, false}, // the schedule's 4th wait is 2 h
			{time.Second, true},                // +2 h: 200
			{10 * time.Hour, false},            // delivered: nothing more
		}
		var want []time.Time
		for i, s := range steps {
			now := f.clock.Advance(s.advance)
			n := f.deliverDue(t)
			if (n == 1) != s.due {
				t.Fatalf("step %d at %s: attempted %d, want due=%v", i, now.Sub(t0), n, s.due)
			}
			if s.due {
				want = append(want, now)
			}
		}

		got := ep.requests()
		if len(got) != 5 {
			t.Fatalf("endpoint got %d requests, want 5", len(got))
		}
		for i, r := range got {
			if r.id != evID {
				t.Fatalf("request %d webhook-id = %q, want the event id %q", i, r.id, evID)
			}
			verify(t, secret, r, want[i])
			if r.timestamp != strconv.FormatInt(want[i].Unix(), 10) {
				t.Fatalf("request %d webhook-timestamp = %s, want the attempt's own time %d", i, r.timestamp, want[i].Unix())
			}
			var env map[string]any
			if err := json.Unmarshal(r.body, &env); err != nil || env["id"] != evID || env["type"] != notify.EventServiceStatusChanged {
				t.Fatalf("request %d body = %s, want the envelope of %s", i, r.body, evID)
			}
		}

		list := f.deliveries(t, chID, "?status=succeeded")
		if len(list.Deliveries) != 1 {
			t.Fatalf("succeeded deliveries = %d, want 1", len(list.Deliveries))
		}
		d := list.Deliveries[0]
		if d.EventID != evID || d.EventType != notify.EventServiceStatusChanged {
			t.Fatalf("delivery = %+v, want event %s", d, evID)
		}
		wantCodes := []int{500, 0, 429, 302, 200}
		if len(d.Attempts) != len(wantCodes) {
			t.Fatalf("attempts = %d, want %d", len(d.Attempts), len(wantCodes))
		}
		for i, a := range d.Attempts {
			if a.StatusCode != wantCodes[i] || !a.At.Equal(want[i]) {
				t.Fatalf("attempt %d = %d at %s, want %d at %s", i, a.StatusCode, a.At, wantCodes[i], want[i])
			}
			if (a.Error == "") != (i == 4) {
				t.Fatalf("attempt %d error = %q", i, a.Error)
			}
		}
		if d.Attempts[0].Body != "answer 500" || d.Attempts[4].Body != "thanks" {
			t.Fatalf("attempt bodies = %q, %q", d.Attempts[0].Body, d.Attempts[4].Body)
		}
		if !strings.Contains(d.Attempts[1].Error, "deadline") && !strings.Contains(d.Attempts[1].Error, "timeout") {
			t.Fatalf("the hanging attempt's error = %q, want a timeout", d.Attempts[1].Error)
		}
		if n := len(f.deliveries(t, chID, "?status=pending").Deliveries); n != 0 {
			t.Fatalf("pending deliveries = %d, want 0", n)
		}

		// Replay: the same event id again, as a new delivery.
		a := f.api.Admin(http.MethodPost, "/api/v1/channels/"+chID+"/deliveries/"+d.ID+"/replay", nil)
		if a.Status != http.StatusAccepted {
			t.Fatalf("replay = %d %s", a.Status, a.Body)
		}
		if n := f.deliverDue(t); n != 1 {
			t.Fatalf("replay attempted %d, want 1", n)
		}
		got = ep.requests()
		if len(got) != 6 || got[5].id != evID {
			t.Fatalf("after replay the endpoint got %d requests, last id %q; want 6 with %q", len(got), got[len(got)-1].id, evID)
		}
		verify(t, secret, got[5], f.clock.Peek())
		if n := len(f.deliveries(t, chID, "?status=succeeded").Deliveries); n != 2 {
			t.Fatalf("succeeded deliveries after replay = %d, want 2 (the original stays)", n)
		}
		st, err := f.outbox.Stats(context.Background())
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if st.AttemptsSucceeded != 2 || st.AttemptsFailed != 4 || st.Pending != 0 {
			t.Fatalf("stats = %+v, want 2 succeeded, 4 failed, 0 pending", st)
		}
	})
}

// After the last attempt of the schedule the delivery is failed and stays visible.
func TestDeliveryFailsAfterLastAttempt(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		fail := status(http.StatusBadGateway)
		ep := newEndpoint(t, fail, fail, fail, fail)
		chID, _ := f.createChannel(t, map[string]any{"url": ep.URL, "retry_schedule": []int{10, 20}})
		f.enqueue(t, notify.EventIncidentCreated)
		for _, d := range []time.Duration{0, 10 * time.Second, 20 * time.Second, time.Hour} {
			f.clock.Advance(d)
			f.deliverDue(t)
		}
		if n := len(ep.requests()); n != 3 {
			t.Fatalf("endpoint got %d requests, want 3 (first + 2 retries)", n)
		}
		list := f.deliveries(t, chID, "?status=failed")
		if len(list.Deliveries) != 1 || len(list.Deliveries[0].Attempts) != 3 {
			t.Fatalf("failed deliveries = %+v, want one with 3 attempts", list.Deliveries)
		}
		ch := f.api.Admin(http.MethodGet, "/api/v1/channels/"+chID, nil).Map(t)
		if ch["enabled"] != true {
			t.Fatalf("one failed delivery disabled the channel: %v", ch)
		}
	})
}

// 410 Gone disables the channel at once, with the reason visible, and tells the
// organization's other channels with one channel.disabled event.
func TestGoneDisablesChannel(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		gone := newEndpoint(t, status(http.StatusGone))
		other := newEndpoint(t)
		goneID, _ := f.createChannel(t, map[string]any{"name": "old", "url": gone.URL})
		f.createChannel(t, map[string]any{"name": "ops", "url": other.URL, "event_types": []string{notify.EventChannelDisabled}})
		f.enqueue(t, notify.EventServiceStatusChanged)
		f.deliverDue(t) // the 410; other does not want status changes
		f.deliverDue(t) // the channel.disabled event
		ch := f.api.Admin(http.MethodGet, "/api/v1/channels/"+goneID, nil).Map(t)
		if ch["enabled"] != false || !strings.Contains(ch["disabled_reason"].(string), "410") {
			t.Fatalf("channel after 410 = %v, want disabled with the reason", ch)
		}
		got := other.requests()
		if len(got) != 1 {
			t.Fatalf("other channel got %d requests, want one channel.disabled", len(got))
		}
		var env notify.Event
		if err := json.Unmarshal(got[0].body, &env); err != nil || env.Type != notify.EventChannelDisabled || env.Data.Channel == nil || env.Data.Channel.ID.String() != goneID {
			t.Fatalf("other channel got %s, want channel.disabled about %s", got[0].body, goneID)
		}
		// Disabled: new events pass it by.
		f.enqueue(t, notify.EventServiceStatusChanged)
		f.deliverDue(t)
		if n := len(gone.requests()); n != 1 {
			t.Fatalf("the disabled channel got %d requests, want 1", n)
		}
		// Re-enabled: it receives again, reason cleared.
		a := f.api.Admin(http.MethodPatch, "/api/v1/channels/"+goneID, map[string]any{"enabled": true})
		if m := a.Map(t); m["enabled"] != true || m["disabled_reason"] != "" {
			t.Fatalf("re-enable = %s", a.Body)
		}
	})
}

// A channel whose every attempt fails for 5 days is disabled; one that fails half the
// time never is.
func TestFiveDaysOfFailuresDisable(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		var mu sync.Mutex
		flip := false
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Path == "/half" {
				flip = !flip
				if flip {
					w.WriteHeader(http.StatusOK)
					return
				}
			}
			w.WriteHeader(http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		alwaysID, _ := f.createChannel(t, map[string]any{"name": "always", "url": srv.URL + "/always", "retry_schedule": []int{1}})
		halfID, _ := f.createChannel(t, map[string]any{"name": "half", "url": srv.URL + "/half", "retry_schedule": []int{1}})
		for hour := 0; hour <= 5*24+1; hour += 6 {
			f.enqueue(t, notify.EventServiceStatusChanged)
			for f.deliverDue(t) > 0 {
			}
			f.clock.Advance(6 * time.Hour)
		}
		always := f.api.Admin(http.MethodGet, "/api/v1/channels/"+alwaysID, nil).Map(t)
		if always["enabled"] != false || !strings.Contains(always["disabled_reason"].(string), "5 days") {
			t.Fatalf("always-failing channel = %v, want disabled after 5 days", always)
		}
		half := f.api.Admin(http.MethodGet, "/api/v1/channels/"+halfID, nil).Map(t)
		if half["enabled"] != true {
			t.Fatalf("half-failing channel = %v, want enabled", half)
		}
	})
}

// A delivery claimed by a worker that died is taken over once its lease has run out,
// never before.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ep := newEndpoint(t)
		f.createChannel(t, map[string]any{"url": ep.URL})
		evID := f.enqueue(t, notify.EventIncidentResolved)
		// A worker claimed it and died: its lease runs for another 30 s.
		if err := db.Conn(context.Background()).Exec("UPDATE notify_deliveries SET lease_until = ?, leased_by = 'dead'",
			t0.Add(30*time.Second)).Error; err != nil {
			t.Fatalf("simulating a dead worker's claim: %v", err)
		}
		if n := f.deliverDue(t); n != 0 {
			t.Fatalf("a live lease was taken over: attempted %d", n)
		}
		f.clock.Advance(31 * time.Second)
		if n := f.deliverDue(t); n != 1 {
			t.Fatalf("an expired lease was not taken over: attempted %d", n)
		}
		if got := ep.requests(); len(got) != 1 || got[0].id != evID {
			t.Fatalf("endpoint got %v, want %s once", got, evID)
		}
	})
}

// Rotating the secret answers the new one and signs with both for 24 hours.
func TestRotateSecretSignsWithBoth(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ep := newEndpoint(t)
		chID, oldSecret := f.createChannel(t, map[string]any{"url": ep.URL})
		a := f.api.Admin(http.MethodPost, "/api/v1/channels/"+chID+"/rotate-secret", nil)
		newSecret, _ := a.Map(t)["secret"].(string)
		if a.Status != http.StatusOK || !strings.HasPrefix(newSecret, "whsec_") || newSecret == oldSecret {
			t.Fatalf("rotate = %d %s", a.Status, a.Body)
		}
		if g := f.api.Admin(http.MethodGet, "/api/v1/channels/"+chID, nil).Map(t); g["secret"] != nil {
			t.Fatalf("GET shows the secret: %v", g)
		}
		f.enqueue(t, notify.EventServiceStatusChanged)
		f.clock.Advance(23 * time.Hour)
		f.enqueue(t, notify.EventPostCreated)
		for f.deliverDue(t) > 0 {
		}
		got := ep.requests()
		if len(got) != 2 {
			t.Fatalf("endpoint got %d requests, want 2", len(got))
		}
		for _, r := range got {
			verify(t, oldSecret, r, f.clock.Peek())
			verify(t, newSecret, r, f.clock.Peek())
		}
		f.clock.Advance(2 * time.Hour)
		f.enqueue(t, notify.EventPostCreated)
		f.deliverDue(t)
		last := ep.requests()[2]
		verify(t, newSecret, last, f.clock.Peek())
		if n := len(strings.Fields(last.signature)); n != 1 {
			t.Fatalf("after 24 h the signature has %d entries, want only the new secret's", n)
		}
	})
}

// Events older than 30 days go with their deliveries and attempts; one still pending
// stays, and the backlog's age is what Stats reports.
func TestPruneAndBacklog(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ok := newEndpoint(t)
		down := newEndpoint(t, status(500), status(500), status(500), status(500), status(500), status(500), status(500), status(500))
		chID, _ := f.createChannel(t, map[string]any{"name": "ok", "url": ok.URL})
		f.createChannel(t, map[string]any{"name": "down", "url": down.URL, "retry_schedule": []int{2 * 24 * 3600}})
		f.enqueue(t, notify.EventServiceStatusChanged)
		f.deliverDue(t) // ok: succeeded; down: retry in 2 days, left waiting (no worker runs)
		f.clock.Advance(31 * 24 * time.Hour)
		if n, err := f.outbox.Prune(context.Background()); err != nil || n != 0 {
			t.Fatalf("Prune with a delivery still pending = %d, %v; want 0", n, err)
		}
		st, err := f.outbox.Stats(context.Background())
		if err != nil || st.Pending != 1 || st.Due != 1 || st.OldestDue != 29*24*time.Hour {
			t.Fatalf("Stats = %+v, %v; want 1 pending, due for 29 days", st, err)
		}
		f.deliverDue(t) // the last attempt fails: the delivery is failed
		if n, err := f.outbox.Prune(context.Background()); err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want the old event gone", n, err)
		}
		// What is left is new: the channel.disabled the five failing days caused.
		if left := f.deliveries(t, chID, "").Deliveries; len(left) != 1 || left[0].EventType != notify.EventChannelDisabled {
			t.Fatalf("deliveries after pruning = %+v, want only the fresh channel.disabled", left)
		}
	})
}

// A live worker renews its lease while a slow endpoint keeps it waiting, so another
// worker never takes the delivery over, however long the attempt runs.
func TestSlowAttemptIsNeverStolen(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		ep := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() { close(started) })
			<-release
			w.WriteHeader(http.StatusOK)
		})
		f.createChannel(t, map[string]any{"url": ep.URL})
		f.enqueue(t, notify.EventIncidentCreated)
		mk := func(id string) *notify.Outbox {
			return notify.NewOutbox(notify.Options{
				DB: db, Box: f.box, NowFunc: f.clock.Now, Logger: dbtest.Logger(t), AllowPrivate: true, WorkerID: id,
				Notifiers: map[string]notify.Notifier{notify.TypeWebhook: notify.NewWebhook(notify.NewClient(true, 4), f.clock.Now)},
				Lease:     300 * time.Millisecond,
			})
		}
		slow, other := mk("slow"), mk("other")
		done := make(chan error, 1)
		go func() {
			_, err := slow.DeliverDue(context.Background())
			done <- err
		}()
		<-started
		// By the clock the first lease has run out; the renewal (every 100 ms of real
		// time) moves it past the clock again.
		now := f.clock.Advance(time.Hour)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var until []time.Time
			if err := db.Conn(context.Background()).Raw("SELECT lease_until FROM notify_deliveries").Scan(&until).Error; err != nil {
				t.Fatalf("reading the lease: %v", err)
			}
			if len(until) == 1 && until[0].After(now) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lease was not renewed: %v, clock %s", until, now)
			}
		}
		if n, err := other.DeliverDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("another worker took a live worker's delivery: %d, %v", n, err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("slow worker: %v", err)
		}
		if n := len(ep.requests()); n != 1 {
			t.Fatalf("endpoint got %d requests, want 1", n)
		}
	})
}

// Bursts of events to one endpoint reuse the connections the first burst opened: the
// endpoint sees as many connections as attempts run at once, not a new dial for each
// attempt the client could not keep open. The endpoint holds each burst until all of
// its attempts have arrived, so every burst needs that many connections at once.
func TestBurstsToOneEndpointReuseConnections(t *testing.T) {
	const workers, bursts = 8, 3
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		var (
			mu      sync.Mutex
			dialled int
			arrived int
			gate    = make(chan struct{})
		)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			mu.Lock()
			arrived++
			wait := gate
			if arrived%workers == 0 {
				close(gate)
				gate = make(chan struct{})
			}
			mu.Unlock()
			select {
			case <-wait:
			case <-time.After(5 * time.Second): // a short burst: answer anyway, the count tells
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				dialled++
				mu.Unlock()
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)

		f.createChannel(t, map[string]any{"url": srv.URL})
		for range workers * bursts {
			f.enqueue(t, notify.EventServiceStatusChanged)
		}
		outbox := notify.NewOutbox(notify.Options{
			DB: db, Box: f.box, NowFunc: f.clock.Now, Logger: dbtest.Logger(t), AllowPrivate: true, WorkerID: "burst",
			Notifiers: map[string]notify.Notifier{notify.TypeWebhook: notify.NewWebhook(notify.NewClient(true, workers), f.clock.Now)},
			Workers:   workers,
		})
		for i := range bursts {
			if n, err := outbox.DeliverDue(context.Background()); err != nil || n != workers {
				t.Fatalf("burst %d: DeliverDue = %d, %v; want %d attempts", i+1, n, err, workers)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if arrived != workers*bursts {
			t.Fatalf("endpoint got %d requests, want %d", arrived, workers*bursts)
		}
		if dialled != workers {
			t.Fatalf("endpoint saw %d connections for %d bursts of %d attempts, want %d (one per attempt in flight)", dialled, bursts, workers, workers)
		}
	})
}

// runOutbox runs a fresh outbox of workers attempts at once until the test stops it
// with the returned func, which waits for Run to drain and fails the test if that
// takes longer than an attempt could.
func (f *fixture) runOutbox(t *testing.T, workerID string, workers int) (stop func()) {
	t.Helper()
	outbox := notify.NewOutbox(notify.Options{
		DB: f.db, Box: f.box, NowFunc: f.clock.Now, Logger: dbtest.Logger(t), AllowPrivate: true, WorkerID: workerID,
		Notifiers: map[string]notify.Notifier{notify.TypeWebhook: notify.NewWebhook(notify.NewClient(true, workers), f.clock.Now)},
		Workers:   workers, PollInterval: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		outbox.Run(ctx)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return 15 s after it was stopped")
		}
	}
	t.Cleanup(stop)
	return stop
}

// gate is an endpoint behaviour that holds its request until the test opens the gate
// (or the client gives up), and tells the test when a request is being held. The
// gate opens when the test ends, so a failed test does not leave its server waiting.
type gate struct {
	held, open       chan struct{}
	heldOnce, opened sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{held: make(chan struct{}), open: make(chan struct{})}
	t.Cleanup(g.release)
	return g
}

func (g *gate) release() { g.opened.Do(func() { close(g.open) }) }

func (g *gate) hold(w http.ResponseWriter, r *http.Request) {
	g.heldOnce.Do(func() { close(g.held) })
	select {
	case <-g.open:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
	}
}

// enqueueBehind enqueues an event, waits until g holds an attempt of it, and enqueues
// n more behind it.
func (f *fixture) enqueueBehind(t *testing.T, g *gate, n int) {
	t.Helper()
	f.enqueue(t, notify.EventServiceStatusChanged)
	g.waitHeld(t)
	for range n {
		f.enqueue(t, notify.EventServiceStatusChanged)
	}
}

// waitHeld waits until the gate holds a request.
func (g *gate) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(5 * time.Second):
		t.Fatal("after 5 s the endpoint has had no request to hold")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
	}
}

// succeededFirstTime checks, through the API, that the channel has want deliveries,
// each succeeded at its first attempt.
func (f *fixture) succeededFirstTime(t *testing.T, channelID string, want int) {
	t.Helper()
	ds := f.deliveries(t, channelID, "")
	if len(ds.Deliveries) != want {
		t.Fatalf("channel %s has %d deliveries, want %d", channelID, len(ds.Deliveries), want)
	}
	for _, d := range ds.Deliveries {
		if d.Status != "succeeded" || len(d.Attempts) != 1 {
			t.Fatalf("channel %s: delivery %s is %s after %d attempts, want succeeded after 1", channelID, d.ID, d.Status, len(d.Attempts))
		}
	}
}

// An endpoint that takes its time holds up its own attempt, not everyone's: while
// one channel's first attempt hangs, the other channel gets every later event, and
// so do the hanging channel's later attempts, with the workers that are free.
func TestSlowEndpointHoldsUpOnlyItsOwnAttempt(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		g := newGate(t)
		slow, fast := newEndpoint(t, g.hold), newEndpoint(t)
		slowID, _ := f.createChannel(t, map[string]any{"url": slow.URL, "name": "slow"})
		fastID, _ := f.createChannel(t, map[string]any{"url": fast.URL, "name": "fast"})
		stop := f.runOutbox(t, "w", 2)

		const later = 5
		f.enqueueBehind(t, g, later)
		waitFor(t, "the fast channel has not had every event while the slow one hangs", func() bool {
			return len(fast.requests()) == later+1 && len(slow.requests()) == later+1
		})
		g.release()
		stop()
		f.succeededFirstTime(t, slowID, later+1)
		f.succeededFirstTime(t, fastID, later+1)
	})
}

// Deliveries a stopping outbox had claimed but not yet attempted are handed back, so
// the next instance sends them at once instead of waiting for their leases to run out;
// the attempt in flight finishes and is recorded.
func TestStoppedOutboxHandsBackWhatItDidNotAttempt(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		g := newGate(t)
		ep := newEndpoint(t, g.hold)
		chID, _ := f.createChannel(t, map[string]any{"url": ep.URL})
		stop := f.runOutbox(t, "first", 1)

		const waiting = 3
		f.enqueueBehind(t, g, waiting)
		leased := func() int {
			var n int
			if err := db.Conn(context.Background()).Raw("SELECT count(*) FROM notify_deliveries WHERE leased_by = 'first'").Scan(&n).Error; err != nil {
				t.Fatalf("counting leases: %v", err)
			}
			return n
		}
		waitFor(t, "the outbox has not claimed the deliveries behind the hanging one", func() bool { return leased() == 1+waiting })

		go func() {
			time.Sleep(200 * time.Millisecond) // stopping first: the attempt in flight must still finish
			g.release()
		}()
		stop()
		if n := leased(); n != 0 {
			t.Fatalf("%d deliveries are still leased to the stopped outbox", n)
		}
		if n := len(ep.requests()); n != 1 {
			t.Fatalf("endpoint got %d requests from the stopping outbox, want the 1 in flight", n)
		}
		// The clock has not moved: only deliveries without a live lease can be claimed.
		if n := f.deliverDue(t); n != waiting {
			t.Fatalf("the next outbox attempted %d deliveries at once, want the %d handed back", n, waiting)
		}
		f.succeededFirstTime(t, chID, 1+waiting)
	})
}

// A worker whose delivery another worker took over while its attempt ran logs the
// attempt and leaves the delivery alone: the success it saw is not the delivery's,
// which is now the other worker's to finish.
func TestTakenOverSuccessLeavesTheDeliveryAlone(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		g := newGate(t)
		chID, _ := f.createChannel(t, map[string]any{"url": newEndpoint(t, g.hold).URL})
		f.enqueue(t, notify.EventServiceStatusChanged)
		done := make(chan error, 1)
		go func() {
			_, err := f.outbox.DeliverDue(context.Background())
			done <- err
		}()
		g.waitHeld(t)
		dbtest.Exec(t, db, "UPDATE notify_deliveries SET leased_by = 'other'")
		g.release()
		if err := <-done; err != nil {
			t.Fatalf("DeliverDue: %v", err)
		}
		var row struct {
			Status       string
			AttemptCount int
			LeasedBy     string
		}
		if err := db.Conn(context.Background()).Raw("SELECT status, attempt_count, leased_by FROM notify_deliveries").Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Status != "pending" || row.AttemptCount != 0 || row.LeasedBy != "other" {
			t.Fatalf("delivery after the stale worker's success = %+v, want pending, 0 attempts, leased by other", row)
		}
		ds := f.deliveries(t, chID, "").Deliveries
		if len(ds) != 1 || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].StatusCode != http.StatusOK {
			t.Fatalf("deliveries = %+v, want the one attempt logged with its 200", ds)
		}
	})
}
