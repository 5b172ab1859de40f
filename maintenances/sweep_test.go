package maintenances_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/maintenances"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/testclock"
)

// Sweepers of two instances (two pools on one PostgreSQL) sweeping at the same moment
// claim each start and each end once between them.
func TestConcurrentSweepsClaimOnce(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t, database.Postgres)
	clock := testclock.New(start)
	var dbs []*database.DB
	var stores []*maintenances.Store
	var svcs []*services.Store
	for range 2 {
		db, err := database.Open(ctx, url, database.Options{Logger: dbtest.Logger(t), MaxOpenConns: 10})
		if err != nil {
			t.Fatalf("opening the shared database: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		s := services.NewStore(db, services.Options{NowFunc: clock.Now})
		dbs, svcs = append(dbs, db), append(svcs, s)
		stores = append(stores, maintenances.NewStore(db, s, maintenances.Options{NowFunc: clock.Now}))
	}
	orgID := uuid.Must(uuid.NewV7())
	if err := dbs[0].Conn(ctx).Exec("INSERT INTO organizations (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
		orgID, "acme", "Acme", start).Error; err != nil {
		t.Fatalf("creating organization: %v", err)
	}
	var ids []uuid.UUID
	for _, name := range []string{"Checkout", "Search", "Mail"} {
		svc, err := svcs[0].Create(ctx, orgID, services.CreateInput{Name: name})
		if err != nil {
			t.Fatalf("creating service: %v", err)
		}
		ids = append(ids, svc.ID)
	}
	const windows = 5
	for i := range windows {
		if _, err := stores[0].Create(ctx, orgID, maintenances.CreateInput{
			Title: "Upgrade", ServiceIDs: ids, StartsAt: start.Add(time.Minute), EndsAt: start.Add(time.Duration(i+2) * time.Minute),
		}); err != nil {
			t.Fatalf("creating window: %v", err)
		}
	}

	// race sweeps from both instances at once, several times each, and sums their work.
	race := func() (started, ended int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, en, err := stores[i%2].Sweep(ctx)
				if err != nil {
					t.Errorf("Sweep: %v", err)
				}
				mu.Lock()
				started, ended = started+st, ended+en
				mu.Unlock()
			}()
		}
		wg.Wait()
		return started, ended
	}
	clock.Set(start.Add(time.Minute))
	if started, ended := race(); started != windows || ended != 0 {
		t.Fatalf("at the start the sweeps started %d and ended %d, want %d and 0", started, ended, windows)
	}
	clock.Set(start.Add(time.Hour))
	if started, ended := race(); started != 0 || ended != windows {
		t.Fatalf("at the end the sweeps started %d and ended %d, want 0 and %d", started, ended, windows)
	}
	for _, id := range ids {
		svc, err := svcs[1].Get(ctx, orgID, id)
		if err != nil {
			t.Fatal(err)
		}
		if svc.Status != mapping.Operational || svc.UnderlyingStatus != nil {
			t.Fatalf("%s after the windows: %s, underlying %v; want operational, not held", svc.Name, svc.Status, svc.UnderlyingStatus)
		}
		hist, err := svcs[1].History(ctx, orgID, id, start, start.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 3 || hist[1].Status != mapping.Maintenance || hist[1].Source != services.SourceMaintenance {
			t.Fatalf("%s history = %+v, want operational, one maintenance interval, operational", svc.Name, hist)
		}
	}
	posts, err := svcs[0].ListPosts(ctx, orgID, services.PostFilter{}, rest.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2*len(ids) {
		t.Fatalf("%d posts, want %d: one into maintenance and one out per service", len(posts), 2*len(ids))
	}
}
