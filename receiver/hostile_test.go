package receiver_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
)

// Hostile senders: what anyone holding a receiver URL, or guessing one, can send.

// nestingBombs are bodies of every shape that nest past mapping.MaxNestingDepth, the
// biggest at the default 1 MiB limit.
func nestingBombs() map[string][]byte {
	const size = 1<<20 - 64 // room for the prefix, under the default limit
	half := size / 2
	return map[string][]byte{
		"arrays":          []byte(strings.Repeat("[", half) + strings.Repeat("]", half)),
		"unclosed arrays": bytes.Repeat([]byte("["), size),
		"objects":         []byte(strings.Repeat(`{"a":`, size/10) + "1" + strings.Repeat("}", size/10)),
		"mixed":           []byte(strings.Repeat(`[{"s":`, size/12) + `"down"` + strings.Repeat("}]", size/12)),
		"after a status":  []byte(`{"status":"down","x":` + strings.Repeat("[", size/2) + strings.Repeat("]", size/2) + "}"),
		"just past":       []byte(strings.Repeat("[", mapping.MaxNestingDepth+1) + strings.Repeat("]", mapping.MaxNestingDepth+1)),
	}
}

func TestNestingBombsAreRefusedConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Bombed", nil)
		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for name, body := range nestingBombs() {
			for range 3 {
				wg.Go(func() {
					a, err := sendWebhook(f.inboundURL(r.Token), bytes.NewReader(body), nil)
					switch {
					case err != nil:
						errs <- fmt.Sprintf("%s: %v", name, err)
					case a.Status != http.StatusBadRequest || !strings.Contains(string(a.Body), "invalid_json") ||
						!strings.Contains(string(a.Body), "deeper than the limit of 64 levels"):
						errs <- fmt.Sprintf("%s: %d %.300s; want 400 invalid_json naming the depth limit", name, a.Status, a.Body)
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
		// The dry run reads bodies the same way.
		a := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+r.ID.String()+"/test", nestingBombs()["arrays"])
		m := a.Map(t)
		errObj, _ := m["error"].(map[string]any)
		if a.Status != http.StatusOK || m["http_status"] != float64(400) || errObj["code"] != "invalid_json" {
			t.Fatalf("dry run of a bomb = %d %.300s; want 200 reporting http_status 400 invalid_json", a.Status, a.Body)
		}
		// And the receiver still works.
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
	})
}

func TestDuplicateKeysAndNonScalarStatuses(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Twice", nil)

		ans := expect(t, f.post(r.Token, []byte(`{"status":"down","status":"operational"}`), nil), http.StatusBadRequest, "failed", "invalid_json")
		if !strings.Contains(ans.Error.Message, `"status"`) {
			t.Fatalf("duplicate key message %q; want it to name the key", ans.Error.Message)
		}
		if d := f.lastDelivery(r.ID, ans); str(d.ErrorCode) != "invalid_json" {
			t.Fatalf("log error_code = %s; want invalid_json", str(d.ErrorCode))
		}
		ans = expect(t, f.post(r.Token, []byte(`{"status":"down","message":"a","message":"b"}`), nil), http.StatusBadRequest, "failed", "invalid_json")
		if !strings.Contains(ans.Error.Message, `"message"`) {
			t.Fatalf("duplicate message key: message %q; want it to name the key", ans.Error.Message)
		}
		for body, want := range map[string]string{
			`{"status":["down"]}`:         "is an array, not a single status",
			`{"status":{"value":"down"}}`: "is an object, not a single status",
		} {
			ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
			if !strings.Contains(ans.Error.Message, want) {
				t.Fatalf("%s: message %q; want it to say %q", body, ans.Error.Message, want)
			}
		}
		if got := f.getService(svc.ID).Status; got != mapping.Operational {
			t.Fatalf("service status = %s; want it untouched (operational)", got)
		}
	})
}

// randomToken is a well-formed token no receiver has.
func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, receiver.TokenLength/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestTokenScanIsThrottledWhileRealDeliveriesFlow(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		const burst = 5
		f := newFixture(t, db, fixtureOptions{ratePerMinute: 1200, rateBurst: 600, failuresPerMinute: 6, failureBurst: burst})
		svc, r := f.fixedReceiver("Scanned", nil)

		for i := range burst {
			a := f.post(randomToken(t), []byte(`{"status":"down"}`), nil)
			expectNotFound(t, a)
			if got, want := a.Header.Get("X-RateLimit-Remaining"), strconv.Itoa(burst-1-i); got != want || a.Header.Get("X-RateLimit-Limit") != strconv.Itoa(burst) {
				t.Fatalf("unknown token %d: X-RateLimit-Limit/-Remaining = %s/%s; want %d/%s", i, a.Header.Get("X-RateLimit-Limit"), got, burst, want)
			}
		}
		for _, token := range []string{randomToken(t), "not-even-a-token", randomToken(t)} {
			a := f.post(token, []byte(`{"status":"down"}`), nil)
			if a.Status != http.StatusTooManyRequests || a.ErrorCode(t) != "rate_limited" {
				t.Fatalf("token %d past the burst: %d %s; want 429 rate_limited", len(token), a.Status, a.Body)
			}
			if secs, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 10 {
				t.Fatalf("Retry-After = %q; want the seconds until the next guess (10 at 6 a minute)", a.Header.Get("Retry-After"))
			}
		}
		// A working receiver on the same address is unaffected, and says where its
		// own limit stands.
		a := f.post(r.Token, []byte(`{"status":"down"}`), nil)
		expect(t, a, http.StatusOK, "processed", "")
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if a.Header.Get(h) == "" {
				t.Fatalf("delivery answer lacks %s: %v", h, a.Header)
			}
		}
		// A receiver created (or enabled) during the scan works at once.
		_, fresh := f.fixedReceiver("Created mid-scan", nil)
		expect(t, f.post(fresh.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		off := f.createReceiver(map[string]any{"name": "off", "service_id": svc.ID, "enabled": false})
		if a := f.post(off.Token, []byte(`{"status":"down"}`), nil); a.Status != http.StatusTooManyRequests {
			t.Fatalf("disabled receiver from a throttled address: %d; want 429", a.Status)
		}
		if a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+off.ID.String(), map[string]any{"enabled": true}); a.Status != http.StatusOK {
			t.Fatalf("enabling: %d %s", a.Status, a.Body)
		}
		expect(t, f.post(off.Token, []byte(`{"status":"operational"}`), nil), http.StatusOK, "processed", "")

		// The address earns a guess back with time.
		f.clock.Advance(10 * time.Second)
		expectNotFound(t, f.post(randomToken(t), []byte(`{}`), nil))
		if a := f.post(randomToken(t), []byte(`{}`), nil); a.Status != http.StatusTooManyRequests {
			t.Fatalf("second guess after one refill: %d; want 429", a.Status)
		}
	})
}

func TestUnsignedFloodKeepsAuthenticatedDeliveries(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		const secret = "flood-secret"
		// The failure limit off, so every unsigned POST reaches the log: the log's own
		// bound is what is tested here.
		f := newFixture(t, db, fixtureOptions{failuresPerMinute: -1})
		_, r := f.fixedReceiver("Flooded", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret}})
		signed := func(status string) apitest.Answer {
			body := []byte(`{"status":"` + status + `"}`)
			return f.post(r.Token, body, map[string]string{"X-Webhook-Signature": signHex(secret, body)})
		}
		expect(t, signed("down"), http.StatusOK, "processed", "")
		f.clock.Advance(time.Second)
		expect(t, signed("operational"), http.StatusOK, "processed", "")
		for range 60 {
			f.clock.Advance(time.Second)
			expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		}
		list := f.deliveries(r.ID)
		counts := map[string]int{}
		for _, d := range list {
			counts[d.Result]++
		}
		if counts["processed"] != 2 || counts["auth_failed"] != receiver.KeepUnverified {
			t.Fatalf("log holds %v; want both processed deliveries and the newest %d auth_failed", counts, receiver.KeepUnverified)
		}
		a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/deliveries?result=processed", nil)
		var only struct {
			Deliveries []delivery `json:"deliveries"`
		}
		a.JSON(t, &only)
		if a.Status != http.StatusOK || len(only.Deliveries) != 2 || only.Deliveries[0].Result != "processed" || only.Deliveries[1].Result != "processed" {
			t.Fatalf("?result=processed = %d %.300s; want the two processed deliveries", a.Status, a.Body)
		}
		if a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/deliveries?result=bogus", nil); a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
			t.Fatalf("?result=bogus = %d %s; want 422 validation_failed", a.Status, a.Body)
		}
	})
}

func TestUnsignedFloodIsThrottledButSignedDeliveriesPass(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		const secret = "throttle-secret"
		f := newFixture(t, db, fixtureOptions{failuresPerMinute: 6, failureBurst: 3})
		_, r := f.fixedReceiver("Throttled", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret}})
		for range 3 {
			expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		}
		a := f.post(r.Token, []byte(`{"status":"down"}`), nil)
		if a.Status != http.StatusTooManyRequests || a.ErrorCode(t) != "rate_limited" || a.Header.Get("Retry-After") == "" {
			t.Fatalf("unsigned past the burst: %d %v %s; want 429 rate_limited with Retry-After", a.Status, a.Header, a.Body)
		}
		if n := len(f.deliveries(r.ID)); n != 3 {
			t.Fatalf("log holds %d; want the 3 auth_failed, and no row for the refused one", n)
		}
		body := []byte(`{"status":"down"}`)
		expect(t, f.post(r.Token, body, map[string]string{"X-Webhook-Signature": signHex(secret, body)}), http.StatusOK, "processed", "")
	})
}

// rawPost writes a request by hand and returns the first status line the server sends
// and, if that is not the final answer, the next one.
func rawPost(t *testing.T, serverURL, path string, header string) (first string, rest []byte) {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n", path, u.Host, header)
	br := bufio.NewReader(conn)
	first, err = br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	rest, _ = io.ReadAll(br)
	return strings.TrimSpace(first), rest
}

func TestExpectContinueOverTheLimitIsRefusedBeforeTheUpload(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{maxBodyBytes: 4096})
		_, r := f.fixedReceiver("Continued", nil)
		first, rest := rawPost(t, f.srv.URL, "/api/webhooks/incoming/"+r.Token,
			"Expect: 100-continue\r\nContent-Length: 10000000\r\nConnection: close\r\n")
		if first != "HTTP/1.1 413 Request Entity Too Large" {
			t.Fatalf("first status line %q; want 413 before any 100 Continue", first)
		}
		if !bytes.Contains(rest, []byte("payload_too_large")) {
			t.Fatalf("413 answer body lacks payload_too_large: %s", rest)
		}
		list := f.deliveries(r.ID)
		if len(list) != 1 || str(list[0].ErrorCode) != "payload_too_large" || list[0].Payload != "" || !list[0].PayloadTruncated {
			t.Fatalf("log = %+v; want one payload_too_large entry with nothing kept, marked truncated", list)
		}
		// Under the limit, the upload is invited and processed.
		body := `{"status":"down"}`
		first, _ = rawPost(t, f.srv.URL, "/api/webhooks/incoming/"+r.Token,
			"Expect: 100-continue\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
		if first != "HTTP/1.1 100 Continue" {
			t.Fatalf("first status line %q; want 100 Continue for a body under the limit", first)
		}
	})
}

func TestTruncationFlagOnlyWhenSomethingWasCut(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db, fixtureOptions{maxBodyBytes: 16 << 10})
	_, r := f.fixedReceiver("Cut", nil)
	big := []byte(`{"status":"down","pad":"` + strings.Repeat("x", receiver.MaxLoggedPayload) + `"}`)
	for name, send := range map[string]func() apitest.Answer{
		"with Content-Length": func() apitest.Answer { return f.post(r.Token, big, nil) },
		"chunked":             func() apitest.Answer { return f.postReader(r.Token, io.MultiReader(bytes.NewReader(big)), nil) },
	} {
		ans := expect(t, send(), http.StatusRequestEntityTooLarge, "failed", "payload_too_large")
		d := f.lastDelivery(r.ID, ans)
		if !d.PayloadTruncated || len(d.Payload) != receiver.MaxLoggedPayload || !bytes.HasPrefix(big, []byte(d.Payload)) {
			t.Fatalf("%s: truncated %v, payload %d bytes; want the first %d bytes, marked truncated", name, d.PayloadTruncated, len(d.Payload), receiver.MaxLoggedPayload)
		}
	}
}

func TestDeliveryLogsShowValuesNotPointers(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db, fixtureOptions{logger: logger})
	_, r := f.fixedReceiver("Logged plainly", nil)
	expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
	expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "ignored", "")
	expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
	out := buf.String()
	if strings.Contains(out, "=0xc") || strings.Contains(out, "=0x") {
		t.Fatalf("log prints pointer addresses:\n%s", out)
	}
	for _, want := range []string{"new_status=down", "reason=unchanged", "result=processed", "error_code=status_unmapped"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

// syncBuffer is a buffer the handler's logger may write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A receiver disabled through another instance (here a second store on the same
// database) is found disabled once, then answered from the token set: from a
// throttled address that is 429, not another query.
func TestReceiverDisabledElsewhereIsForgotten(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{failuresPerMinute: 6, failureBurst: 1})
		_, r := f.fixedReceiver("Elsewhere", nil)
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		box, err := secrets.NewBox(make([]byte, secrets.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		other := receiver.NewStore(receiver.StoreConfig{DB: db, Services: f.svc, Box: box, PublicURL: publicURL, NowFunc: f.clock.Now})
		off := false
		if _, err := other.Update(ctx(), f.srv.Org.ID, r.ID, receiver.UpdateInput{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		expectNotFound(t, f.post(r.Token, []byte(`{"status":"down"}`), nil))
		if a := f.post(r.Token, []byte(`{"status":"down"}`), nil); a.Status != http.StatusTooManyRequests {
			t.Fatalf("disabled receiver, second try from a throttled address: %d %s; want 429", a.Status, a.Body)
		}
	})
}

// Two gateways on one SQLite file (what two processes would be, had the file lock not
// stopped the second) deliver concurrently: write transactions begin IMMEDIATE and
// wait their turn, so none answers 503 for SQLITE_BUSY.
func TestTwoGatewaysOnOneSQLiteFileNeverAnswer503(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t, database.SQLite)
	var dbs [2]*database.DB
	for i := range dbs {
		db, err := database.Open(ctx(), dbURL, database.Options{SharedFile: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	f := newFixture(t, dbs[0], fixtureOptions{})
	_, r := f.fixedReceiver("Shared", nil)
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc2 := services.NewStore(dbs[1], services.Options{NowFunc: f.clock.Now})
	store2 := receiver.NewStore(receiver.StoreConfig{DB: dbs[1], Services: svc2, Box: box, PublicURL: publicURL, NowFunc: f.clock.Now})
	e2 := echo.New()
	e2.HTTPErrorHandler = apierr.Handler(dbtest.Logger(t), database.IsUnavailable)
	receiver.NewHandler(receiver.HandlerConfig{Store: store2, NowFunc: f.clock.Now}).RegisterInbound(e2)
	srv2 := httptest.NewServer(e2)
	t.Cleanup(srv2.Close)

	urls := []string{f.inboundURL(r.Token), srv2.URL + "/api/webhooks/incoming/" + r.Token}
	var wg sync.WaitGroup
	errs := make(chan string, 80)
	for i := range 80 {
		wg.Go(func() {
			status := []string{"down", "operational"}[i%2]
			a, err := sendWebhook(urls[i%2], strings.NewReader(`{"status":"`+status+`"}`), nil)
			if err != nil || a.Status != http.StatusOK {
				errs <- fmt.Sprintf("delivery %d via gateway %d: %v %d %s", i, i%2+1, err, a.Status, a.Body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
