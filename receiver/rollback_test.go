package receiver_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
)

// When anything that follows a status change fails, nothing of the delivery is
// committed (no status, history, post or log row) and the sender is told to retry.
func TestFailureAfterAChangeCommitsNothingAndAnswers503(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		failing := func(ctx context.Context, ch services.Change) error { return errors.New("incident store broke") }
		svc := services.NewStore(db, services.Options{ChangeFuncs: []services.ChangeFunc{failing}})
		box, _ := secrets.NewBox(make([]byte, secrets.KeySize))
		store := receiver.NewStore(receiver.StoreConfig{DB: db, Services: svc, Box: box, PublicURL: "http://gateway.test"})
		h := receiver.NewHandler(receiver.HandlerConfig{Store: store, Logger: dbtest.Logger(t)})
		srv := apitest.New(t, db, func(g *echo.Group) { svc.Register(g); h.Register(g) })
		h.RegisterInbound(srv.Echo)

		s := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "api"}).Map(t)
		r := srv.Admin(http.MethodPost, "/api/v1/receivers", map[string]any{"name": "r", "service_id": s["id"]}).Map(t)

		a := srv.Do(http.MethodPost, "/api/webhooks/incoming/"+r["token"].(string), "", `{"status":"down"}`)
		if a.Status != http.StatusServiceUnavailable || a.ErrorCode(t) != "unavailable" || a.Header.Get("Retry-After") == "" {
			t.Fatalf("answer = %d %s (Retry-After %q), want 503 unavailable with Retry-After", a.Status, a.Body, a.Header.Get("Retry-After"))
		}
		got := srv.Admin(http.MethodGet, "/api/v1/services/"+s["id"].(string), nil).Map(t)
		if got["status"] != "operational" {
			t.Fatalf("service status = %v, want operational (rolled back)", got["status"])
		}
		log := srv.Admin(http.MethodGet, "/api/v1/receivers/"+r["id"].(string)+"/deliveries", nil).Map(t)["deliveries"].([]any)
		posts := srv.Admin(http.MethodGet, "/api/v1/posts", nil).Map(t)["posts"].([]any)
		var history int64
		if err := db.Conn(context.Background()).Table("status_history").Count(&history).Error; err != nil {
			t.Fatal(err)
		}
		if len(posts) != 0 || history != 1 {
			t.Fatalf("after the failure: %d posts, %d history rows; want 0 and 1 (creation only)", len(posts), history)
		}
		if len(log) != 1 {
			t.Fatalf("delivery log has %d rows, want 1 saying why the sender was told to retry", len(log))
		}
		entry := log[0].(map[string]any)
		if entry["result"] != "failed" || entry["error_code"] != "unavailable" || entry["new_status"] != nil || entry["payload"] != `{"status":"down"}` {
			t.Fatalf("log entry = %v, want failed/unavailable with the payload and no new status", entry)
		}
	})
}

// A receiver whose stored secret cannot be decrypted (the operator changed
// STATUSGATE_SECRET_KEY) tells its sender to retry, instead of failing for good.
func TestUndecryptableSecretAnswers503(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		svc := services.NewStore(db, services.Options{})
		oldKey := make([]byte, secrets.KeySize)
		newKey := make([]byte, secrets.KeySize)
		newKey[0] = 1
		boxOf := func(k []byte) *secrets.Box { b, _ := secrets.NewBox(k); return b }
		before := receiver.NewStore(receiver.StoreConfig{DB: db, Services: svc, Box: boxOf(oldKey), PublicURL: "http://gateway.test"})
		after := receiver.NewStore(receiver.StoreConfig{DB: db, Services: svc, Box: boxOf(newKey), PublicURL: "http://gateway.test"})
		h := receiver.NewHandler(receiver.HandlerConfig{Store: after, Logger: dbtest.Logger(t)})
		srv := apitest.New(t, db, svc.Register)
		h.RegisterInbound(srv.Echo)

		s := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "api"}).Map(t)
		r, err := before.Create(context.Background(), srv.Org.ID, receiver.CreateInput{
			Name: "signed", ServiceID: mustUUID(t, s["id"].(string)), Signature: &receiver.SignatureInput{Scheme: "hmac-sha256", Secret: "s3cret"},
		})
		if err != nil {
			t.Fatal(err)
		}
		a := srv.Do(http.MethodPost, "/api/webhooks/incoming/"+r.Token, "", `{"status":"down"}`)
		if a.Status != http.StatusServiceUnavailable || a.ErrorCode(t) != "unavailable" || a.Header.Get("Retry-After") == "" {
			t.Fatalf("answer = %d %s, want 503 unavailable with Retry-After", a.Status, a.Body)
		}
	})
}

func mustUUID(t *testing.T, s string) *uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &id
}
