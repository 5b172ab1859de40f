// Command loadtest measures statusgate's inbound path against a bare Echo + gjson
// handler in the same run, on loopback, with the same load generator, and prints the
// ratios. It builds and starts the real gateway binary, creates receivers through the
// API, then alternates bare and gateway runs of each path so machine noise falls on
// both alike, and quotes medians.
//
//	go run ./cmd/loadtest -duration 10s -conns 32 -receivers 200 -rounds 3
//	go run ./cmd/loadtest -database-url postgres://user:pass@127.0.0.1:5432/db -api-key sgk_...
//
// It only ever talks to 127.0.0.1. It is not part of `make test`: `make loadtest` runs it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	duration  time.Duration
	conns     int
	receivers int
	rounds    int
	paths     []string
	dbURL     string
	apiKey    string
	binary    string
	generator string
	walCensus bool
}

func main() {
	var o options
	var paths string
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of one run")
	flag.IntVar(&o.conns, "conns", 32, "concurrent connections (closed loop: each sends its next request when answered)")
	flag.IntVar(&o.receivers, "receivers", 200, "receivers (each with its own service) the load spreads over")
	flag.IntVar(&o.rounds, "rounds", 3, "bare/gateway pairs per path; medians are quoted")
	flag.StringVar(&paths, "paths", "unchanged,change,hot,failure", "paths to drive: unchanged, change, hot, failure")
	flag.StringVar(&o.dbURL, "database-url", "", "gateway database (default: a fresh SQLite file in a temp folder)")
	flag.StringVar(&o.apiKey, "api-key", "", "admin key, when the database already has an organization")
	flag.StringVar(&o.binary, "binary", "", "gateway binary (default: go build ./cmd/statusgate)")
	flag.StringVar(&o.generator, "generator", "auto", "load generator: wrk, go (this process's HTTP client), or auto (wrk when it is on PATH)")
	flag.BoolVar(&o.walCensus, "wal-census", false, "after each gateway run on SQLite, count the WAL's frames per commit by table and index")
	flag.Parse()
	o.paths = strings.Split(paths, ",")
	if o.generator == "auto" {
		o.generator = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			o.generator = "wrk"
		}
	}
	if o.generator != "go" && o.generator != "wrk" {
		fmt.Fprintf(os.Stderr, "loadtest: unknown -generator %q (wrk, go or auto)\n", o.generator)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "statusgate-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.binary == "" {
		o.binary = filepath.Join(tmp, "statusgate")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.binary, "./cmd/statusgate")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the gateway: %w", err)
		}
	}
	if o.dbURL == "" {
		o.dbURL = "sqlite://" + filepath.Join(tmp, "load.db")
	}
	sqlitePath, onSQLite := strings.CutPrefix(o.dbURL, "sqlite://")
	if o.walCensus && !onSQLite {
		return errors.New("-wal-census reads a SQLite WAL: it needs the default database or a sqlite:// URL")
	}
	var censuses []pathCensus
	gw, err := startGateway(ctx, o, tmp)
	if err != nil {
		return err
	}
	defer gw.stop()
	// The change path is the whole of one: history, post, automatic incident, and
	// an outbox event for a webhook channel, which the gateway's workers deliver to
	// this process while the load runs.
	sink, err := startSink()
	if err != nil {
		return err
	}
	defer sink.close()
	var channel struct{ ID string }
	if err := gw.api(ctx, "/api/v1/channels", map[string]any{"name": "load sink", "type": "webhook", "url": sink.url}, &channel); err != nil {
		return err
	}
	tokens, err := gw.createReceivers(ctx, o.receivers)
	if err != nil {
		return err
	}
	bare, err := startBare(tokens)
	if err != nil {
		return err
	}
	defer bare.close()

	fmt.Printf("loadtest: %d receivers, %d connections, %s per run, %d rounds, load from %s, gateway on %s, database %s\n\n",
		o.receivers, o.conns, o.duration, o.rounds, o.generator, gw.url, dialect(o.dbURL))
	fmt.Println("| path | bare req/s | gateway req/s | ratio | gateway p50 | gateway p99 | unexpected answers | gateway RSS | writes per commit |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, p := range o.paths {
		gen, ok := generators[p]
		if !ok {
			return fmt.Errorf("unknown path %q", p)
		}
		var bareRuns, gwRuns []result
		census := walCensus{frames: map[string]int{}}
		for round := 0; round < o.rounds; round++ {
			// Alternate who goes first, so drift (thermal, page cache) falls on both.
			order := []string{"bare", "gateway"}
			if round%2 == 1 {
				order = []string{"gateway", "bare"}
			}
			for _, who := range order {
				base := bare.url
				if who == "gateway" {
					base = gw.url
				}
				var r result
				var before commitCounts
				if who == "gateway" {
					before = gw.groupCommits(ctx)
				}
				if o.generator == "wrk" {
					r, err = driveWrk(ctx, base, tokens, p, o, tmp)
				} else {
					r = drive(ctx, base, tokens, gen, o)
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					return err
				}
				if who == "bare" {
					bareRuns = append(bareRuns, r)
				} else {
					r.rssKiB = gw.rssKiB()
					r.perCommit = gw.groupCommits(ctx).since(before)
					gwRuns = append(gwRuns, r)
					if o.walCensus {
						c, err := takeWALCensus(ctx, sqlitePath, filepath.Join(tmp, "census"))
						if err != nil {
							return err
						}
						census.add(c)
					}
					// The outbox goes on delivering what the run queued; a bare run
					// measured meanwhile would share the CPU with it and flatter
					// every ratio.
					if waited := gw.waitIdle(ctx); waited > time.Second {
						fmt.Fprintf(os.Stderr, "loadtest: waited %s for the gateway to go idle after a %s run\n", waited.Round(time.Second), p)
					}
				}
			}
		}
		b, g := median(bareRuns), median(gwRuns)
		fmt.Printf("| %s | %.0f | %.0f | %.3f× | %s | %s | %d | %d MiB | %.1f |\n", p, b.rate, g.rate, g.rate/b.rate,
			g.p50.Round(10*time.Microsecond), g.p99.Round(10*time.Microsecond), g.unexpected, g.rssKiB/1024, g.perCommit)
		if o.walCensus {
			censuses = append(censuses, pathCensus{p, census})
		}
	}
	fmt.Printf("\noutbound webhook events received by the sink while the load ran: %d\n", sink.received.Load())
	for _, c := range censuses {
		fmt.Println()
		c.census.report(os.Stdout, c.path, 12)
	}
	return nil
}

func dialect(u string) string {
	if strings.HasPrefix(u, "sqlite://") {
		return "SQLite"
	}
	return "PostgreSQL"
}

// generator says what one request of a path sends and which status answers it.
type generator struct {
	want int
	body func(i uint64, receiver int, counters []atomic.Uint64) (int, []byte)
}

var generators = map[string]generator{
	// Every service starts operational: the same word again is logged and ignored.
	"unchanged": {http.StatusOK, func(i uint64, r int, _ []atomic.Uint64) (int, []byte) {
		return r, []byte(`{"status":"operational","message":"all good"}`)
	}},
	// Each receiver flips between down and operational: history, post, outbox.
	"change": {http.StatusOK, func(i uint64, r int, c []atomic.Uint64) (int, []byte) {
		return r, flip(c[r].Add(1))
	}},
	// Every request to one receiver.
	"hot": {http.StatusOK, func(i uint64, _ int, c []atomic.Uint64) (int, []byte) {
		return 0, flip(c[0].Add(1))
	}},
	// A word no vocabulary knows: a logged failure.
	"failure": {http.StatusUnprocessableEntity, func(i uint64, r int, _ []atomic.Uint64) (int, []byte) {
		return r, []byte(`{"status":"purple"}`)
	}},
}

func flip(n uint64) []byte {
	if n%2 == 1 {
		return []byte(`{"status":"down","message":"unreachable"}`)
	}
	return []byte(`{"status":"operational","message":"back"}`)
}

type result struct {
	rate       float64
	p50, p99   time.Duration
	unexpected int
	rssKiB     int
	perCommit  float64 // units of work per group commit during the run (gateway only)
}

// drive runs one closed-loop run: o.conns workers, each sending its next request as
// soon as the last is answered, for o.duration.
func drive(ctx context.Context, base string, tokens []string, gen generator, o options) result {
	transport := &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	counters := make([]atomic.Uint64, len(tokens))
	var seq atomic.Uint64
	var mu sync.Mutex
	var latencies []time.Duration
	unexpected := 0
	// Requests in flight at the deadline are let finish (their context is not the
	// deadline's), so the gateway never sees a run end as a burst of disconnects.
	deadline, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for deadline.Err() == nil {
				i := seq.Add(1)
				r, body := gen.body(i, int(i%uint64(len(tokens))), counters)
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/webhooks/incoming/"+tokens[r], bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != gen.want {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			unexpected += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	res := result{rate: float64(len(latencies)) / elapsed.Seconds(), unexpected: unexpected}
	if n := len(latencies); n > 0 {
		res.p50, res.p99 = latencies[n/2], latencies[min(n-1, n*99/100)]
	}
	return res
}

// median picks the run with the median rate, and the median of each latency figure.
func median(runs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := result{
		rate:      pick(func(r result) float64 { return r.rate }),
		p50:       time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:       time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
		perCommit: pick(func(r result) float64 { return r.perCommit }),
	}
	for _, r := range runs {
		out.unexpected += r.unexpected
		out.rssKiB = max(out.rssKiB, r.rssKiB)
	}
	return out
}

// gateway is the real binary running as a child process.
type gateway struct {
	cmd *exec.Cmd
	url string
	key string
}

var keyPattern = regexp.MustCompile(`sgk_[A-Za-z0-9]{40}`)

func startGateway(ctx context.Context, o options, dataDir string) (*gateway, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(o.binary, "serve")
	cmd.Env = append(os.Environ(), "STATUSGATE_LISTEN="+addr, "STATUSGATE_PUBLIC_URL=http://"+addr,
		"STATUSGATE_DATABASE_URL="+o.dbURL, "STATUSGATE_DATA_DIR="+dataDir,
		"STATUSGATE_RATE_LIMIT=0", "STATUSGATE_LOG_LEVEL=error", "STATUSGATE_OUTBOUND_ALLOW_PRIVATE=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dataDir, "gateway.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gateway{cmd: cmd, url: "http://" + addr, key: o.apiKey}
	keys := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if k := keyPattern.FindString(sc.Text()); k != "" {
				keys <- k
			}
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(g.url + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if g.key == "" {
				select {
				case g.key = <-keys:
				case <-time.After(2 * time.Second):
					g.stop()
					return nil, errors.New("the gateway printed no admin key (the database is not new): pass -api-key")
				}
			}
			return g, nil
		}
	}
	g.stop()
	return nil, errors.New("the gateway did not become ready within 60 s")
}

func (g *gateway) stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	_ = g.cmd.Wait()
}

// waitIdle waits, up to two minutes, until the gateway uses less than 5 % of a core
// over half a second, and says how long that took.
func (g *gateway) waitIdle(ctx context.Context) time.Duration {
	start := time.Now()
	const window = 500 * time.Millisecond
	for last := g.cpuTicks(); time.Since(start) < 2*time.Minute && ctx.Err() == nil; {
		time.Sleep(window)
		now := g.cpuTicks()
		// /proc counts CPU time in clock ticks, 100 a second on Linux.
		if float64(now-last)/100 < 0.05*window.Seconds() {
			break
		}
		last = now
	}
	return time.Since(start)
}

// cpuTicks is the gateway's user and system CPU time so far, in clock ticks.
func (g *gateway) cpuTicks() int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	_, rest, _ := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0
	}
	var utime, stime int
	fmt.Sscanf(fields[11], "%d", &utime)
	fmt.Sscanf(fields[12], "%d", &stime)
	return utime + stime
}

// rssKiB reads the gateway's resident memory, so a run shows whether it stays flat.
func (g *gateway) rssKiB() int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kib)
			return kib
		}
	}
	return 0
}

func (g *gateway) createReceivers(ctx context.Context, n int) ([]string, error) {
	suffix := time.Now().UnixNano()
	tokens := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var svc struct{ ID string }
		if err := g.api(ctx, "/api/v1/services", map[string]any{"name": fmt.Sprintf("load %d-%d", suffix, i)}, &svc); err != nil {
			return nil, err
		}
		var recv struct{ Token string }
		if err := g.api(ctx, "/api/v1/receivers", map[string]any{"name": fmt.Sprintf("load %d", i), "service_id": svc.ID,
			"auto_incidents": map[string]any{"enabled": true}}, &recv); err != nil {
			return nil, err
		}
		tokens = append(tokens, recv.Token)
	}
	return tokens, nil
}

// commitCounts is what the gateway's /metrics said of group commit at one moment;
// ok is false when the scrape failed or lacked the counters.
type commitCounts struct {
	commits, writes float64
	ok              bool
}

// since is how many units of work shared each commit between then and c (0: not
// measured, since a scrape failed or nothing committed).
func (c commitCounts) since(then commitCounts) float64 {
	if !c.ok || !then.ok || c.commits <= then.commits {
		return 0
	}
	return (c.writes - then.writes) / (c.commits - then.commits)
}

// groupCommits scrapes the gateway's group commit counters, so a run shows how many
// deliveries shared each fsync.
func (g *gateway) groupCommits(ctx context.Context) commitCounts {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return commitCounts{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return commitCounts{}
	}
	var out commitCounts
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "statusgate_group_commits_total":
			out.commits, found = n, found+1
		case "statusgate_group_commit_writes_total":
			out.writes, found = n, found+1
		}
	}
	out.ok = sc.Err() == nil && found == 2
	return out
}

func (g *gateway) api(ctx context.Context, path string, body, out any) error {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+g.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s = %d %s", path, resp.StatusCode, answer)
	}
	return json.Unmarshal(answer, out)
}
