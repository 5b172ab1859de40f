package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for admin statements

	"github.com/statusgate/statusgate/database"
)

// cluster is the PostgreSQL server one test binary shares.
type cluster struct {
	dir    string // data folder; removed on stop ("" when the server is external)
	bin    string // folder of initdb and pg_ctl
	cred   *syscall.Credential
	admin  *url.URL // URL of the maintenance database
	tmpl   string   // migrated template database every test database is copied from
	serial int
	mu     sync.Mutex
}

var (
	shared     *cluster
	sharedErr  error
	sharedOnce sync.Once
)

// postgresCluster starts (once per test binary) or finds the cluster.
func postgresCluster() (*cluster, error) {
	sharedOnce.Do(func() {
		shared, sharedErr = startCluster()
	})
	return shared, sharedErr
}

func startCluster() (*cluster, error) {
	if raw := os.Getenv("STATUSGATE_TEST_POSTGRES_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("STATUSGATE_TEST_POSTGRES_URL: %w", err)
		}
		c := &cluster{admin: u}
		return c, c.prepareTemplate()
	}
	c, err := initCluster()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			c.stop()
			return nil, err
		}
		if lastErr = c.start(port); lastErr != nil {
			continue
		}
		if err := c.prepareTemplate(); err != nil {
			c.stop()
			return nil, err
		}
		return c, nil
	}
	c.stop()
	return nil, lastErr
}

// initCluster makes a fresh data folder with initdb, as the postgres user when root.
func initCluster() (*cluster, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root; the Debian package ships a postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run initdb as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	c.dir, err = os.MkdirTemp("", "statusgate-pg-")
	if err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			c.stop()
			return nil, err
		}
	}
	if out, err := c.run("initdb", "-D", filepath.Join(c.dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		c.stop()
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return c, nil
}

// start runs the server on port and points admin at it.
func (c *cluster) start(port int) error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400", port, c.dir)
	out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "server.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	c.admin = &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", port), Path: "/postgres", RawQuery: "sslmode=disable"}
	return nil
}

// Stoppable is a PostgreSQL server of one test's own, which the test stops and
// starts again on the same port: for what a gateway does while its database is gone.
type Stoppable struct {
	c    *cluster
	port int
}

// NewStoppable starts a server for t, removed when t ends. Its port is below the
// ephemeral range: a client retrying against a stopped server on an ephemeral port
// can be given that very port for its own end, and then the server cannot bind it.
func NewStoppable(t testing.TB) *Stoppable {
	t.Helper()
	c, err := initCluster()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(c.stop)
	for attempt := 0; attempt < 20; attempt++ {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		_ = l.Close()
		if err := c.start(port); err != nil {
			continue
		}
		if err := c.prepareTemplate(); err != nil {
			t.Fatal(err)
		}
		return &Stoppable{c: c, port: port}
	}
	t.Fatal("no port below the ephemeral range took the server")
	return nil
}

// URL creates a fresh migrated database on the server and returns its URL.
func (s *Stoppable) URL(t testing.TB) string {
	t.Helper()
	u, _, err := s.c.newDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Stop shuts the server down (fast: open connections are cut) and waits for it.
func (s *Stoppable) Stop(t testing.TB) {
	t.Helper()
	if out, err := s.c.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", filepath.Join(s.c.dir, "data")); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Start starts the stopped server again on its port.
func (s *Stoppable) Start(t testing.TB) {
	t.Helper()
	if err := s.c.start(s.port); err != nil {
		t.Fatal(err)
	}
}

// prepareTemplate migrates one database that every test database is copied from, so
// each test pays for a file copy instead of the whole migration.
func (c *cluster) prepareTemplate() error {
	c.tmpl = fmt.Sprintf("statusgate_tmpl_%d", os.Getpid())
	if err := c.exec(fmt.Sprintf("CREATE DATABASE %s", c.tmpl)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := database.Open(ctx, c.urlFor(c.tmpl), database.Options{})
	if err != nil {
		return fmt.Errorf("migrating the template database: %w", err)
	}
	return db.Close()
}

func (c *cluster) urlFor(name string) string {
	u := *c.admin
	u.Path = "/" + name
	return u.String()
}

func (c *cluster) exec(stmt string) error {
	db, err := sql.Open("pgx", c.admin.String())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// newDatabase creates an empty, migrated database and returns its URL and a cleanup.
func (c *cluster) newDatabase() (string, func(), error) {
	c.mu.Lock()
	c.serial++
	name := fmt.Sprintf("statusgate_test_%d_%d", os.Getpid(), c.serial)
	// Copying a template takes a lock on it; one copy at a time avoids
	// "source database is being accessed by other users" under t.Parallel.
	err := c.exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, c.tmpl))
	c.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	drop := func() { _ = c.exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)) }
	return c.urlFor(name), drop, nil
}

func (c *cluster) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, tool), args...)
	cmd.Dir = os.TempDir()
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// stop shuts the server down and removes its folder.
func (c *cluster) stop() {
	if c == nil || c.dir == "" {
		if c != nil && c.tmpl != "" && c.admin != nil {
			_ = c.exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", c.tmpl))
		}
		return
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		_, _ = c.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(c.dir, "data"))
	}
	_ = os.RemoveAll(c.dir)
}

// postgresBin finds the server binaries: $STATUSGATE_TEST_POSTGRES_BIN, then the newest
// /usr/lib/postgresql/*/bin, then pg_ctl on PATH.
func postgresBin() (string, error) {
	if dir := os.Getenv("STATUSGATE_TEST_POSTGRES_BIN"); dir != "" {
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH); install postgresql")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
