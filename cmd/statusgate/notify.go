package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/notify"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
)

// slaWindow is the window sla.* events measure, the SLA report's default.
const slaWindow = 30 * 24 * time.Hour

// slaSweepEvery is how often the error budgets are measured between changes: a
// minute is finer than any budget a person acts on, and cheap for a few hundred
// services.
const slaSweepEvery = time.Minute

// slaWarnBudgetPercent is the share of the error budget whose use sends
// sla.budget_warning.
const slaWarnBudgetPercent = 80.0

// notifiers is the registry of channel types, all HTTP ones sending with the one
// outbound client (no redirects, the address rule at connect time).
func notifiers(cfg Config, client *http.Client, now func() time.Time) (map[string]notify.Notifier, error) {
	email, err := notify.NewEmail(cfg.Email(), now)
	if err != nil {
		return nil, fmt.Errorf("STATUSGATE_SMTP_URL: %w", err)
	}
	return map[string]notify.Notifier{
		notify.TypeWebhook:   notify.NewWebhook(client, now),
		notify.TypeSlack:     notify.NewSlack(client, now),
		notify.TypeDiscord:   notify.NewDiscord(client, now),
		notify.TypeMSTeams:   notify.NewMSTeams(client, now),
		notify.TypePagerDuty: notify.NewPagerDuty(client, notify.PagerDutyEventsURL, now),
		notify.TypeEmail:     email,
	}, nil
}

// eventBridge turns domain changes into notify events, inside their transactions:
// notify imports no domain package, so the conversion lives here.
type eventBridge struct {
	db     *database.DB
	outbox *notify.Outbox
	svcs   *services.Store
	orgs   *orgs.Store
	// publicURL is the base of the status-page links events carry.
	publicURL string
	// slugs caches organization slugs by id for those links; a slug never changes.
	slugs sync.Map
}

// enqueue writes ev to the outbox, with the link to its organization's status page.
func (b *eventBridge) enqueue(ctx context.Context, ev notify.Event) error {
	if ev.Data.PageURL == "" && b.orgs != nil {
		slug, ok := b.slugs.Load(ev.OrgID)
		if !ok {
			org, err := b.orgs.GetOrg(ctx, ev.OrgID)
			if err != nil {
				return fmt.Errorf("reading the organization of an event: %w", err)
			}
			slug = org.Slug
			b.slugs.Store(ev.OrgID, slug)
		}
		ev.Data.PageURL = b.publicURL + "/status/" + slug.(string)
	}
	return b.outbox.Enqueue(ctx, ev)
}

// serviceChanged is the services.ChangeFunc: service.status_changed and post.created
// for every change, and sla.* when the change crosses a threshold.
func (b *eventBridge) serviceChanged(ctx context.Context, ch services.Change) error {
	svc := &notify.ServiceInfo{ID: ch.Service.ID, Name: ch.Service.Name, Status: string(ch.To), PreviousStatus: string(ch.From)}
	base := notify.EventData{OccurredAt: ch.At, Service: svc, Message: ch.Message, Source: ch.Source, DeliveryID: ch.DeliveryID}
	ev := notify.Event{Type: notify.EventServiceStatusChanged, OrgID: ch.Service.OrgID, Data: base}
	if err := b.enqueue(ctx, ev); err != nil {
		return err
	}
	post := base
	post.Post = &notify.PostInfo{ID: ch.PostID, Title: ch.PostTitle, Body: ch.PostBody}
	if err := b.enqueue(ctx, notify.Event{Type: notify.EventPostCreated, OrgID: ch.Service.OrgID, Data: post}); err != nil {
		return err
	}
	return b.checkSLA(ctx, ch.Service, base)
}

// postCreated is the services.PostFunc: post.created for an operator's post.
func (b *eventBridge) postCreated(ctx context.Context, orgID uuid.UUID, p services.Post) error {
	data := notify.EventData{OccurredAt: p.CreatedAt, Source: "manual", Post: &notify.PostInfo{ID: p.ID, Title: p.Title, Body: p.Body}}
	if p.Service != nil {
		svc, err := b.service(ctx, orgID, p.Service.ID)
		if err != nil {
			return err
		}
		data.Service = svc
	}
	return b.enqueue(ctx, notify.Event{Type: notify.EventPostCreated, OrgID: orgID, Data: data})
}

// service is the ServiceInfo of an event about a service that is not changing status;
// nil when the service is gone (the event is still worth sending).
func (b *eventBridge) service(ctx context.Context, orgID, id uuid.UUID) (*notify.ServiceInfo, error) {
	svc, err := b.svcs.Get(ctx, orgID, id)
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the service of an event: %w", err)
	}
	return serviceInfo(svc), nil
}

// serviceInfo is an event's view of a service.
func serviceInfo(svc services.Service) *notify.ServiceInfo {
	return &notify.ServiceInfo{ID: svc.ID, Name: svc.Name, Status: string(svc.Status)}
}

// SLA states, in order of severity.
const (
	slaOK       = "ok"
	slaWarning  = "warning"
	slaBreached = "breached"
)

func slaRank(s string) int {
	switch s {
	case slaWarning:
		return 1
	case slaBreached:
		return 2
	}
	return 0
}

// slaState classifies a report: breached below the target, warning once 80 % of the
// error budget (100 - target) is used. It returns the budget used, in percent.
func slaState(uptime, target float64) (string, float64) {
	budget := 100 - target
	used := 0.0
	switch {
	case budget > 0:
		used = (100 - uptime) / budget * 100
	case uptime < 100:
		used = 100 // a 100 % target has no budget: any downtime uses all of it
	}
	switch {
	case uptime < target:
		return slaBreached, used
	case used >= slaWarnBudgetPercent:
		return slaWarning, used
	}
	return slaOK, used
}

// checkSLA measures svc's 30-day SLA now and sends sla.budget_warning or
// sla.breached, inside the caller's transaction, when it has moved into a worse
// state than the one last recorded for it: once per crossing, as the state is kept
// in notify's marks, so staying breached sends nothing more, and recovering and
// falling again sends again. It runs at every status change (a down interval still
// open counts up to now) and from the SLA sweep.
func (b *eventBridge) checkSLA(ctx context.Context, svc services.Service, base notify.EventData) error {
	target := svc.SLATarget
	if target == nil {
		return nil
	}
	now := b.svcs.Now()
	rep, err := b.svcs.SLA(ctx, svc.OrgID, svc.ID, now.Add(-slaWindow), now)
	if err != nil {
		return fmt.Errorf("measuring SLA for events: %w", err)
	}
	state, used := slaState(rep.UptimePercent, *target)
	prev, err := b.outbox.Mark(ctx, svc.OrgID, "sla:"+svc.ID.String(), state)
	if err != nil {
		return err
	}
	if slaRank(state) <= slaRank(prev) {
		return nil
	}
	typ := notify.EventSLABudgetWarning
	if state == slaBreached {
		typ = notify.EventSLABreached
	}
	data := base
	data.SLA = &notify.SLAInfo{TargetPercent: *target, UptimePercent: rep.UptimePercent, BudgetUsedPercent: used, Window: "30d"}
	return b.enqueue(ctx, notify.Event{Type: typ, OrgID: svc.OrgID, Data: data})
}

// sweepSLA checks every service with an SLA target: an outage uses up the error
// budget minute by minute, so a crossing happens while no status changes. Each
// service is checked in a transaction of its own under its row lock, the lock a
// change takes, and the mark keeps it once per crossing across instances.
func (b *eventBridge) sweepSLA(ctx context.Context) error {
	list, err := b.svcs.WithSLATarget(ctx)
	if err != nil {
		return err
	}
	for _, svc := range list {
		err := b.db.InTx(ctx, func(ctx context.Context) error {
			locked, err := b.svcs.Lock(ctx, svc.OrgID, svc.ID)
			if err != nil {
				return err
			}
			return b.checkSLA(ctx, locked, notify.EventData{OccurredAt: b.svcs.Now(), Service: serviceInfo(locked), Source: "sweeper"})
		})
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			continue // deleted since it was listed
		}
		if err != nil {
			return fmt.Errorf("service %s: %w", svc.ID, err)
		}
	}
	return nil
}

// incidentEvent is the incidents.EventFunc: incident.created, .acknowledged,
// .resolved, and .updated for every other change.
func (b *eventBridge) incidentEvent(ctx context.Context, ev incidents.Event) error {
	typ := notify.EventIncidentUpdated
	switch ev.Kind {
	case incidents.KindOpened:
		typ = notify.EventIncidentCreated
	case incidents.KindAcknowledged:
		typ = notify.EventIncidentAcknowledged
	case incidents.KindResolved:
		typ = notify.EventIncidentResolved
	}
	inc := ev.Incident
	data := notify.EventData{
		OccurredAt: ev.At, Message: ev.Message, Source: ev.Source, DeliveryID: ev.DeliveryID,
		Incident: &notify.IncidentInfo{
			ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status, StartedAt: inc.StartedAt,
			ResolvedAt: inc.ResolvedAt, DurationSeconds: inc.DurationSeconds,
		},
	}
	switch {
	case ev.Service != nil:
		data.Service = serviceInfo(*ev.Service)
	case ev.ServiceID != nil:
		svc, err := b.service(ctx, ev.OrgID, *ev.ServiceID)
		if err != nil {
			return err
		}
		data.Service = svc
	}
	return b.enqueue(ctx, notify.Event{Type: typ, OrgID: ev.OrgID, Data: data})
}

// callerOrg is the channels API's view of the authenticated caller.
func callerOrg(c echo.Context) (uuid.UUID, error) {
	p, err := rest.Caller(c)
	if err != nil {
		return uuid.Nil, err
	}
	return p.OrgID, nil
}
