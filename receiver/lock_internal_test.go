package receiver

import (
	"context"
	"reflect"
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
		orgID := uuid.Must(uuid.NewV7())
		if err := db.Conn(ctx).Exec("INSERT INTO organizations (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
			orgID, "org-"+orgID.String()[:8], "Org", now).Error; err != nil {
			t.Fatal(err)
		}
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
