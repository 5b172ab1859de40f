package incidents

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// Every change of a service with automatic incidents looks up its open automatic
// incident. PostgreSQL plans a statement it runs again and again once, for any
// parameters (its generic plan), and that plan must still go straight to the
// service's row in incidents_one_open_auto: with automatic = ? it read every open
// incident of every organization.
func TestOpenAutoUsesItsIndexInEveryPlan(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	now := time.Now().UTC()
	org, svc := dbtest.Org(t, db), uuid.Must(uuid.NewV7())
	dbtest.Exec(t, db, "INSERT INTO services (id, org_id, name, name_key, status, status_changed_at, created_at, updated_at)"+
		" SELECT CASE WHEN i = 1 THEN CAST(? AS uuid) ELSE gen_random_uuid() END, ?, 's' || i, 's' || i, 'down', ?, ?, ? FROM generate_series(1, 300) i",
		svc, org, now, now, now)
	dbtest.Exec(t, db, "INSERT INTO incidents (id, org_id, service_id, title, status, severity, automatic, started_at, created_at, updated_at)"+
		" SELECT gen_random_uuid(), ?, id, 'down', 'investigating', 'major', true, ?, ?, ? FROM services", org, now, now, now)
	query := strings.Replace(openAutoSQL[database.Postgres], "?", "$1", 1)
	var plan string
	err := db.InTx(ctx, func(ctx context.Context) (err error) {
		for _, stmt := range []string{"SET LOCAL plan_cache_mode = force_generic_plan", "PREPARE open_auto(uuid) AS " + query} {
			if err := db.Conn(ctx).Exec(stmt).Error; err != nil {
				return err
			}
		}
		if plan, err = dbtest.Explain(ctx, db, "EXECUTE open_auto('"+svc.String()+"')"); err != nil {
			return err
		}
		return db.Conn(ctx).Exec("DEALLOCATE open_auto").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "incidents_one_open_auto") || !strings.Contains(plan, "Index Cond: (service_id = $1)") {
		t.Fatalf("the generic plan does not go through incidents_one_open_auto by service:\n%s", plan)
	}
}
