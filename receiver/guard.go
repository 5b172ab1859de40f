package receiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/secrets"
)

// tokenSetMaxAge is how long the set of known token hashes is trusted before a token
// it lacks makes it reload. Changes made through this process mark it stale at once;
// a receiver created, enabled or rotated through another instance (PostgreSQL) is
// unknown here for at most this long.
const tokenSetMaxAge = 5 * time.Second

// tokenSet holds the token hashes of every enabled receiver, so an unknown token,
// the whole of a token scan, is answered without a database query. A scan of random
// tokens is each one new, which a negative cache of unknown hashes would not stop;
// a set of the known ones does, at the cost of one query per tokenSetMaxAge (all
// enabled receivers' hashes, 64 bytes each) while unknown tokens keep arriving.
type tokenSet struct {
	db    *database.DB
	now   func() time.Time
	epoch *changeEpoch // shared by every Store on db

	mu        sync.Mutex // guards the fields below
	hashes    map[string]struct{}
	loadedAt  time.Time // zero: stale
	loadedGen uint64    // the generation the set was loaded at
	// configs caches, by token hash, the receivers the inbound path has read, each
	// with the generation it was read at, so a delivery reads its receiver at most
	// once; an entry of an older generation is stale. On SQLite no other process
	// writes, so a cached receiver whose generation is still current is the row
	// as committed and the delivery reads nothing (see current); on PostgreSQL a
	// change through another instance is caught by the locked read every delivery
	// makes there (receive compares it with the cached row and starts again on a
	// difference). A disabled, rotated or edited receiver is never served from the
	// cache, on any instance.
	configs    map[string]active
	configsGen uint64 // the generation of every entry in configs

	loading sync.Mutex // one reload at a time
}

// changeEpoch counts receiver changes made through one database handle: gen moves
// on every change (and every invalidation), changing counts changes under way.
type changeEpoch struct {
	mu       sync.Mutex
	gen      uint64
	changing int
}

// epochs holds the changeEpoch of each database handle, so that two Stores on one
// database (two parts of one process, or a test's two "instances") see each
// other's changes as they would their own.
var epochs sync.Map // *database.DB → *changeEpoch

func newTokenSet(db *database.DB, now func() time.Time) *tokenSet {
	// Generation 0 is "read outside the cache".
	e, _ := epochs.LoadOrStore(db, &changeEpoch{gen: 1})
	return &tokenSet{db: db, now: now, epoch: e.(*changeEpoch)}
}

// generation is the current generation.
func (t *tokenSet) generation() uint64 {
	t.epoch.mu.Lock()
	defer t.epoch.mu.Unlock()
	return t.epoch.gen
}

// invalidate marks the set stale and the cached configurations old: the next
// unknown token reloads the set, the next delivery reads its receiver.
func (t *tokenSet) invalidate() {
	t.epoch.mu.Lock()
	t.epoch.gen++
	t.epoch.mu.Unlock()
}

// beginChange is called before a receiver change writes anything; the function it
// returns, once the change has committed or failed. In between, no cached receiver
// is current: a delivery batched after the change's COMMIT, but before its end,
// must not trust what was cached before it. Called inside a caller's transaction,
// the change would end before that commits: receiver changes own their transaction.
func (t *tokenSet) beginChange() (end func()) {
	t.epoch.mu.Lock()
	t.epoch.changing++
	t.epoch.gen++
	t.epoch.mu.Unlock()
	return func() {
		t.epoch.mu.Lock()
		t.epoch.changing--
		t.epoch.gen++
		t.epoch.mu.Unlock()
	}
}

// current reports whether a receiver cached at generation gen is still the row as
// committed, for a process that is the store's only writer (SQLite): no receiver
// change has begun since it was read, and none is under way.
func (t *tokenSet) current(gen uint64) bool {
	t.epoch.mu.Lock()
	defer t.epoch.mu.Unlock()
	return gen != 0 && gen == t.epoch.gen && t.epoch.changing == 0
}

// config returns the cached receiver of a token hash, if it is of the current
// generation, and the generation a caller that reads it from the database passes
// to remember.
func (t *tokenSet) config(hash string) (active, bool, uint64) {
	gen := t.generation()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropStaleLocked(gen)
	a, ok := t.configs[hash]
	return a, ok, gen
}

// dropStaleLocked empties the cache once the generation has moved on, so the
// receivers (and decrypted secrets) of an older one do not linger in memory.
func (t *tokenSet) dropStaleLocked(gen uint64) {
	if t.configsGen != gen {
		t.configs, t.configsGen = nil, gen
	}
}

// remember caches a receiver read at generation gen, unless a change since made
// the read stale, and returns it with the generation it is cached at (0 if not).
// A read that ran while a change was under way is cached too: the change's end
// moves the generation on again.
func (t *tokenSet) remember(hash string, a active, gen uint64) active {
	a.gen = 0
	if t.generation() != gen {
		return a
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropStaleLocked(gen)
	if t.configs == nil {
		t.configs = map[string]active{}
	}
	a.gen = gen
	t.configs[hash] = a
	return a
}

// forget drops a hash the database no longer knows as an enabled receiver's.
func (t *tokenSet) forget(hash string) {
	t.mu.Lock()
	delete(t.hashes, hash)
	delete(t.configs, hash)
	t.mu.Unlock()
}

// contains reports whether hash is in the set as loaded, without reloading.
func (t *tokenSet) contains(hash string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.hashes[hash]
	return ok
}

func (t *tokenSet) fresh() bool {
	gen := t.generation()
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.loadedAt.IsZero() && t.loadedGen == gen && t.now().Sub(t.loadedAt) < tokenSetMaxAge
}

// has reports whether hash belongs to an enabled receiver as far as the set knows,
// reloading it first when it is stale.
func (t *tokenSet) has(ctx context.Context, hash string) (bool, error) {
	if t.contains(hash) {
		return true, nil
	}
	if t.fresh() {
		return false, nil
	}
	if err := t.reload(ctx); err != nil {
		return false, err
	}
	return t.contains(hash), nil
}

func (t *tokenSet) reload(ctx context.Context) error {
	t.loading.Lock()
	defer t.loading.Unlock()
	if t.fresh() {
		return nil // reloaded while this one waited
	}
	gen := t.generation()
	var hashes []string
	if err := t.db.Conn(ctx).Model(&receiverRow{}).Where("enabled = ?", true).Pluck("token_hash", &hashes).Error; err != nil {
		return fmt.Errorf("loading receiver token hashes: %w", err)
	}
	set := make(map[string]struct{}, len(hashes))
	for _, h := range hashes {
		set[h] = struct{}{}
	}
	t.mu.Lock()
	t.hashes, t.loadedAt, t.loadedGen = set, t.now(), gen
	t.mu.Unlock()
	return nil
}

// lookup finds the enabled receiver a token names. An unknown token is answered from
// the token set (reloaded only when stale), and spends one of the source address's
// failures; an address with none left gets 429 instead of 404. A token the set knows
// is always looked up, so a scan from an address never locks out a working receiver
// sending from the same one.
func (h *Handler) lookup(c echo.Context, token, addr string, now time.Time) (active, error) {
	ctx := c.Request().Context()
	hash := ""
	if validToken(token) {
		hash = secrets.Hash(token)
	}
	known := false
	if hash != "" {
		var err error
		if known, err = h.store.tokens.has(ctx, hash); err != nil {
			return active{}, err
		}
	}
	if !known {
		if blocked, wait := h.failures.Blocked(addr, now); blocked {
			return active{}, rest.TooManyFailures(c, wait)
		}
		h.failures.Fail(addr, now)
		return active{}, errUnknownToken
	}
	// Cached: no statement (see lockReceiver for how it is checked).
	recv, err := h.store.activeByHash(ctx, hash)
	if errors.Is(err, errUnknownToken) {
		// Disabled, rotated or deleted through another instance since the set was
		// loaded: forgotten, so the next request with it is answered from the set.
		h.store.tokens.forget(hash)
		h.failures.Fail(addr, now)
	}
	return recv, err
}

// Defaults of the per-address failure limit: a sender with a wrong secret or a stale
// URL learns it from 20 answers; a scan of tokens then gets one guess every 6 s.
const (
	DefaultFailuresPerMinute = 10
	DefaultFailureBurst      = 20
)

func newFailureThrottle(perMinute, burst int) *rest.Throttle {
	if perMinute == 0 {
		perMinute = DefaultFailuresPerMinute
	}
	if burst == 0 {
		burst = DefaultFailureBurst
	}
	return rest.NewThrottle(perMinute, burst)
}

// refuseUnsignedWhenThrottled answers 429, without logging a delivery, a request to a
// signed receiver whose signature does not verify from an address that has used up
// its failures. Checked here rather than after the delivery is logged, so a flood of
// unsigned requests neither fills the log nor costs a write; a correctly signed
// delivery from the same address still goes through.
func (h *Handler) refuseUnsignedWhenThrottled(c echo.Context, recv active, body []byte, addr string, now time.Time) error {
	if recv.signature == nil {
		return nil
	}
	blocked, wait := h.failures.Blocked(addr, now)
	if !blocked {
		return nil
	}
	if mapping.VerifySignature(*recv.signature, mapping.Input{Body: body, Header: c.Request().Header}, now) == nil {
		return nil
	}
	return rest.TooManyFailures(c, wait)
}

// deref is a log value for an optional string: the value, or "" for none. slog would
// print a *string as an address.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
