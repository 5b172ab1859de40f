package incidents_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// eventFixture is a fixture whose incidents store reports its events.
type eventFixture struct {
	*fixture
	events []incidents.Event
	fail   bool
}

func newEventFixture(t *testing.T, db *database.DB) *eventFixture {
	t.Helper()
	ef := &eventFixture{fixture: &fixture{db: db, clock: newClock()}}
	ef.svcs = services.NewStore(db, services.Options{NowFunc: ef.clock.Now})
	ef.inc = incidents.NewStore(db, ef.svcs, incidents.Options{NowFunc: ef.clock.Now, OnEvent: func(ctx context.Context, ev incidents.Event) error {
		if ef.fail {
			return errors.New("outbox unavailable")
		}
		ef.events = append(ef.events, ev)
		return nil
	}})
	ef.svcs.AddChangeFunc(ef.inc.HandleChange)
	ef.orgID = dbtest.Org(t, db)
	ef.svc = ef.mustService(t, "API Gateway")
	return ef
}

// story is the events as "kind/source/status" strings.
func (ef *eventFixture) story() string {
	var out []string
	for _, ev := range ef.events {
		out = append(out, fmt.Sprintf("%s/%s/%s", ev.Kind, ev.Source, ev.Incident.Status))
	}
	return strings.Join(out, " ")
}

// Every incident change reports an event inside its transaction, naming its cause:
// automatic ones from the webhook that caused them, the sweeper's own, and an
// operator's through the API; a failing hook rolls the change back.
func TestIncidentEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ef := newEventFixture(t, db)
		ef.webhook(t, mapping.Down, enabled(0), "probe failed")
		ef.clock.Advance(90 * time.Second) // so a stale updated_at or duration would show
		ef.webhook(t, mapping.Operational, enabled(0), "")
		if got, want := ef.story(), "opened/webhook/investigating resolved/webhook/resolved"; got != want {
			t.Fatalf("automatic events = %q, want %q", got, want)
		}
		if ev := ef.events[1]; ev.Incident.ResolvedAt == nil || ev.Incident.DurationSeconds == nil || ev.ServiceID == nil || *ev.ServiceID != ef.svc.ID || ev.OrgID != ef.orgID {
			t.Fatalf("resolved event = %+v, want resolved_at, duration and the service", ev)
		}
		// The automatic paths build the event from the incident they hold, not from a
		// read: it must be the incident as the API shows it.
		stored, err := ef.inc.Get(context.Background(), ef.orgID, ef.events[1].Incident.ID)
		if err != nil {
			t.Fatal(err)
		}
		sent := ef.events[1].Incident
		if !sent.StartedAt.Equal(stored.StartedAt) || !sent.ResolvedAt.Equal(*stored.ResolvedAt) || *sent.DurationSeconds != *stored.DurationSeconds ||
			!sent.UpdatedAt.Equal(stored.UpdatedAt) || !sent.CreatedAt.Equal(stored.CreatedAt) || sent.Status != stored.Status ||
			sent.Title != stored.Title || sent.Severity != stored.Severity || *sent.Impact != *stored.Impact {
			t.Fatalf("resolved event's incident = %+v\nstored = %+v", sent, stored)
		}

		ef.events = nil
		ef.webhook(t, mapping.Down, enabled(60), "")
		ef.clock.Advance(61 * time.Second)
		ef.sweep(t)
		if got, want := ef.story(), "opened/sweeper/investigating"; got != want {
			t.Fatalf("swept events = %q, want %q", got, want)
		}
		open := ef.open(t)[0]

		ef.events = nil
		if _, err := ef.inc.Acknowledge(context.Background(), ef.orgID, open.ID); err != nil {
			t.Fatalf("Acknowledge: %v", err)
		}
		sev := "critical"
		ef.mustUpdate(t, open.ID, incidents.UpdateInput{Severity: &sev})
		resolved := incidents.StatusResolved
		ef.mustUpdate(t, open.ID, incidents.UpdateInput{Status: &resolved})
		if got, want := ef.story(), "acknowledged/manual/investigating update/manual/investigating resolved/manual/resolved"; got != want {
			t.Fatalf("manual events = %q, want %q", got, want)
		}
		if ef.events[1].Incident.Severity != "critical" {
			t.Fatalf("update event severity = %q, want the new one", ef.events[1].Incident.Severity)
		}

		ef.fail = true
		if _, err := ef.inc.Create(context.Background(), ef.orgID, incidents.CreateInput{Title: "lost"}); err == nil {
			t.Fatalf("Create succeeded although its event could not be written")
		}
		if n := ef.count(t, "incidents", "title = ?", "lost"); n != 0 {
			t.Fatalf("an incident whose event failed was kept (%d rows)", n)
		}
	})
}
