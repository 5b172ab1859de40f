package services_test

import (
	"context"
	"errors"
	"net/http"
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

// Lock may answer from what it read before (on SQLite, rowCache), so every way a
// service row changes must show in the next Lock: the API, a transition, a statement
// of any package, a deletion; and a write that rolled back must not.
func TestLockSeesEveryWrite(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, store := newServer(t, db)
		ctx := context.Background()
		svc, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "API"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		lock := func(t *testing.T) (services.Service, error) {
			t.Helper()
			var got services.Service
			err := db.InTx(ctx, func(ctx context.Context) error {
				var err error
				got, err = store.Lock(ctx, srv.Org.ID, svc.ID)
				return err
			})
			return got, err
		}
		mustLock := func(t *testing.T) services.Service {
			t.Helper()
			got, err := lock(t)
			if err != nil {
				t.Fatalf("Lock: %v", err)
			}
			return got
		}
		mustLock(t) // what a cache would keep

		t.Run("an update through the API", func(t *testing.T) {
			res := srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), map[string]any{"name": "API v2", "sla_target": 99.5})
			if res.Status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", res.Status, res.Body)
			}
			got := mustLock(t)
			if got.Name != "API v2" || got.SLATarget == nil || *got.SLATarget != 99.5 {
				t.Fatalf("Lock after PATCH = %q, SLA %v; want API v2, 99.5", got.Name, got.SLATarget)
			}
		})
		t.Run("a transition", func(t *testing.T) {
			if _, err := store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: svc.ID, To: mapping.Down, Source: services.SourceManual}); err != nil {
				t.Fatalf("Transition: %v", err)
			}
			if got := mustLock(t); got.Status != mapping.Down {
				t.Fatalf("Lock after a transition to down = %s", got.Status)
			}
		})
		t.Run("a statement of another package", func(t *testing.T) {
			if err := db.Conn(ctx).Exec("UPDATE services SET description = ? WHERE id = ?", "raw", svc.ID).Error; err != nil {
				t.Fatalf("UPDATE: %v", err)
			}
			if got := mustLock(t); got.Description != "raw" {
				t.Fatalf("Lock after a raw UPDATE: description %q, want raw", got.Description)
			}
		})
		t.Run("a write that rolled back", func(t *testing.T) {
			errDoomed := errors.New("doomed")
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := db.Conn(ctx).Exec("UPDATE services SET name = 'doomed' WHERE id = ?", svc.ID).Error; err != nil {
					return err
				}
				got, err := store.Lock(ctx, srv.Org.ID, svc.ID)
				if err != nil {
					return err
				}
				if got.Name != "doomed" {
					t.Errorf("Lock inside the writing transaction: %q, want its own write", got.Name)
				}
				return errDoomed
			})
			if !errors.Is(err, errDoomed) {
				t.Fatalf("InTx: %v", err)
			}
			if got := mustLock(t); got.Name != "API v2" {
				t.Fatalf("Lock after the rollback: %q, want API v2", got.Name)
			}
		})
		t.Run("a row changed through the returned value", func(t *testing.T) {
			got := mustLock(t)
			*got.SLATarget = 1 // a caller's mistake must not reach the next caller
			if again := mustLock(t); *again.SLATarget != 99.5 {
				t.Fatalf("Lock after a caller wrote through SLATarget: %v, want 99.5", *again.SLATarget)
			}
		})
		t.Run("a deletion", func(t *testing.T) {
			if res := srv.Admin(http.MethodDelete, "/api/v1/services/"+svc.ID.String(), nil); res.Status != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", res.Status, res.Body)
			}
			if _, err := lock(t); apierr.CodeOf(err) != apierr.CodeNotFound {
				t.Fatalf("Lock after DELETE: %v, want not_found", err)
			}
		})
	})
}
