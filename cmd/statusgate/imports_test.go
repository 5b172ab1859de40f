package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// modulePath is the import path every package of this repository starts with.
const modulePath = "github.com/statusgate/statusgate"

// A room is one row of DESIGN.md's table "Architecture: the rooms": which of our
// packages a top-level package may import, and which third-party ones. The rule is
// about what the package's own (non-test) files import; its tests may use anything,
// the test-only helpers included.
type room struct {
	// internal lists the rooms it may import. A room's own sub-packages are always allowed.
	internal []string
	// allInternal allows every room that is not test-only (cmd/statusgate wires them all).
	allInternal bool
	// thirdParty lists the module paths outside the standard library it may import.
	thirdParty []string
	// anyThirdParty allows every module outside this repository.
	anyThirdParty bool
	// noStdlib lists standard packages it must not import: mapping does no I/O.
	noStdlib []string
	// testOnly marks a helper only tests may import.
	testOnly bool
}

// rooms is DESIGN.md's table as data (and statuspage, which DECISIONS.md adds). A new
// top-level package fails the test until it has a row here and in DESIGN.md.
var rooms = map[string]room{
	"mapping": {
		thirdParty: []string{"github.com/tidwall/gjson"},
		noStdlib:   []string{"os", "os/exec", "os/signal", "net", "database/sql", "syscall", "io/fs", "path/filepath", "log", "log/slog"},
	},
	"services":   {internal: []string{"mapping", "database", "rest", "apierr"}, anyThirdParty: true},
	"incidents":  {internal: []string{"services", "mapping", "database", "rest", "apierr"}, anyThirdParty: true},
	"statuspage": {internal: []string{"services", "incidents", "maintenances", "orgs", "mapping", "rest", "apierr"}, anyThirdParty: true},
	// maintenances holds planned maintenance windows (DECISIONS.md, "Planned maintenance").
	"maintenances": {internal: []string{"services", "database", "rest", "apierr"}, anyThirdParty: true},
	"notify":       {internal: []string{"database", "rest", "apierr", "secrets"}, anyThirdParty: true},
	"receiver":     {internal: []string{"mapping", "services", "database", "rest", "apierr", "secrets"}, anyThirdParty: true},
	"orgs":         {internal: []string{"database", "rest", "apierr", "secrets"}, anyThirdParty: true},

	// modernc.org/libc is the SQLite driver's own C runtime, which the WAL VFS
	// (database/sqlite_walvfs.go) allocates and copies with.
	"database":   {internal: []string{"migrations"}, thirdParty: []string{"gorm.io", "github.com/libtnb/sqlite", "modernc.org/sqlite", "modernc.org/libc", "github.com/jackc/pgx/v5"}},
	"migrations": {},
	"apierr":     {thirdParty: []string{"github.com/labstack/echo/v4"}},
	"rest":       {internal: []string{"apierr"}, thirdParty: []string{"github.com/labstack/echo/v4", "github.com/google/uuid", "golang.org/x/time"}},
	"secrets":    {},

	// metrics holds the Prometheus definitions; only cmd/statusgate imports it, and it
	// imports no room (DECISIONS.md, "Running it").
	"metrics": {thirdParty: []string{"github.com/prometheus/client_golang"}},

	"cmd/statusgate": {allInternal: true, anyThirdParty: true},
	// The load command drives the built binary over HTTP; it imports no room.
	"cmd/loadtest": {anyThirdParty: true},

	"dbtest":    {allInternal: true, anyThirdParty: true, testOnly: true},
	"apitest":   {allInternal: true, anyThirdParty: true, testOnly: true},
	"testclock": {testOnly: true},
}

// goPackage is the part of `go list -json` this test reads.
type goPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Dir        string
	GoFiles    []string
}

// roomOf returns the room of one of our packages: its top-level directory, or
// cmd/<name> for a command.
func roomOf(importPath string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(importPath, modulePath), "/")
	parts := strings.Split(rel, "/")
	if parts[0] == "cmd" && len(parts) > 1 {
		return "cmd/" + parts[1]
	}
	return parts[0]
}

func ours(importPath string) bool {
	return importPath == modulePath || strings.HasPrefix(importPath, modulePath+"/")
}

// underModule reports whether path is module or one of its packages.
func underModule(path, module string) bool {
	return path == module || strings.HasPrefix(path, module+"/")
}

// violations returns one sentence per import the table forbids, sorted. pkgs is the
// whole dependency graph (`go list -deps`), so it also says which imports are standard.
func violations(pkgs []goPackage, table map[string]room) []string {
	standard := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard {
			standard[p.ImportPath] = true
		}
	}
	var out []string
	for _, p := range pkgs {
		if !ours(p.ImportPath) {
			continue
		}
		name := roomOf(p.ImportPath)
		r, ok := table[name]
		if !ok {
			out = append(out, fmt.Sprintf("package %s is in no row of DESIGN.md's table; give it a row there and in this test", p.ImportPath))
			continue
		}
		for _, imp := range p.Imports {
			if why := forbidden(name, r, imp, standard[imp], table); why != "" {
				out = append(out, fmt.Sprintf("%s imports %s, which DESIGN.md's table forbids: %s", p.ImportPath, imp, why))
			}
		}
	}
	sort.Strings(out)
	return out
}

// forbidden says why room name (with rule r) may not import imp, or "" when it may.
func forbidden(name string, r room, imp string, standard bool, table map[string]room) string {
	switch {
	case standard:
		if slices.Contains(r.noStdlib, imp) {
			return fmt.Sprintf("%s does no I/O", name)
		}
		return ""
	case ours(imp):
		target := roomOf(imp)
		if target == name {
			return ""
		}
		if t, ok := table[target]; ok && t.testOnly && !r.testOnly {
			return fmt.Sprintf("%s is for tests only", target)
		}
		if r.allInternal || slices.Contains(r.internal, target) {
			return ""
		}
		return fmt.Sprintf("%s may import only %s of ours", name, listOr(r.internal, "none"))
	default:
		if r.anyThirdParty {
			return ""
		}
		for _, m := range r.thirdParty {
			if underModule(imp, m) {
				return ""
			}
		}
		return fmt.Sprintf("%s may import only %s outside the standard library", name, listOr(r.thirdParty, "nothing"))
	}
}

func listOr(list []string, empty string) string {
	if len(list) == 0 {
		return empty
	}
	return strings.Join(list, ", ")
}

// listPackages runs `go list -deps -json ./...` at the root of the module.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("finding the module root with go list -m: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = strings.TrimSpace(string(root))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportsFollowTheRooms reads the real import graph: a package that imports
// what DESIGN.md's table does not allow fails here, named with the import.
func TestImportsFollowTheRooms(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		if ours(p.ImportPath) {
			seen[roomOf(p.ImportPath)] = true
		}
	}
	// Guard the guard: an empty or foreign listing would pass vacuously.
	for _, must := range []string{"mapping", "services", "incidents", "receiver", "orgs", "statuspage", "cmd/statusgate"} {
		if !seen[must] {
			t.Fatalf("go list did not list package %s; the check would prove nothing", must)
		}
	}
	for _, v := range violations(pkgs, rooms) {
		t.Error(v)
	}
}

// TestViolations checks the checker on small made-up graphs, one per kind of breach.
func TestViolations(t *testing.T) {
	t.Parallel()
	p := func(path string, imports ...string) goPackage {
		return goPackage{ImportPath: modulePath + "/" + path, Imports: imports}
	}
	std := func(path string) goPackage { return goPackage{ImportPath: path, Standard: true} }
	m := func(path string) string { return modulePath + "/" + path }
	tests := []struct {
		name string
		pkgs []goPackage
		want []string
	}{
		{
			name: "allowed imports pass",
			pkgs: []goPackage{
				std("strings"), std("net/http"),
				p("mapping", "strings", "github.com/tidwall/gjson"),
				p("services", "net/http", m("mapping"), m("rest"), "github.com/google/uuid"),
				p("notify", m("database"), m("secrets"), "github.com/emersion/go-smtp"),
				p("notify/webhook", m("notify"), m("rest")),
				p("cmd/statusgate", m("notify"), m("services"), m("orgs")),
			},
		},
		{
			name: "notify importing a domain package",
			pkgs: []goPackage{p("notify", m("services"))},
			want: []string{m("notify") + " imports " + m("services") + ", which DESIGN.md's table forbids: notify may import only database, rest, apierr, secrets of ours"},
		},
		{
			name: "a sub-package follows its room's row",
			pkgs: []goPackage{p("notify/slack", m("incidents"))},
			want: []string{m("notify/slack") + " imports " + m("incidents") + ", which DESIGN.md's table forbids: notify may import only database, rest, apierr, secrets of ours"},
		},
		{
			name: "mapping importing a third-party module other than gjson",
			pkgs: []goPackage{p("mapping", "github.com/google/uuid")},
			want: []string{m("mapping") + " imports github.com/google/uuid, which DESIGN.md's table forbids: mapping may import only github.com/tidwall/gjson outside the standard library"},
		},
		{
			name: "mapping doing I/O",
			pkgs: []goPackage{std("os"), p("mapping", "os")},
			want: []string{m("mapping") + " imports os, which DESIGN.md's table forbids: mapping does no I/O"},
		},
		{
			name: "a domain package importing orgs for the caller",
			pkgs: []goPackage{p("receiver", m("orgs"))},
			want: []string{m("receiver") + " imports " + m("orgs") + ", which DESIGN.md's table forbids: receiver may import only mapping, services, database, rest, apierr, secrets of ours"},
		},
		{
			name: "production code importing a test helper",
			pkgs: []goPackage{p("cmd/statusgate", m("testclock"))},
			want: []string{m("cmd/statusgate") + " imports " + m("testclock") + ", which DESIGN.md's table forbids: testclock is for tests only"},
		},
		{
			name: "a package with no row",
			pkgs: []goPackage{p("dashboards", "strings")},
			want: []string{"package " + m("dashboards") + " is in no row of DESIGN.md's table; give it a row there and in this test"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations(tt.pkgs, rooms)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("violations =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// tableName finds a gorm row type's table: func (fooRow) TableName() string { return "foo" }.
var tableName = regexp.MustCompile(`func \(\w*\s*\*?\w+\) TableName\(\) string \{\s*return "(\w+)"`)

// TestEachTableHasOneOwner: a package never reads another's tables, so no table has
// row types in two rooms (incidents once had its own row type on "services").
func TestEachTableHasOneOwner(t *testing.T) {
	t.Parallel()
	owners := map[string]map[string]bool{} // table -> rooms with a row type on it
	for _, p := range listPackages(t) {
		if !ours(p.ImportPath) {
			continue
		}
		for _, f := range p.GoFiles {
			src, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatalf("reading %s: %v", f, err)
			}
			for _, m := range tableName.FindAllSubmatch(src, -1) {
				table := string(m[1])
				if owners[table] == nil {
					owners[table] = map[string]bool{}
				}
				owners[table][roomOf(p.ImportPath)] = true
			}
		}
	}
	if len(owners["services"]) == 0 || len(owners["incidents"]) == 0 {
		t.Fatalf("found no row type of services or incidents (%v); the pattern misses them", owners)
	}
	for table, rs := range owners {
		if len(rs) > 1 {
			names := make([]string, 0, len(rs))
			for r := range rs {
				names = append(names, r)
			}
			sort.Strings(names)
			t.Errorf("table %s has row types in %s; one package owns a table and the others ask it", table, strings.Join(names, " and "))
		}
	}
}
