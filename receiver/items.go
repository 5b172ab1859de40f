package receiver

import (
	"bytes"
	"context"
	"sort"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// serviceGroup is the items of one delivery that change one service. Only the most
// severe of them is applied: items of one body are the sender's current view, all at
// once (the alerts of one Alertmanager group, the components of a fixed-service
// receiver), so the worst news wins, and the service's history and status page get
// one change instead of a flicker.
type serviceGroup struct {
	service services.Service
	decider int   // the item that is applied
	others  []int // further items of the service, superseded by the decider
}

// planItems starts every item's outcome from its evaluation (failed and ignored items
// are final) and groups the rest by service, in the order of their service ids.
func planItems(ev evaluation) ([]ItemOutcome, []serviceGroup) {
	items := make([]ItemOutcome, len(ev.items))
	byService := map[uuid.UUID]int{}
	var groups []serviceGroup
	for i, it := range ev.items {
		u := it.update
		items[i] = ItemOutcome{RawStatus: strPtr(u.RawStatus), MappedStatus: statusPtr(u.Status)}
		if it.service != nil {
			items[i].Service = &services.Ref{ID: it.service.ID, Name: it.service.Name}
		}
		switch {
		case it.failure != nil:
			items[i].Result, items[i].Error = ResultFailed, it.failure
			continue
		case u.Ignore:
			reason, _ := ignoreReason(u.IgnoreReason)
			items[i].Result, items[i].Reason = ResultIgnored, &reason
			continue
		}
		g, ok := byService[it.service.ID]
		if !ok {
			byService[it.service.ID] = len(groups)
			groups = append(groups, serviceGroup{service: *it.service, decider: i})
			continue
		}
		grp := &groups[g]
		if u.Status.Severity() > ev.items[grp.decider].update.Status.Severity() {
			grp.others = append(grp.others, grp.decider)
			grp.decider = i
		} else {
			grp.others = append(grp.others, i)
		}
	}
	sort.Slice(groups, func(a, b int) bool {
		return bytes.Compare(groups[a].service.ID[:], groups[b].service.ID[:]) < 0
	})
	return items, groups
}

// applyItems is the status-changing part of a delivery read with items_field, inside
// its one transaction: for each service its items name, the most severe item goes
// through services.Transition (see serviceGroup), and the delivery's result is worked
// out from the items'.
//
// Transition locks each service row; the services are changed in the order of their
// ids (the receiver row is already locked), so two deliveries that touch the same
// services lock them in the same order and cannot deadlock on PostgreSQL.
func (s *Store) applyItems(ctx context.Context, recv active, ev evaluation, req request, out *Outcome) error {
	items, groups := planItems(ev)
	taken := map[string]bool{}
	for _, g := range groups {
		u := ev.items[g.decider].update
		res, err := s.applyUpdate(ctx, recv, out.DeliveryID, update{
			service: g.service, status: u.Status, message: u.Message,
			eventID: u.EventID, correlationKey: correlationToKeep(recv, u),
			eventTime: orTime(orTime(u.EventTime, ev.extraction.EventTime), req.eventTime),
		}, taken)
		if err != nil {
			return err
		}
		d := &items[g.decider]
		d.Result, d.Reason, d.Error, d.PreviousStatus, d.NewStatus = res.result, res.reason, res.failure, res.previous, res.newState
		for _, i := range g.others {
			items[i].Result, items[i].Reason = ResultIgnored, strPtr(ReasonSuperseded)
			items[i].PreviousStatus, items[i].NewStatus = res.previous, res.newState
			if res.result == ResultFailed {
				continue
			}
			if err := s.takeAlong(ctx, recv, ev.items[i].update, g.service, taken); err != nil {
				return err
			}
		}
	}
	summarizeItems(out, items)
	return nil
}

// takeAlong remembers a superseded item's event id and correlation key with its
// service's change, so a retry of the delivery is a duplicate item by item instead of
// applying the item that lost.
func (s *Store) takeAlong(ctx context.Context, recv active, u mapping.Update, svc services.Service, taken map[string]bool) error {
	if key := correlationToKeep(recv, u); key != "" {
		if err := s.correlate(ctx, recv.row.ID, key, svc.ID, s.clock()); err != nil {
			return err
		}
	}
	if u.EventID == "" || taken[u.EventID] {
		return nil
	}
	seen, err := s.seenEvent(ctx, recv.row.ID, u.EventID)
	if err != nil || seen {
		return err
	}
	taken[u.EventID] = true
	return s.rememberEvent(ctx, recv.row.ID, u.EventID, s.clock())
}

// summarizeItems sets the delivery's result from its items': processed when any item
// changed a status; failed, with the first item's error, only when every item failed
// (a retry could then change something); otherwise ignored, with the first reason an
// item gave (superseded only when every reason is). The top-level statuses and service are the first changed item's, else
// the first item's.
func summarizeItems(out *Outcome, items []ItemOutcome) {
	out.Items = items
	first, changed, failed := -1, -1, 0
	for i, it := range items {
		switch it.Result {
		case ResultProcessed:
			if changed < 0 {
				changed = i
			}
		case ResultFailed:
			failed++
		default:
			// A superseded item's reason says little of the delivery; its service's
			// deciding item says what happened.
			if first < 0 || (deref(items[first].Reason) == ReasonSuperseded && deref(it.Reason) != ReasonSuperseded) {
				first = i
			}
		}
	}
	switch {
	case len(items) == 0:
		out.Result, out.Reason = ResultIgnored, strPtr(ReasonEventIgnored)
		return
	case changed >= 0:
		out.Result, first = ResultProcessed, changed
	case failed == len(items):
		out.Result, first = ResultFailed, 0
		out.Error = items[0].Error
	default:
		out.Result = ResultIgnored
		out.Reason = items[first].Reason
	}
	it := items[first]
	out.Service, out.RawStatus, out.MappedStatus = it.Service, it.RawStatus, it.MappedStatus
	out.PreviousStatus, out.NewStatus = it.PreviousStatus, it.NewStatus
}

// Reasons of ignored deliveries and items that issue 8 adds.
const (
	// ReasonIgnoredValue: the status word is mapped to "ignore".
	ReasonIgnoredValue = mapping.ReasonIgnoredValue
	// ReasonSuperseded: another item of the same delivery for the same service was
	// more severe, and was applied instead.
	ReasonSuperseded = "superseded"
)
