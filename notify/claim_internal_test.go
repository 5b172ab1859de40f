package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// A backlog in a database PostgreSQL has not analyzed yet (every new one, until
// autovacuum first gets to it) must still be claimed by walking the due index in
// order: the plan the planner picks there by itself reads and sorts every due
// delivery, 27 ms a claim with 14,000 behind.
func TestClaimWalksTheDueIndexInOrder(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	now := time.Now().UTC()
	org, channel := dbtest.Org(t, db), uuid.Must(uuid.NewV7())
	dbtest.Exec(t, db, "INSERT INTO notify_channels (id, org_id, name, type, created_at, updated_at) VALUES (?, ?, 'sink', 'webhook', ?, ?)", channel, org, now, now)
	dbtest.Exec(t, db, "INSERT INTO notify_events (id, org_id, type, payload, created_at)"+
		" SELECT 'e' || i, ?, 'service.status_changed', '{}', ? FROM generate_series(1, 3000) i", org, now)
	dbtest.Exec(t, db, "INSERT INTO notify_deliveries (id, event_id, channel_id, status, next_attempt_at, created_at, updated_at)"+
		" SELECT gen_random_uuid(), 'e' || i, ?, 'pending', CAST(? AS timestamptz) - make_interval(secs => i), ?, ? FROM generate_series(1, 3000) i", channel, now, now, now)
	plan := func(setting string) string {
		var plan string
		err := db.InTx(ctx, func(ctx context.Context) (err error) {
			if setting != "" {
				if err := db.Conn(ctx).Exec(setting).Error; err != nil {
					return err
				}
			}
			plan, err = dbtest.Explain(ctx, db, claimSQL[database.Postgres], now, "w", true, now, now, 16)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	if got := plan(sortOff); strings.Contains(got, "Sort") || !strings.Contains(got, "notify_deliveries_due") {
		t.Fatalf("the claim does not walk notify_deliveries_due in order:\n%s", got)
	}
	if !strings.Contains(plan(""), "Sort") {
		t.Log("the planner now walks the index by itself; sortOff may no longer be needed")
	}
}

// The backlog figures that every scrape of /metrics reads come from the partial index
// of pending deliveries, not from a scan of every delivery the outbox keeps.
func TestBacklogReadsThePendingIndex(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		for _, stmt := range []string{backlogSQL, oldestDueSQL} {
			plan, err := dbtest.Explain(ctx, db, stmt, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan, "notify_deliveries_due") {
				t.Fatalf("%s\ndoes not read notify_deliveries_due:\n%s", stmt, plan)
			}
		}
	})
}
