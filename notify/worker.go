package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
)

// Run delivers due events until ctx is cancelled: woken by Wake after a local commit,
// and polling for retries coming due and other instances' events. At most Workers
// attempts run at once, and each worker takes the next claimed delivery as soon as
// its endpoint has answered: a slow endpoint holds up its own attempt, not the
// others', and an attempt's record, which waits for a commit, holds up no attempt.
// Run claims ahead of the workers, up to claimAhead times Workers deliveries claimed
// and not yet recorded, so one claim, a commit on a loaded gateway, feeds many
// attempts. On cancellation nothing new is claimed or attempted, the attempts in
// flight finish (each is bounded by AttemptTimeout) and are recorded, and the
// deliveries claimed but not attempted are handed back: Run drains, so no lease is
// left to expire. It also prunes what is older than Retention.
func (o *Outbox) Run(ctx context.Context) {
	poll := time.NewTicker(o.poll)
	defer poll.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	o.pruneLogged(ctx)

	workers := make(chan struct{}, o.workers) // a token for each attempt in flight
	var (
		running sync.WaitGroup
		held    atomic.Int64 // claimed and not yet recorded or handed back
	)
	defer running.Wait()
	freed := make(chan struct{}, 1) // a claimed delivery was recorded or handed back
	limit := claimAhead * o.workers
	for ctx.Err() == nil {
		// Claim only when a worker's share is free, so claims stay large.
		if room := limit - int(held.Load()); room >= o.workers {
			jobs, err := o.claimOnce(ctx, room)
			if err != nil && ctx.Err() == nil {
				o.logger.Error("notify: claiming due deliveries", slog.Any("err", err))
			}
			for _, j := range jobs {
				held.Add(1)
				running.Add(1)
				go func() {
					defer running.Done()
					// The attempt outlives a cancelled ctx: shutdown drains instead of
					// leaving a delivery claimed but unrecorded.
					if err := o.attempt(context.WithoutCancel(ctx), j, workers, ctx.Done()); err != nil {
						o.logger.Error("notify: attempting a delivery", slog.String("delivery_id", j.delivery.ID.String()), slog.Any("err", err))
					}
					held.Add(-1)
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
			if err != nil || len(jobs) < room {
				// Nothing more is due (or the database is away): wait for news.
				select {
				case <-ctx.Done():
				case <-o.wake:
				case <-poll.C:
				case <-prune.C:
					o.pruneLogged(ctx)
				}
				continue
			}
		}
		// A full claim, or too few free: more may be due once deliveries are recorded.
		select {
		case <-ctx.Done():
		case <-freed:
		case <-prune.C:
			o.pruneLogged(ctx)
		}
	}
}

// claimAhead is how many deliveries per worker Run may hold claimed at once. On a
// loaded gateway a claim waits for a group commit, 50 ms and more on PostgreSQL's
// change path, and so does each record: one worker's share claimed at a time, each
// claim after the last one's records, held the outbox to about 200 attempts a second
// while changes made 1,800 (docs/DECISIONS.md, Fast path).
const claimAhead = 4

func (o *Outbox) pruneLogged(ctx context.Context) {
	if n, err := o.Prune(ctx); err != nil && ctx.Err() == nil {
		o.logger.Error("notify: pruning old events", slog.Any("err", err))
	} else if n > 0 {
		o.logger.Info("notify: pruned old events", slog.Int64("events", n))
	}
}

// claimed is a delivery a worker holds a lease on, with what it needs to attempt it.
type claimed struct {
	delivery deliveryRow
	channel  channelRow
	payload  string
}

// DeliverDue claims up to Workers due deliveries, attempts them in parallel, records
// the attempts and returns how many it attempted: one round of what Run does, for
// tests that move the clock.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, nil
	}
	jobs, err := o.claimOnce(ctx, o.workers)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	workers := make(chan struct{}, len(jobs))
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = o.attempt(context.WithoutCancel(ctx), j, workers, nil)
		}()
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

// claimOnce is claim with this instance's other claimers kept out: SQLite has one
// connection, and on PostgreSQL SKIP LOCKED already keeps instances apart.
func (o *Outbox) claimOnce(ctx context.Context, n int) ([]claimed, error) {
	o.runMu.Lock()
	defer o.runMu.Unlock()
	return o.claim(ctx, n)
}

// claim leases up to n due deliveries of enabled channels: pending, due by the
// clock, and not leased by a live worker (no lease, or one that has run out because
// its worker died), with claimSQL. Round trips: the claiming UPDATE ... RETURNING
// (between sortOff and sortBack on PostgreSQL), then one select each of the
// deliveries, channels and events.
func (o *Outbox) claim(ctx context.Context, n int) ([]claimed, error) {
	now := o.clock()
	q := claimSQL[o.db.Dialect()]
	var ids []uuid.UUID
	// A claim is a write, and shares a group commit as record does.
	err := o.db.InGroupTx(ctx, func(ctx context.Context) error {
		ids = nil
		conn := o.db.Conn(ctx)
		postgres := o.db.Dialect() == database.Postgres
		if postgres {
			if err := conn.Exec(sortOff).Error; err != nil {
				return err
			}
		}
		// Scanned by hand, not by gorm's Raw: claims run on SQLite's one writer.
		rows, err := o.db.Query(ctx, q, now.Add(o.lease), o.workerID, true, now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if postgres {
			return conn.Exec(sortBack).Error
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// The leases are taken: what they hold is read even when ctx was cancelled
	// meanwhile, so that the deliveries are attempted or handed back, not left
	// leased until their leases run out.
	ctx = context.WithoutCancel(ctx)
	var ds []deliveryRow
	if err := o.db.Conn(ctx).Where("id IN ?", ids).Order("next_attempt_at").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("reading claimed deliveries: %w", err)
	}
	chIDs, evIDs := make([]uuid.UUID, 0, len(ds)), make([]string, 0, len(ds))
	for _, d := range ds {
		chIDs, evIDs = append(chIDs, d.ChannelID), append(evIDs, d.EventID)
	}
	var chs []channelRow
	if err := o.db.Conn(ctx).Where("id IN ?", chIDs).Find(&chs).Error; err != nil {
		return nil, fmt.Errorf("reading channels: %w", err)
	}
	var evs []eventRow
	if err := o.db.Conn(ctx).Where("id IN ?", evIDs).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	chByID := map[uuid.UUID]channelRow{}
	for _, c := range chs {
		chByID[c.ID] = c
	}
	evByID := map[string]string{}
	for _, e := range evs {
		evByID[e.ID] = e.Payload
	}
	out := make([]claimed, 0, len(ds))
	for _, d := range ds {
		out = append(out, claimed{delivery: d, channel: chByID[d.ChannelID], payload: evByID[d.EventID]})
	}
	return out, nil
}

// claimSQL leases the due deliveries claim takes. On PostgreSQL FOR UPDATE SKIP
// LOCKED lets any number of instances claim at once without waiting for or taking
// each other's rows; SQLite has one writer, so the UPDATE alone is atomic.
var claimSQL = map[database.Dialect]string{
	database.SQLite:   claimSelect(""),
	database.Postgres: claimSelect(" FOR " + database.LockStrength + " OF d SKIP LOCKED"),
}

func claimSelect(lock string) string {
	return `UPDATE notify_deliveries SET lease_until = ?, leased_by = ? WHERE id IN (
		SELECT d.id FROM notify_deliveries d JOIN notify_channels c ON c.id = d.channel_id
		WHERE d.status = 'pending' AND c.enabled = ? AND d.next_attempt_at <= ?
		  AND (d.lease_until IS NULL OR d.lease_until < ?)
		ORDER BY d.next_attempt_at LIMIT ?` + lock + `) RETURNING id`
}

// sortOff and sortBack surround a claim on PostgreSQL. The claim must walk
// notify_deliveries_due in order and stop after n rows, whatever the backlog. Until
// the table is first analyzed (a new database, for its first minute or so) the
// planner takes status = 'pending' to match one row in 200, and plans to read every
// due row and sort them: with the outbox behind under load, 14,000 rows and 27 ms a
// claim, which slowed the outbox further. Without a sort the index order is the only
// plan. SET LOCAL lasts to the end of the transaction, so sortBack restores the
// setting for the statements of the batch that follow.
const (
	sortOff  = "SET LOCAL enable_sort = off"
	sortBack = "SET LOCAL enable_sort TO DEFAULT"
)

// attempt makes one attempt of a claimed delivery when a token of workers is free,
// gives the token back once the endpoint has answered, and records what the attempt
// meant. The lease is renewed from claim to record, so neither the wait for a worker
// nor the record's wait for its commit lets another worker take the delivery over.
// A delivery whose wait for a worker ends with stopping is handed back unattempted.
func (o *Outbox) attempt(ctx context.Context, j claimed, workers chan struct{}, stopping <-chan struct{}) error {
	stop := o.renewLease(ctx, j.delivery.ID)
	defer stop()
	select {
	case workers <- struct{}{}:
	case <-stopping:
		return o.handBack(ctx, j)
	}
	select {
	case <-stopping: // both were ready, and select chose the token
		<-workers
		return o.handBack(ctx, j)
	default:
	}
	a := o.try(ctx, j)
	<-workers
	o.stats.count(a)
	return o.record(ctx, j, a)
}

// handBack ends this worker's lease on a delivery it claimed and did not attempt, so
// it is due at once for any instance instead of when the lease would have run out.
func (o *Outbox) handBack(ctx context.Context, j claimed) error {
	err := o.db.Conn(ctx).Model(&deliveryRow{}).Where("id = ? AND leased_by = ?", j.delivery.ID, o.workerID).
		Updates(map[string]any{"lease_until": nil, "leased_by": ""}).Error
	if err != nil {
		return fmt.Errorf("handing back delivery %s: %w", j.delivery.ID, err)
	}
	return nil
}

func (o *Outbox) try(ctx context.Context, j claimed) Attempt {
	now := o.clock()
	n, ok := o.notifiers[j.channel.Type]
	if !ok {
		return Attempt{At: now, Error: fmt.Sprintf("channel type %q is not available in this build", j.channel.Type)}
	}
	var ev Event
	if err := json.Unmarshal([]byte(j.payload), &ev); err != nil {
		return Attempt{At: now, Error: "the stored event cannot be read"}
	}
	ev.OrgID = j.channel.OrgID
	t, err := o.target(j.channel, now)
	if err != nil {
		o.logger.Error("notify: channel secrets", slog.String("channel_id", j.channel.ID.String()), slog.Any("err", err))
		return Attempt{At: now, Error: "the channel's secrets cannot be read with this secret key"}
	}
	return n.Notify(ctx, t, ev)
}

// renewLease keeps the claim alive while an attempt runs, so a slow endpoint never
// makes another worker take the delivery over. The returned func stops it.
func (o *Outbox) renewLease(ctx context.Context, id uuid.UUID) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				err := o.db.Conn(ctx).Model(&deliveryRow{}).Where("id = ? AND leased_by = ?", id, o.workerID).
					Update("lease_until", o.clock().Add(o.lease)).Error
				if err != nil {
					o.logger.Warn("notify: renewing a lease", slog.String("delivery_id", id.String()), slog.Any("err", err))
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// Outcomes of an attempt, as the worker reads them.
func retryAfterApplies(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}

// record writes the attempt and what follows from it, in one transaction: success
// ends the delivery and the channel's failure streak; 410 Gone fails it and disables
// the channel; any other failure schedules the next attempt (the endpoint's
// Retry-After for 429 and 503, clamped to MaxRetryAfter) or, after the last, fails the
// delivery. A channel whose attempts have all failed for DisableAfter is disabled.
// The delivery changes only while this worker still holds the lease.
func (o *Outbox) record(ctx context.Context, j claimed, a Attempt) error {
	d, ch := j.delivery, j.channel
	// The record shares its commit with the inbound deliveries of the moment, and its
	// attempt row their INSERT. On SQLite every commit is an fsync on the one
	// connection; on PostgreSQL a record of its own was five round trips (BEGIN, the
	// channel, the attempt, the delivery, COMMIT), fifteen per change of three
	// events, and the machine's CPU went to them (the change path went from 217-281
	// to 433-464 req/s). A record locks the channel only when it starts or stops
	// failing, so inbound batches do not wait on it. It may run twice; everything it
	// writes is computed inside.
	err := o.db.InGroupTx(ctx, func(ctx context.Context) error {
		if err := o.db.InsertLater(ctx, &attemptRow{
			ID: uuid.Must(uuid.NewV7()), DeliveryID: d.ID, At: a.At.UTC().Truncate(time.Microsecond), StatusCode: a.StatusCode,
			Body: a.Body, DurationMS: a.Duration.Milliseconds(), Error: a.Error, Worker: o.workerID,
		}); err != nil {
			return fmt.Errorf("logging attempt: %w", err)
		}
		now := o.clock()
		count := d.AttemptCount + 1
		if a.Succeeded() && o.db.Dialect() == database.Postgres {
			failingSince, err := o.failingSince(ctx, ch.ID)
			if err != nil {
				return err
			}
			if failingSince == nil {
				// Nothing follows for the channel: the delivery's UPDATE joins the
				// others of the batch's successes (writeSucceeded).
				return database.Gather(ctx, succeededKey{o.workerID}, succeeded{d.ID, count, now}, o.writeSucceeded)
			}
		}
		changes := map[string]any{"attempt_count": count, "lease_until": nil, "leased_by": "", "updated_at": now}
		disable := ""
		switch {
		case a.Succeeded():
			changes["status"] = deliveryOK
		case a.StatusCode == http.StatusGone:
			changes["status"] = deliveryFailed
			disable = "the endpoint answered 410 Gone"
		default:
			sched := ch.schedule()
			if count > len(sched) {
				changes["status"] = deliveryFailed
				break
			}
			wait := o.jitter(sched[count-1])
			if retryAfterApplies(a.StatusCode) && a.RetryAfter > 0 {
				wait = min(a.RetryAfter, o.maxRetryWait)
			}
			changes["next_attempt_at"] = now.Add(wait)
		}
		// Written by hand, not with gorm's Updates: on SQLite every record runs on the
		// one writer, where gorm's work around the statement cost more than SQLite's.
		res, err := o.db.Update(ctx, "notify_deliveries", changes, "id = ? AND leased_by = ?", d.ID, o.workerID)
		if err != nil {
			return fmt.Errorf("updating delivery: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("updating delivery: %w", err)
		}
		if n == 0 {
			// Another worker took the delivery over (this one stalled past its lease);
			// the attempt is logged, the delivery is theirs.
			return nil
		}
		return o.afterAttempt(ctx, ch.ID, a, now, disable)
	})
	if err != nil {
		return fmt.Errorf("recording attempt of delivery %s: %w", d.ID, err)
	}
	return nil
}

// succeededKey gathers one outbox's records of successful attempts in a batch.
type succeededKey struct{ workerID string }

// succeeded is a delivery whose attempt succeeded on a channel that is not failing.
type succeeded struct {
	id    uuid.UUID
	count int
	at    time.Time
}

// writeSucceeded ends the deliveries whose attempts succeeded together, in one
// statement, as record would one by one: only a delivery whose lease is still this
// worker's changes (one another worker took over is theirs; its attempt is logged).
// In a change run on PostgreSQL these UPDATEs were half the round trips of the
// inbound batches they rode in, three for every change.
func (o *Outbox) writeSucceeded(ctx context.Context, done []succeeded) error {
	ids, counts, ats := make([]uuid.UUID, len(done)), make([]int32, len(done)), make([]time.Time, len(done))
	for i, d := range done {
		ids[i], counts[i], ats[i] = d.id, int32(d.count), d.at
	}
	if _, err := o.db.Exec(ctx, writeSucceededSQL, ids, counts, ats, o.workerID); err != nil {
		return fmt.Errorf("recording %d successful attempts: %w", len(done), err)
	}
	return nil
}

const writeSucceededSQL = "UPDATE notify_deliveries AS d SET status = '" + deliveryOK + "', attempt_count = v.n," +
	" lease_until = NULL, leased_by = '', updated_at = v.at" +
	" FROM unnest(CAST(? AS uuid[]), CAST(? AS integer[]), CAST(? AS timestamptz[])) AS v(id, n, at)" +
	" WHERE d.id = v.id AND d.leased_by = ?"

// failingSince reads when the channel's failure streak began (nil: it is not
// failing). Most attempts succeed on a channel that is not failing and change
// nothing: they read it without a lock. Every record of a busy channel took its row
// lock before, and so the attempts of one channel were recorded one at a time. The
// read is made once per batch (Memo): a batch holds the records of many attempts to
// one channel, and on PostgreSQL each read was a round trip.
func (o *Outbox) failingSince(ctx context.Context, channelID uuid.UUID) (*time.Time, error) {
	return database.Memo(ctx, failingMemo{channelID}, func() (*time.Time, error) {
		var seen channelRow
		if err := o.db.Conn(ctx).Select("failing_since").Where("id = ?", channelID).Take(&seen).Error; err != nil {
			return nil, fmt.Errorf("reading channel: %w", err)
		}
		return seen.FailingSince, nil
	})
}

// failingMemo keys a channel's failing_since in a transaction's memo.
type failingMemo struct{ channelID uuid.UUID }

// afterAttempt keeps the channel's failure streak and disables the channel when told
// to or when the streak has lasted DisableAfter.
func (o *Outbox) afterAttempt(ctx context.Context, channelID uuid.UUID, a Attempt, now time.Time, disable string) error {
	conn := o.db.Conn(ctx)
	failingSince, err := o.failingSince(ctx, channelID)
	if err != nil {
		return err
	}
	if a.Succeeded() && failingSince == nil {
		return nil
	}
	var ch channelRow
	if err := o.db.ForUpdate(conn).Where("id = ?", channelID).Take(&ch).Error; err != nil {
		return fmt.Errorf("reading channel: %w", err)
	}
	changes := map[string]any{}
	switch {
	case a.Succeeded():
		if ch.FailingSince != nil {
			changes["failing_since"] = nil
		}
	case ch.FailingSince == nil:
		changes["failing_since"] = a.At.UTC().Truncate(time.Microsecond)
	case disable == "" && !now.Before(ch.FailingSince.Add(o.disableAfter)):
		disable = fmt.Sprintf("every attempt failed for %s", humanDays(o.disableAfter))
	}
	if disable != "" && ch.Enabled {
		changes["enabled"], changes["disabled_reason"] = false, disable
	}
	if len(changes) == 0 {
		return nil
	}
	changes["updated_at"] = now
	if err := conn.Model(&channelRow{}).Where("id = ?", ch.ID).Updates(changes).Error; err != nil {
		return fmt.Errorf("updating channel: %w", err)
	}
	forgetChannels(ctx, ch.OrgID)
	database.ForgetMemo(ctx, failingMemo{ch.ID})
	if disable == "" || !ch.Enabled {
		return nil
	}
	o.stats.disabled.Add(1)
	o.logger.Warn("notify: channel disabled", slog.String("channel_id", ch.ID.String()), slog.String("reason", disable))
	// The channel is disabled now, so Enqueue sends this to the others only.
	return o.Enqueue(ctx, Event{Type: EventChannelDisabled, OrgID: ch.OrgID, Data: EventData{
		OccurredAt: now, Channel: &ChannelInfo{ID: ch.ID, Name: ch.Name, Type: ch.Type, Reason: disable},
		Message: fmt.Sprintf("Channel %q was disabled: %s.", ch.Name, disable),
	}})
}

func humanDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n == 1 {
			return "1 day"
		} else {
			return fmt.Sprintf("%d days", n)
		}
	}
	return d.String()
}

// Prune deletes events older than Retention that no delivery still waits on, with
// their deliveries and attempts, and returns how many events went.
func (o *Outbox) Prune(ctx context.Context) (int64, error) {
	cutoff := o.clock().Add(-o.retention)
	res := o.db.Conn(ctx).Where("created_at < ?", cutoff).
		Where("NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = notify_events.id AND d.status = ?)", deliveryPending).
		Delete(&eventRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("pruning events: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// stats are this instance's attempt counters since start.
type stats struct {
	succeeded, failed, disabled atomic.Int64
}

func (s *stats) count(a Attempt) {
	if a.Succeeded() {
		s.succeeded.Add(1)
	} else {
		s.failed.Add(1)
	}
}

// backlogSQL counts the pending deliveries and the due ones among them, and
// oldestDueSQL reads when the oldest due one fell due, for Stats. 'pending' is
// written out, not bound: only the literal matches the partial index
// notify_deliveries_due (SQLite plans a statement before it binds it, and PostgreSQL's
// generic plan does not know the value either). Bound, every scrape of /metrics read
// the whole table, which keeps 30 days of deliveries.
const (
	backlogSQL = "SELECT count(*), coalesce(sum(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END), 0)" +
		" FROM notify_deliveries WHERE status = '" + deliveryPending + "'"
	oldestDueSQL = "SELECT next_attempt_at FROM notify_deliveries WHERE status = '" + deliveryPending + "'" +
		" AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 1"
)

// Stats are the figures a metrics endpoint reads.
type Stats struct {
	// AttemptsSucceeded and AttemptsFailed count this instance's attempts since start.
	AttemptsSucceeded int64
	AttemptsFailed    int64
	// ChannelsDisabled counts the channels this instance disabled since start.
	ChannelsDisabled int64
	// Pending is the number of deliveries waiting, across instances; Due of them are
	// due now, and OldestDue is how long the oldest due one has waited (the backlog's
	// age; 0 when nothing is due).
	Pending   int64
	Due       int64
	OldestDue time.Duration
}

// Stats reads the counters and the backlog.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	st := Stats{
		AttemptsSucceeded: o.stats.succeeded.Load(), AttemptsFailed: o.stats.failed.Load(),
		ChannelsDisabled: o.stats.disabled.Load(),
	}
	now := o.clock()
	conn := o.db.Conn(ctx)
	if err := conn.Raw(backlogSQL, now).Row().Scan(&st.Pending, &st.Due); err != nil {
		return st, fmt.Errorf("counting deliveries: %w", err)
	}
	var due []time.Time
	if err := conn.Raw(oldestDueSQL, now).Scan(&due).Error; err != nil {
		return st, fmt.Errorf("reading backlog: %w", err)
	}
	if len(due) > 0 {
		st.OldestDue = now.Sub(due[0])
	}
	return st, nil
}
