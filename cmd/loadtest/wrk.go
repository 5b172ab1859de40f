package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"text/template"
	"time"
)

// driveWrk runs one run of a path with wrk, the C load generator the issue's own
// figures came from: it spends far less CPU per request than Go's HTTP client, so
// on a two-core machine more of the CPU goes to the server under test. The bodies
// and the expected status are the Go generator's (generators), handed to the Lua.
func driveWrk(ctx context.Context, base string, tokens []string, path string, o options, dir string) (result, error) {
	script := filepath.Join(dir, "load-"+path+".lua")
	var buf bytes.Buffer
	body := func(p string) string { _, b := generators[p].body(1, 0, make([]atomic.Uint64, 1)); return string(b) }
	if err := wrkScript.Execute(&buf, map[string]any{
		"Tokens": tokens, "Path": path, "Want": generators[path].want,
		"Unchanged": body("unchanged"), "Down": string(flip(1)), "Back": string(flip(2)), "Failure": body("failure"),
	}); err != nil {
		return result{}, err
	}
	if err := os.WriteFile(script, buf.Bytes(), 0o600); err != nil {
		return result{}, err
	}
	threads := min(2, o.conns)
	cmd := exec.CommandContext(ctx, "wrk", "-t", fmt.Sprint(threads), "-c", fmt.Sprint(o.conns),
		"-d", fmt.Sprintf("%ds", max(1, int(o.duration.Round(time.Second).Seconds()))), "--timeout", "30s",
		"-s", script, base, "--", fmt.Sprint(threads))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		rest, ok := strings.CutPrefix(line, "LOADTEST ")
		if !ok {
			continue
		}
		var r result
		var p50, p99 float64
		var errs int
		if _, err := fmt.Sscanf(rest, "%f %f %f %d %d", &r.rate, &p50, &p99, &r.unexpected, &errs); err != nil {
			return result{}, fmt.Errorf("reading wrk's summary %q: %w", rest, err)
		}
		r.p50, r.p99 = time.Duration(p50*float64(time.Microsecond)), time.Duration(p99*float64(time.Microsecond))
		r.unexpected += errs
		return r, nil
	}
	return result{}, fmt.Errorf("wrk printed no summary: %s", out)
}

// wrkScript is the Lua side: each wrk thread owns every n-th receiver, so a
// receiver's flips alternate exactly as with the Go generator, and counts answers
// other than the path's expected status.
var wrkScript = template.Must(template.New("wrk").Parse(`
local tokens = { {{range .Tokens}}"{{.}}", {{end}} }
local path, want = "{{.Path}}", {{.Want}}
local threads, nextID = {}, 0

function setup(thread)
  thread:set("id", nextID)
  nextID = nextID + 1
  table.insert(threads, thread)
end

local counters, n = {}, 0
bad = 0 -- global: done() reads it with thread:get
local unchanged, down, back, failure = {{printf "%q" .Unchanged}}, {{printf "%q" .Down}}, {{printf "%q" .Back}}, {{printf "%q" .Failure}}
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  stride = tonumber(args[1]) -- the thread count: setup's table is not seen here
end

local function flip(r)
  local c = (counters[r] or 0) + 1
  counters[r] = c
  if c % 2 == 1 then return down end
  return back
end

function request()
  local r = ((id + n * stride) % #tokens) + 1
  n = n + 1
  local body
  if path == "unchanged" then body = unchanged
  elseif path == "change" then body = flip(r)
  elseif path == "hot" then r = 1; body = flip(1)
  else body = failure end
  return wrk.format("POST", "/api/webhooks/incoming/" .. tokens[r], headers, body)
end

function response(status, hdrs, body)
  if status ~= want then bad = bad + 1 end
end

function done(summary, latency, requests)
  local unexpected = 0
  for _, t in ipairs(threads) do unexpected = unexpected + t:get("bad") end
  local e = summary.errors
  io.write(string.format("LOADTEST %f %f %f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), unexpected, e.connect + e.read + e.write + e.timeout))
end
`))
