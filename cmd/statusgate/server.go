package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/maintenances"
	"github.com/statusgate/statusgate/metrics"
	"github.com/statusgate/statusgate/notify"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/statuspage"
)

// Main is the running gateway: its database, HTTP server and workers.
type Main struct {
	Config Config
	// NowFunc is the clock every store uses; tests replace it.
	NowFunc func() time.Time

	stdout, stderr io.Writer
	logger         *slog.Logger
	db             *database.DB
	outbox         *notify.Outbox
	echo           *echo.Echo
	server         *http.Server
	listener       net.Listener
	metrics        *metrics.Metrics
	bridge         *eventBridge
	metricsServer  *http.Server
	metricsAddr    net.Addr

	// Workers run until stopWorkers is called; Close waits for them on workers.
	stopWorkers context.CancelFunc
	workers     sync.WaitGroup
	serveErr    chan error
	closeOnce   sync.Once
	closeErr    error
}

// NewMain returns a gateway that Run will start.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, NowFunc: time.Now, stdout: stdout, stderr: stderr}
}

type orgsStore = *orgs.Store

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openDatabase(ctx context.Context, cfg Config, logger *slog.Logger) (*database.DB, error) {
	return database.Open(ctx, cfg.DatabaseURL, database.Options{Logger: logger,
		GroupCommit: database.GroupCommitOptions{MaxWait: cfg.GroupCommitWait, MaxBatch: cfg.GroupCommitMax}})
}

// withOrgs opens the database for a one-shot admin command. It may run beside a
// gateway on the same SQLite file (an operator creating a key), so it does not take
// the file lock that keeps a second gateway out.
func withOrgs(ctx context.Context, cfg Config, stderr io.Writer, fn func(orgsStore) error) error {
	db, err := database.Open(ctx, cfg.DatabaseURL, database.Options{Logger: newLogger(cfg, stderr), SharedFile: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(orgs.NewStore(db, nil))
}

// secretBox loads the key that encrypts stored secrets: the configured one, or the
// key file in the data folder, made on first start.
func (m *Main) secretBox() (*secrets.Box, error) {
	if m.Config.SecretKey != "" {
		key, err := secrets.ParseKey(m.Config.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("STATUSGATE_SECRET_KEY: %w", err)
		}
		return secrets.NewBox(key)
	}
	path := filepath.Join(m.Config.DataDir, "secret.key")
	key, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if created {
		m.logger.Warn("generated a secret key; back it up, stored signature secrets cannot be read without it", slog.String("path", path))
	}
	return secrets.NewBox(key)
}

// Run opens the database, bootstraps the first organization, binds the listener and
// starts serving and the workers. It returns once the gateway accepts requests.
func (m *Main) Run(ctx context.Context) error {
	m.logger = newLogger(m.Config, m.stderr)
	db, err := openDatabase(ctx, m.Config, m.logger)
	if err != nil {
		return err
	}
	m.db = db
	box, err := m.secretBox()
	if err != nil {
		return err
	}
	orgStore := orgs.NewStore(db, m.NowFunc)
	key, err := orgStore.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("creating the first organization: %w", err)
	}
	if key != "" {
		fmt.Fprintf(m.stdout, "Created organization %q. Its admin API key, shown only this once:\n\n    %s\n\n", orgs.DefaultSlug, key)
	}

	m.metrics = metrics.New()
	m.metrics.DBStats(db.SQL())
	// Writes per commit (the second over the first) says how much group commit shares
	// an fsync; failures are batches answered 503.
	m.metrics.Counter("group_commits_total", "Transactions group commit committed.", func() float64 {
		return float64(db.GroupCommitStats().Commits)
	})
	m.metrics.Counter("group_commit_writes_total", "Units of work (a delivery, a prune step, an outbox claim) those transactions held.", func() float64 {
		return float64(db.GroupCommitStats().Committed)
	})
	m.metrics.Counter("group_commit_failures_total", "Group transactions that could not commit; each of their requests was answered 503.", func() float64 {
		return float64(db.GroupCommitStats().Failed)
	})
	registry, err := notifiers(m.Config, notify.NewClient(m.Config.OutboundAllowPrivate, m.Config.NotifyWorkers), m.NowFunc)
	if err != nil {
		return err
	}
	m.outbox = notify.NewOutbox(notify.Options{
		DB: db, Box: box, Notifiers: registry,
		NowFunc: m.NowFunc, Logger: m.logger, AllowPrivate: m.Config.OutboundAllowPrivate,
		Workers: m.Config.NotifyWorkers, Lease: m.Config.NotifyLease,
	})
	// The bridge turns domain changes into events inside their transactions. incidents
	// asks services about services, and services tells incidents and the bridge of
	// every change: the services store comes first, its ChangeFuncs are added once the
	// incidents store exists, incidents before the bridge so a change's events follow
	// the order things happened in.
	bridge := &eventBridge{db: db, outbox: m.outbox, orgs: orgStore, publicURL: m.Config.PublicURL}
	m.bridge = bridge
	svcStore := services.NewStore(db, services.Options{
		NowFunc:     m.NowFunc,
		ChangeFuncs: []services.ChangeFunc{m.countTransition},
		PostFuncs:   []services.PostFunc{bridge.postCreated},
	})
	incStore := incidents.NewStore(db, svcStore, incidents.Options{NowFunc: m.NowFunc, OnEvent: bridge.incidentEvent})
	svcStore.AddChangeFunc(incStore.HandleChange)
	maintStore := maintenances.NewStore(db, svcStore, maintenances.Options{NowFunc: m.NowFunc})
	svcStore.AddChangeFunc(bridge.serviceChanged)
	bridge.svcs = svcStore
	m.metrics.Outbox(func(ctx context.Context) (metrics.OutboxStats, error) {
		st, err := m.outbox.Stats(ctx)
		return metrics.OutboxStats{
			Succeeded: st.AttemptsSucceeded, Failed: st.AttemptsFailed, ChannelsDisabled: st.ChannelsDisabled,
			Pending: st.Pending, Due: st.Due, OldestDue: st.OldestDue,
		}, err
	})
	m.metrics.Gauge("incidents_open", "Open incidents across every organization, read at scrape time.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := incStore.CountOpen(ctx)
		if err != nil {
			return -1 // a scrape while the database is away: -1 says "unknown", not "none"
		}
		return float64(n)
	})
	recvStore := receiver.NewStore(receiver.StoreConfig{DB: db, Services: svcStore, Box: box, PublicURL: m.Config.PublicURL, NowFunc: m.NowFunc})
	// One failure limit for senders and the admin API; a negative value turns the
	// receiver's off, as 0 does NewThrottle.
	failuresPerMinute := m.Config.FailureLimit
	if failuresPerMinute == 0 {
		failuresPerMinute = -1
	}
	recvHandler := receiver.NewHandler(receiver.HandlerConfig{
		Store: recvStore, MaxBodyBytes: m.Config.MaxBodyBytes, RatePerMinute: m.Config.RatePerMinute,
		RateBurst: m.Config.RateBurst, FailuresPerMinute: failuresPerMinute, FailureBurst: 2 * m.Config.FailureLimit,
		NowFunc: m.NowFunc, Logger: m.logger, ObserveFunc: m.countInbound,
	})

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = apierr.Handler(m.logger, database.IsUnavailable)
	e.IPExtractor = echo.ExtractIPDirect()
	if m.Config.TrustProxyHeaders {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(m.accessLog, middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		// A panic is a bug: the stack goes to the log through slog, the client gets the
		// generic 500 of apierr's handler.
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			m.logger.ErrorContext(c.Request().Context(), "panic while serving a request",
				slog.String("method", c.Request().Method), slog.String("route", c.Path()),
				slog.String("panic", err.Error()), slog.String("stack", string(stack)))
			return err
		},
	}))
	// HEAD too: load balancers and uptime checkers probe with it.
	health := func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) }
	e.GET("/healthz", health)
	e.HEAD("/healthz", health)
	e.GET("/readyz", m.handleReady)
	e.HEAD("/readyz", m.handleReady)
	e.GET("/", func(c echo.Context) error { return m.handleRoot(c, orgStore) })
	e.GET("/api/openapi.yaml", handleOpenAPI)
	recvHandler.RegisterInbound(e)
	statuspage.New(statuspage.Config{
		Orgs: orgStore, Services: svcStore, Incidents: incStore, Maintenances: maintStore,
		PublicURL: m.Config.PublicURL, NowFunc: m.NowFunc, Logger: m.logger,
	}).Register(e)
	badKeys := rest.NewThrottle(m.Config.FailureLimit, 2*m.Config.FailureLimit)
	api := e.Group("/api/v1", m.countAdminThrottle, orgs.ThrottleBadKeys(badKeys, m.NowFunc), orgStore.RequireKey())
	svcStore.Register(api)
	orgStore.Register(api)
	recvHandler.Register(api)
	incStore.Register(api)
	maintStore.Register(api)
	if m.Config.MetricsListen == "" {
		e.GET("/metrics", echo.WrapHandler(m.metrics.Handler(m.Config.MetricsToken)))
	}
	notify.NewHandler(m.outbox, callerOrg).Register(api)
	m.echo = e

	m.listener, err = net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", m.Config.Listen, err)
	}
	m.server = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	if m.Config.MetricsListen != "" {
		if err := m.serveMetrics(); err != nil {
			return err
		}
	}
	m.serveErr = make(chan error, 1)
	go func() {
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
		close(m.serveErr)
	}()

	// Workers get their own lifecycle: they outlive the request that started nothing
	// and stop only when Close says so, after in-flight requests have drained.
	workerCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopWorkers = stop
	m.startSweeper(workerCtx, "incident", m.Config.SweepInterval, func(ctx context.Context) ([]slog.Attr, error) {
		opened, resolved, err := incStore.Sweep(ctx)
		return counts("opened", opened, "resolved", resolved), err
	})
	m.startSweeper(workerCtx, "silence", m.Config.SweepInterval, func(ctx context.Context) ([]slog.Attr, error) {
		n, err := recvStore.SweepSilence(ctx)
		return counts("silenced", n), err
	})
	m.startSweeper(workerCtx, "maintenance", m.Config.SweepInterval, func(ctx context.Context) ([]slog.Attr, error) {
		started, ended, err := maintStore.Sweep(ctx)
		return counts("started", started, "ended", ended), err
	})
	m.startSweeper(workerCtx, "delivery log", logPruneEvery, func(ctx context.Context) ([]slog.Attr, error) {
		n, err := recvStore.PruneLogs(ctx)
		if n > 0 {
			m.logger.Debug("delivery logs pruned", slog.Int("rows", n)) // every second under load: not for the info log
		}
		return nil, err
	})
	m.startSweeper(workerCtx, "SLA", slaSweepEvery, func(ctx context.Context) ([]slog.Attr, error) {
		return nil, bridge.sweepSLA(ctx)
	})
	m.workers.Add(1)
	go func() {
		defer m.workers.Done()
		// Run drains on cancellation: attempts in flight finish and are recorded.
		m.outbox.Run(workerCtx)
	}()
	m.logger.Info("statusgate is serving", slog.String("version", currentBuild().Version), slog.String("commit", currentBuild().Commit),
		slog.String("addr", m.listener.Addr().String()),
		slog.String("database", string(db.Dialect())), slog.String("public_url", m.Config.PublicURL))
	if warning := publicURLWarning(m.Config.PublicURL, m.listener.Addr()); warning != "" {
		m.logger.Warn(warning, slog.String("public_url", m.Config.PublicURL), slog.String("addr", m.listener.Addr().String()))
	}
	return nil
}

// Outbox returns the notify outbox (tests read its Stats).
func (m *Main) Outbox() *notify.Outbox { return m.outbox }

// URL returns the base URL the gateway listens on (useful with --listen 127.0.0.1:0).
func (m *Main) URL() string {
	return "http://" + m.listener.Addr().String()
}

func (m *Main) handleReady(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := m.db.Ping(ctx); err != nil {
		return apierr.New(apierr.CodeUnavailable, "the database does not answer")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// Close shuts down in order: stop accepting and drain in-flight requests, stop the
// workers, close the database.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
			if err := m.server.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("draining requests: %w", err))
			}
			cancel()
			if err := <-m.serveErr; err != nil {
				errs = append(errs, err)
			}
		}
		if m.metricsServer != nil {
			ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
			if err := m.metricsServer.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stopping the metrics listener: %w", err))
			}
			cancel()
		}
		if m.stopWorkers != nil {
			m.stopWorkers()
			m.workers.Wait()
		}
		if m.db != nil {
			if err := m.db.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if m.logger != nil {
			m.logger.Info("statusgate stopped")
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

// publicURLWarning says when receiver URLs would point at the wrong place: the public
// URL was left at its default (port 8080) while the gateway listens on another port.
func publicURLWarning(publicURL string, addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if publicURL != defaultPublicURL || !ok || tcp.Port == 8080 {
		return ""
	}
	return "STATUSGATE_PUBLIC_URL is left at its default, but the gateway listens on another port: receiver URLs it hands out point at port 8080; set STATUSGATE_PUBLIC_URL"
}

// handleRoot sends a visitor of / to the default organization's status page, the page
// a self-hoster's customers are meant to see; without one it is a plain 404.
func (m *Main) handleRoot(c echo.Context, orgStore *orgs.Store) error {
	if _, err := orgStore.OrgBySlug(c.Request().Context(), orgs.DefaultSlug); err != nil {
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			return apierr.NotFound("page")
		}
		return err
	}
	return c.Redirect(http.StatusFound, "/status/"+orgs.DefaultSlug)
}

// countTransition counts a status change for /metrics. It runs inside the change's
// transaction, so a change whose transaction later rolls back (rare: the delivery then
// answers 503) is still counted; the counter is a rate signal, the history is the record.
func (m *Main) countTransition(_ context.Context, ch services.Change) error {
	m.metrics.Transition(string(ch.To), ch.Source)
	return nil
}

// serveMetrics serves /metrics on its own listener, for a scrape network apart from the
// one senders reach.
func (m *Main) serveMetrics() error {
	l, err := net.Listen("tcp", m.Config.MetricsListen)
	if err != nil {
		return fmt.Errorf("listening for metrics on %s: %w", m.Config.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler(m.Config.MetricsToken))
	m.metricsAddr = l.Addr()
	m.metricsServer = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.metricsServer.Serve(l) }()
	return nil
}

// countInbound records one inbound request for /metrics.
func (m *Main) countInbound(o receiver.Observation) {
	switch {
	case o.Result != "":
		m.metrics.ObserveDelivery(o.Result, o.Reason, o.Took)
	case o.UnknownToken:
		m.metrics.UnknownToken()
	case o.RateLimited != "":
		m.metrics.RateLimited(o.RateLimited)
	case o.Unavailable:
		m.metrics.ObserveUnavailable(o.Took)
	}
}

// countAdminThrottle counts the admin API's 429s (repeated bad keys from one address).
func (m *Main) countAdminThrottle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if apierr.CodeOf(err) == apierr.CodeRateLimited {
			m.metrics.RateLimited("api_key")
		}
		return err
	}
}

// accessLog writes one line per request at debug. It logs the route, never the raw
// path: an inbound URL carries its receiver's token.
func (m *Main) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !m.logger.Enabled(c.Request().Context(), slog.LevelDebug) {
			return next(c)
		}
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			// The error handler writes the answer after the middleware returns; this is
			// the status it will write (a database outage is 503, not 500).
			status = apierr.HTTPStatus(apierr.Translate(err, database.IsUnavailable).Code)
		}
		m.logger.DebugContext(c.Request().Context(), "request",
			slog.String("method", c.Request().Method), slog.String("route", c.Path()),
			slog.Int("status", status), slog.Duration("took", time.Since(start)),
			slog.String("remote", c.RealIP()))
		return err
	}
}
