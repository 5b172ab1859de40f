package receiver

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/services"
)

// lockBoth reads the receiver and its service with a statement written by hand
// (one round trip on PostgreSQL); both must come back exactly as gorm reads them,
// every column, or sameConfig would send every delivery round again, and
// Transition would write back a service column it never read.
func TestLockBothReadsWhatGormReads(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		orgID := dbtest.Org(t, db)
		svcs := services.NewStore(db, services.Options{})
		target := 99.5
		svc, err := svcs.Create(ctx, orgID, services.CreateInput{Name: "Mail", Description: "outbound", SLATarget: &target, Group: "Core", Position: 2})
		if err != nil {
			t.Fatal(err)
		}
		later := now.Add(time.Minute)
		row := receiverRow{
			ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Name: "probe", ServiceID: &svc.ID, ServiceNameField: "svc",
			StatusField: "state", StatusFields: `["state"]`, MessageField: "msg", EventIDField: "id", TimestampField: "at",
			StatusMapping: `{"ok":"operational"}`, Preset: "generic", SignatureScheme: "hmac-sha256", SignatureHeader: "X-Sig",
			SignatureSecrets: "sealed", SignatureToleranceSeconds: 300, SignatureParams: `{"encoding":"hex"}`,
			AutoIncidentsEnabled: true, AutoIncidentsSeverity: "critical", AutoIncidentsOpenAfter: 60, ItemsField: "items",
			ExpectEverySeconds: 600, SilenceStatus: "down", LastValidDeliveryAt: &now, SilenceDueAt: &later, SilencedAt: &later,
			Enabled: true, TokenHash: "hash", TokenHint: "hint", CreatedAt: now, UpdatedAt: later,
		}
		v := reflect.ValueOf(row)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Fatalf("the fixture leaves receiverRow.%s unset; set it so the comparison covers it", v.Type().Field(i).Name)
			}
		}
		if err := db.Conn(ctx).Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		s := NewStore(StoreConfig{DB: db, Services: svcs})
		var gotRow receiverRow
		var gotSvc services.Service
		if err := db.InTx(ctx, func(ctx context.Context) error {
			gotRow, gotSvc, err = s.lockBoth(ctx, active{row: row})
			return err
		}); err != nil {
			t.Fatalf("lockBoth: %v", err)
		}
		wantRow, err := s.getRow(ctx, orgID, row.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotRow, wantRow) {
			t.Fatalf("lockBoth's receiver =\n%+v\ngorm's =\n%+v", gotRow, wantRow)
		}
		wantSvc, err := svcs.Get(ctx, orgID, svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotSvc, wantSvc) {
			t.Fatalf("lockBoth's service =\n%+v\ngorm's =\n%+v", gotSvc, wantSvc)
		}
	})
}

// batchRows makes n receivers in org, each with a service of its own in svcOrg.
func batchRows(t *testing.T, db *database.DB, org, svcOrg uuid.UUID, n int) []lockKey {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	keys := make([]lockKey, n)
	for i := range keys {
		svcID, recvID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		dbtest.Exec(t, db, "INSERT INTO services (id, org_id, name, name_key, status, status_changed_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'operational', ?, ?, ?)",
			svcID, svcOrg, "svc "+svcID.String(), "svc "+svcID.String(), now, now, now)
		row := receiverRow{ID: recvID, OrgID: org, Name: "r", ServiceID: &svcID, StatusField: "status", StatusFields: `["status"]`,
			StatusMapping: "{}", Preset: "generic", SignatureParams: "{}", SilenceStatus: "down", Enabled: true, TokenHash: "hash " + recvID.String(), TokenHint: "h", CreatedAt: now, UpdatedAt: now}
		if err := db.Conn(ctx).Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		keys[i] = lockKey{receiverID: recvID, orgID: org, serviceID: svcID}
	}
	return keys
}

// The batch lock joins its rows by id alone, so the organization a delivery was
// evaluated in is checked on what comes back: a receiver or service of another
// organization is not handed to the delivery, which then reads its own rows and
// learns that they are not there.
func TestBatchLockerKeepsToTheOrganization(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	orgA, orgB := dbtest.Org(t, db), dbtest.Org(t, db)
	keys := batchRows(t, db, orgA, orgA, 2)
	keys = append(keys, batchRows(t, db, orgA, orgB, 1)...) // a service of another organization
	keys[1].orgID = orgB                                    // evaluated as if in another organization
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var values []any
	if err := db.InTx(ctx, func(ctx context.Context) (err error) {
		values, err = (&batchLocker{db: db}).Prefetch(ctx, args)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if both, ok := values[0].(lockedBoth); !ok || both.row.ID != keys[0].receiverID || both.svc.ID != keys[0].serviceID {
		t.Fatalf("the delivery of the right organization got %+v, want its receiver and service", values[0])
	}
	for _, i := range []int{1, 2} {
		if values[i] != nil {
			t.Fatalf("key %d (another organization's rows) got %+v, want nothing", i, values[i])
		}
	}
}

// A new database has no planner statistics until autovacuum first analyzes it. The
// batch lock must still reach every service by its primary key: given the chance, the
// planner read them through (org_id, name_key), every service of the organization
// for each delivery in the batch.
func TestBatchLockReadsServicesByID(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.Postgres)
	org := dbtest.Org(t, db)
	keys := batchRows(t, db, org, org, 200)[:9]
	var receiverIDs, serviceIDs []uuid.UUID
	for _, k := range keys {
		receiverIDs, serviceIDs = append(receiverIDs, k.receiverID), append(serviceIDs, k.serviceID)
	}
	plan, err := dbtest.Explain(context.Background(), db, lockBatchSQL, receiverIDs, serviceIDs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan, "services_org_id_name_key_key") {
		t.Fatalf("the batch lock reads services through their organization's index:\n%s", plan)
	}
}

// fixedPrefetch hands every key the same lockedBoth, as if the batch had locked it.
type fixedPrefetch struct{ both lockedBoth }

func (f fixedPrefetch) Prefetch(_ context.Context, keys []any) ([]any, error) {
	values := make([]any, len(keys))
	for i := range values {
		values[i] = f.both
	}
	return values, nil
}

// A delivery that locks only its receiver (a failure, an ignored word) takes the
// receiver from its batch's lock on PostgreSQL, as one to its fixed service does,
// and is still sent round again when the receiver it was evaluated with has
// changed since.
func TestReceiverOnlyLockTakesTheBatchLock(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	org := dbtest.Org(t, db)
	key := batchRows(t, db, org, org, 1)[0]
	s := NewStore(StoreConfig{DB: db, Services: services.NewStore(db, services.Options{})})
	stored, err := s.getRow(ctx, org, key.receiverID, false)
	if err != nil {
		t.Fatal(err)
	}
	lock := func(prefetched receiverRow) (receiverRow, error) {
		var got receiverRow
		ctx := database.WithPrefetch(ctx, fixedPrefetch{lockedBoth{row: prefetched}}, key)
		err := db.InGroupTx(ctx, func(ctx context.Context) (err error) {
			got, _, err = s.lockForDelivery(ctx, active{row: stored}, false)
			return err
		})
		return got, err
	}

	// SilencedAt is not configuration (sameConfig ignores it): a value the database
	// does not hold shows the row came from the batch, not from a statement.
	marked := stored
	mark := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	marked.SilencedAt = &mark
	got, err := lock(marked)
	if err != nil {
		t.Fatal(err)
	}
	if got.SilencedAt == nil || !got.SilencedAt.Equal(mark) {
		t.Fatalf("lockForDelivery returned %+v; want the batch's row, not one it read itself", got)
	}

	changed := stored
	changed.UpdatedAt = stored.UpdatedAt.Add(time.Second)
	if _, err := lock(changed); !errors.Is(err, errStaleConfig) {
		t.Fatalf("with the receiver changed since evaluation: %v, want errStaleConfig", err)
	}
}
