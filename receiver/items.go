package receiver

import (
	"bytes"
	"context"
	"sort"

	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// applyItems is the status-changing part of a delivery read with items_field, inside
// its one transaction: every item that names a known service goes through
// services.Transition, and the delivery's result is worked out from the items'.
//
// Transition locks each service row; the items are applied in the order of their
// service ids (the receiver row is already locked), so two deliveries that touch the
// same services lock them in the same order and cannot deadlock on PostgreSQL. Items
// of one service keep their order in the payload.
func (s *Store) applyItems(ctx context.Context, recv active, ev evaluation, req request, out *Outcome) error {
	items := make([]ItemOutcome, len(ev.items))
	order := make([]int, 0, len(ev.items))
	for i, it := range ev.items {
		u := it.update
		items[i] = ItemOutcome{RawStatus: strPtr(u.RawStatus), MappedStatus: statusPtr(u.Status)}
		switch {
		case it.failure != nil:
			items[i].Result, items[i].Error = ResultFailed, it.failure
		case u.Ignore:
			reason, _ := ignoreReason(u.IgnoreReason)
			items[i].Result, items[i].Reason = ResultIgnored, &reason
		default:
			order = append(order, i)
		}
		if it.service != nil {
			items[i].Service = &services.Ref{ID: it.service.ID, Name: it.service.Name}
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		return bytes.Compare(ev.items[order[a]].service.ID[:], ev.items[order[b]].service.ID[:]) < 0
	})
	taken := map[string]bool{}
	for _, i := range order {
		it := ev.items[i]
		u := it.update
		res, err := s.applyUpdate(ctx, recv, out.DeliveryID, update{
			service: *it.service, status: u.Status, message: u.Message,
			eventID: u.EventID, correlationKey: correlationToKeep(recv, u),
			eventTime: orTime(orTime(u.EventTime, ev.extraction.EventTime), req.eventTime),
		}, taken)
		if err != nil {
			return err
		}
		items[i].Result, items[i].Reason, items[i].Error = res.result, res.reason, res.failure
		items[i].PreviousStatus, items[i].NewStatus = res.previous, res.newState
	}
	summarizeItems(out, items)
	return nil
}

// summarizeItems sets the delivery's result from its items': processed when any item
// changed a status; failed, with the first item's error, only when every item failed
// (a retry could then change something); otherwise ignored, with the first reason an
// item gave. The top-level statuses and service are the first changed item's, else
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
			if first < 0 {
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

// ReasonIgnoredValue is the reason of a delivery or item whose status word is mapped
// to "ignore".
const ReasonIgnoredValue = mapping.ReasonIgnoredValue
