package services_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// The lookups other packages (incidents) use instead of reading the services table.
func TestLockAndNames(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, store := newServer(t, db)
		ctx := context.Background()
		a, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "API"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		b, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "Web"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}

		t.Run("Lock outside a transaction is refused", func(t *testing.T) {
			if _, err := store.Lock(ctx, srv.Org.ID, a.ID); err == nil {
				t.Fatalf("Lock outside InTx succeeded; it would lock nothing")
			}
		})
		t.Run("Lock inside a transaction returns the service", func(t *testing.T) {
			err := db.InTx(ctx, func(ctx context.Context) error {
				got, err := store.Lock(ctx, srv.Org.ID, a.ID)
				if err != nil {
					return err
				}
				if got.ID != a.ID || got.Name != "API" || got.Status != mapping.Operational {
					t.Fatalf("Lock = %+v, want the API service", got)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("InTx: %v", err)
			}
		})
		t.Run("another organization's service is not found", func(t *testing.T) {
			err := db.InTx(ctx, func(ctx context.Context) error {
				_, err := store.Lock(ctx, uuid.New(), a.ID)
				return err
			})
			if apierr.CodeOf(err) != apierr.CodeNotFound {
				t.Fatalf("Lock of a foreign service: %v, want not_found", err)
			}
		})
		t.Run("Names answers the ids that exist", func(t *testing.T) {
			got, err := store.Names(ctx, []uuid.UUID{a.ID, b.ID, uuid.New()})
			if err != nil {
				t.Fatalf("Names: %v", err)
			}
			if len(got) != 2 || got[a.ID] != "API" || got[b.ID] != "Web" {
				t.Fatalf("Names = %v, want API and Web only", got)
			}
			if got, err := store.Names(ctx, nil); err != nil || len(got) != 0 {
				t.Fatalf("Names(nil) = %v, %v; want empty", got, err)
			}
		})
	})
}

// On PostgreSQL, several instances share the database, so Lock must really take the
// row lock Transition waits for. (SQLite has one writer and one connection: there
// the transaction itself serializes the same work.)
func TestLockHoldsBackTransitionOnPostgres(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	srv, store := newServer(t, db)
	ctx := context.Background()
	svc, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "API"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	done := make(chan error, 1)
	err = db.InTx(ctx, func(ctx context.Context) error {
		if _, err := store.Lock(ctx, srv.Org.ID, svc.ID); err != nil {
			return err
		}
		go func() {
			_, err := store.Transition(context.Background(), services.TransitionInput{
				OrgID: srv.Org.ID, ServiceID: svc.ID, To: mapping.Down, Source: services.SourceManual,
			})
			done <- err
		}()
		// Wait until PostgreSQL reports the Transition's backend waiting on a lock:
		// proof that Lock holds it. Polling the catalogue, not a timer, decides.
		deadline := time.Now().Add(time.Minute)
		for {
			var waiting int64
			if err := db.SQL().QueryRowContext(context.Background(),
				`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
				return err
			}
			if waiting > 0 {
				break
			}
			select {
			case err := <-done:
				t.Fatalf("Transition finished (%v) while the service was locked", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("Transition never waited for the lock")
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Transition after the lock was released: %v", err)
	}
}

// A caller that holds the service's lock hands Transition its read (Locked), and the
// change is made from that read; a Locked of another service, or outside a
// transaction, is refused rather than trusted.
func TestTransitionFromTheCallersLockedRead(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, store := newServer(t, db)
		ctx := context.Background()
		a, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "API"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "Web"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: a.ID, To: mapping.Down, Source: services.SourceManual, Locked: &a}); err == nil {
			t.Fatal("Transition with Locked outside a transaction succeeded")
		}
		var res services.TransitionResult
		err = db.InTx(ctx, func(ctx context.Context) error {
			locked, err := store.Lock(ctx, srv.Org.ID, a.ID)
			if err != nil {
				return err
			}
			if _, err := store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: b.ID, To: mapping.Down, Source: services.SourceManual, Locked: &locked}); err == nil {
				t.Errorf("Transition of one service with another's Locked succeeded")
			}
			res, err = store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: a.ID, To: mapping.Down, Source: services.SourceManual, Locked: &locked})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Changed || res.Previous != mapping.Operational || res.New != mapping.Down {
			t.Fatalf("result = %+v, want operational -> down", res)
		}
		got, err := store.Get(ctx, srv.Org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != mapping.Down || got.Name != "API" {
			t.Fatalf("service after = %+v, want API down", got)
		}
	})
}
