package receiver_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/testclock"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// publicURL is the STATUSGATE_PUBLIC_URL the fixtures hand out receiver URLs under.
const publicURL = "http://gateway.test"

// clockStart is before every sample payload's own timestamp (the oldest is GitHub's,
// 2019-05-15), so the samples are not stale against a service created at the start.
var clockStart = time.Date(2019, 5, 1, 9, 0, 0, 0, time.UTC)

// fixture is one gateway with the services and receivers APIs and the inbound route.
type fixture struct {
	t     testing.TB
	db    *database.DB
	srv   *apitest.Server
	svc   *services.Store
	store *receiver.Store
	clock *testclock.Clock
}

type fixtureOptions struct {
	maxBodyBytes  int64
	ratePerMinute int
	rateBurst     int
	// failuresPerMinute and failureBurst are the per-address failure limit.
	failuresPerMinute, failureBurst int
	logger                          *slog.Logger
}

func newFixture(t testing.TB, db *database.DB, o fixtureOptions) *fixture {
	t.Helper()
	clock := testclock.New(clockStart)
	svc := services.NewStore(db, services.Options{NowFunc: clock.Now})
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatalf("secrets.NewBox: %v", err)
	}
	store := receiver.NewStore(receiver.StoreConfig{DB: db, Services: svc, Box: box, PublicURL: publicURL, NowFunc: clock.Now})
	h := receiver.NewHandler(receiver.HandlerConfig{Store: store, MaxBodyBytes: o.maxBodyBytes, RatePerMinute: o.ratePerMinute, RateBurst: o.rateBurst,
		FailuresPerMinute: o.failuresPerMinute, FailureBurst: o.failureBurst, NowFunc: clock.Now, Logger: o.logger})
	srv := apitest.New(t, db, func(g *echo.Group) {
		svc.Register(g)
		h.Register(g)
	})
	h.RegisterInbound(srv.Echo)
	return &fixture{t: t, db: db, srv: srv, svc: svc, store: store, clock: clock}
}

// createService creates a service through the API.
func (f *fixture) createService(name string) services.Service {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": name})
	if a.Status != http.StatusCreated {
		f.t.Fatalf("creating service %q: %d %s", name, a.Status, a.Body)
	}
	var s services.Service
	a.JSON(f.t, &s)
	return s
}

// getService reads a service through the API.
func (f *fixture) getService(id uuid.UUID) services.Service {
	f.t.Helper()
	a := f.srv.Admin(http.MethodGet, "/api/v1/services/"+id.String(), nil)
	if a.Status != http.StatusOK {
		f.t.Fatalf("reading service %s: %d %s", id, a.Status, a.Body)
	}
	var s services.Service
	a.JSON(f.t, &s)
	return s
}

// createdReceiver is the 201 answer of POST /api/v1/receivers as a client reads it.
type createdReceiver struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	TokenHint string    `json:"token_hint"`
	Enabled   bool      `json:"enabled"`
	Signature *struct {
		Scheme  string   `json:"scheme"`
		Header  string   `json:"header"`
		Secrets []string `json:"secrets"`
	} `json:"signature"`
}

// createReceiver creates a receiver through the API and fails unless the answer is 201.
func (f *fixture) createReceiver(body map[string]any) createdReceiver {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", body)
	if a.Status != http.StatusCreated {
		f.t.Fatalf("creating receiver %v: %d %s", body, a.Status, a.Body)
	}
	var r createdReceiver
	a.JSON(f.t, &r)
	return r
}

// fixedReceiver creates a service and a receiver that targets it.
func (f *fixture) fixedReceiver(serviceName string, extra map[string]any) (services.Service, createdReceiver) {
	f.t.Helper()
	s := f.createService(serviceName)
	body := map[string]any{"name": serviceName + " hook", "service_id": s.ID}
	for k, v := range extra {
		body[k] = v
	}
	return s, f.createReceiver(body)
}

// inboundURL is where the test posts: the test server, at the path of the handed-out URL.
func (f *fixture) inboundURL(token string) string {
	return f.srv.URL + "/api/webhooks/incoming/" + token
}

// post sends one webhook. body is sent as is with Content-Type application/json unless
// header sets another; a nil header map sends no extra headers.
func (f *fixture) post(token string, body []byte, header map[string]string) apitest.Answer {
	f.t.Helper()
	return f.postReader(token, bytes.NewReader(body), header)
}

// postReader sends a webhook whose body is read from r; a reader other than
// *bytes.Reader makes the client send it chunked, without Content-Length.
func (f *fixture) postReader(token string, r io.Reader, header map[string]string) apitest.Answer {
	f.t.Helper()
	a, err := sendWebhook(f.inboundURL(token), r, header)
	if err != nil {
		f.t.Fatalf("posting webhook: %v", err)
	}
	return a
}

// sendWebhook is post without a test, for goroutines.
func sendWebhook(url string, r io.Reader, header map[string]string) (apitest.Answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, r)
	if err != nil {
		return apitest.Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apitest.Answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return apitest.Answer{}, err
	}
	return apitest.Answer{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// inboundAnswer is the answer of the inbound endpoint, with API.md's field names.
type inboundAnswer struct {
	Result     string    `json:"result"`
	DeliveryID uuid.UUID `json:"delivery_id"`
	Service    *struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"service"`
	RawStatus      *string `json:"raw_status"`
	MappedStatus   *string `json:"mapped_status"`
	PreviousStatus *string `json:"previous_status"`
	NewStatus      *string `json:"new_status"`
	Reason         *string `json:"reason"`
	Error          *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// expect checks the HTTP status, result and error code of an inbound answer and that
// an error carries a message a person can read.
func expect(t testing.TB, a apitest.Answer, status int, result, code string) inboundAnswer {
	t.Helper()
	var got inboundAnswer
	a.JSON(t, &got)
	if a.Status != status || got.Result != result {
		t.Fatalf("answer %d result %q, want %d %q: %s", a.Status, got.Result, status, result, a.Body)
	}
	switch {
	case code == "" && got.Error != nil:
		t.Fatalf("answer has error %+v, want none: %s", *got.Error, a.Body)
	case code != "" && (got.Error == nil || got.Error.Code != code):
		t.Fatalf("answer error = %s, want code %q", a.Body, code)
	case code != "" && len(strings.TrimSpace(got.Error.Message)) < 8:
		t.Fatalf("error.message %q is not a readable sentence: %s", got.Error.Message, a.Body)
	}
	return got
}

// expectNotFound checks a 404 not_found that is not a delivery answer.
func expectNotFound(t testing.TB, a apitest.Answer) {
	t.Helper()
	if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
		t.Fatalf("answer %d %s, want 404 not_found", a.Status, a.Body)
	}
	if strings.Contains(string(a.Body), `"result"`) {
		t.Fatalf("404 answer carries a delivery result: %s", a.Body)
	}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// delivery is one entry of the delivery log, with API.md's field names.
type delivery struct {
	ID               uuid.UUID         `json:"id"`
	ReceivedAt       time.Time         `json:"received_at"`
	SourceIP         string            `json:"source_ip"`
	Result           string            `json:"result"`
	Reason           *string           `json:"reason"`
	ErrorCode        *string           `json:"error_code"`
	RawStatus        *string           `json:"raw_status"`
	MappedStatus     *string           `json:"mapped_status"`
	PreviousStatus   *string           `json:"previous_status"`
	NewStatus        *string           `json:"new_status"`
	ServiceID        *uuid.UUID        `json:"service_id"`
	Payload          string            `json:"payload"`
	PayloadTruncated bool              `json:"payload_truncated"`
	Headers          map[string]string `json:"headers"`
}

// deliveriesRaw reads a receiver's log and returns the entries both decoded and as
// raw JSON objects (to check which fields are present).
func (f *fixture) deliveriesRaw(id uuid.UUID) ([]delivery, []map[string]json.RawMessage) {
	f.t.Helper()
	a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+id.String()+"/deliveries", nil)
	if a.Status != http.StatusOK {
		f.t.Fatalf("reading delivery log: %d %s", a.Status, a.Body)
	}
	var typed struct {
		Deliveries []delivery `json:"deliveries"`
	}
	a.JSON(f.t, &typed)
	var raw struct {
		Deliveries []map[string]json.RawMessage `json:"deliveries"`
	}
	a.JSON(f.t, &raw)
	if typed.Deliveries == nil {
		f.t.Fatalf("delivery log answer has no deliveries array: %s", a.Body)
	}
	return typed.Deliveries, raw.Deliveries
}

func (f *fixture) deliveries(id uuid.UUID) []delivery {
	f.t.Helper()
	d, _ := f.deliveriesRaw(id)
	return d
}

// lastDelivery returns the newest log entry and checks it is the delivery answered.
func (f *fixture) lastDelivery(id uuid.UUID, ans inboundAnswer) delivery {
	f.t.Helper()
	list := f.deliveries(id)
	if len(list) == 0 {
		f.t.Fatalf("delivery log is empty, want the delivery %s", ans.DeliveryID)
	}
	if list[0].ID != ans.DeliveryID {
		f.t.Fatalf("newest log entry is %s, want the answered delivery %s", list[0].ID, ans.DeliveryID)
	}
	return list[0]
}

// readTestdata reads a fixture file.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading testdata: %v", err)
	}
	return data
}

// signHex is the lower-case hex HMAC-SHA256 of body.
func signHex(secret string, body []byte) string {
	return hex.EncodeToString(signRaw(secret, body))
}

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func signRaw(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// ctx is the context of direct store calls in tests.
func ctx() context.Context { return context.Background() }
