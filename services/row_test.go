package services

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// rowOf must undo toService field for field: Transition works on rowOf of a service
// the receiver already locked, so a field rowOf forgets is silently reset (a
// maintenance hold once was). Every field of the row is set here, so a new column that
// one converter forgets fails this test.
func TestRowOfUndoesToService(t *testing.T) {
	at := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	event := at.Add(-time.Minute)
	under, target := "down", 99.9
	row := serviceRow{
		ID: uuid.New(), OrgID: uuid.New(), Name: "Mail", NameKey: nameKey("Mail"), Description: "outbound mail",
		Status: "maintenance", StatusChangedAt: at, StatusEventAt: &event, UnderlyingStatus: &under,
		Public: true, SLATarget: &target, DegradedCountsAsDown: true, Position: 3, GroupName: "Core", IncidentWatch: true, WaitWatch: true,
		CreatedAt: at.Add(-time.Hour), UpdatedAt: at,
	}
	v := reflect.ValueOf(row)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("the fixture leaves serviceRow.%s unset; set it so the round trip covers it", v.Type().Field(i).Name)
		}
	}
	if got := rowOf(row.toService()); !reflect.DeepEqual(got, row) {
		t.Fatalf("rowOf(toService(row)) =\n%+v\nwant\n%+v", got, row)
	}
}
