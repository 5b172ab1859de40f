package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockerfile is what the tests read of the repository's Dockerfile.
type dockerfile struct {
	env         map[string]string
	entrypoint  []string
	cmd         []string
	healthcheck []string
	user        string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{env: map[string]string{}}
	exec := func(rest string) []string {
		var args []string
		if err := json.Unmarshal([]byte(rest), &args); err != nil {
			t.Fatalf("Dockerfile: %q is not an exec-form JSON array: %v", rest, err)
		}
		return args
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		word, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch word {
		case "ENV":
			k, v, _ := strings.Cut(rest, "=")
			d.env[k] = v
		case "ENTRYPOINT":
			d.entrypoint = exec(rest)
		case "CMD":
			d.cmd = exec(rest)
		case "USER":
			d.user = rest
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, " CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK without CMD: %q", rest)
			}
			d.healthcheck = exec(cmd)
		}
	}
	return d
}

// The container image cannot be built on this machine (no Docker engine), so this runs
// the image's own entry command and health check against the same program: the
// Dockerfile's ENV, ENTRYPOINT + CMD and HEALTHCHECK, with /data moved to a temp folder
// and the port to a free loopback one.
func TestContainerEntryCommandServesAndPassesItsHealthcheck(t *testing.T) {
	d := readDockerfile(t)
	if d.user == "" || strings.HasPrefix(d.user, "0") || strings.HasPrefix(d.user, "root") {
		t.Fatalf("image runs as %q, want a non-root user", d.user)
	}
	if len(d.entrypoint) != 1 || filepath.Base(d.entrypoint[0]) != "statusgate" || len(d.healthcheck) < 2 || d.healthcheck[0] != d.entrypoint[0] {
		t.Fatalf("entrypoint %q / healthcheck %q: want the statusgate binary for both", d.entrypoint, d.healthcheck)
	}
	for k := range d.env {
		if !isSettingEnv(k) {
			t.Fatalf("Dockerfile sets %s, which is no setting", k)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := map[string]string{}
	for k, v := range d.env {
		env[k] = v
	}
	env["STATUSGATE_DATA_DIR"] = t.TempDir()
	env["STATUSGATE_LISTEN"] = addr
	env["STATUSGATE_PUBLIC_URL"] = "http://" + addr

	cmd := exec.Command(os.Args[0], d.cmd...)
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr, cmd.Stdout = testLogWriter{t}, testLogWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	healthy := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, _, err := runArgs(t, env, d.healthcheck[1:]...); err == nil {
			healthy = true
			break
		}
	}
	if !healthy {
		t.Fatal("the image's HEALTHCHECK never passed against its entry command")
	}
	if _, err := os.Stat(filepath.Join(env["STATUSGATE_DATA_DIR"], "statusgate.db")); err != nil {
		t.Fatalf("the database is not in the data volume: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()

	// docker stop sends SIGTERM: the gateway drains and exits 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM the gateway exited with %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not stop within 30 s of SIGTERM")
	}
}

// The compose file and the systemd unit name only real settings, and the unit starts
// the same command the image does.
func TestComposeAndSystemdNameRealSettings(t *testing.T) {
	for _, path := range []string{"../../compose.yaml", "../../deploy/statusgate.service"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range regexp.MustCompile(`STATUSGATE_[A-Z_]+`).FindAllString(string(data), -1) {
			if !isSettingEnv(name) {
				t.Fatalf("%s names %s, which is no setting", path, name)
			}
		}
	}
	unit, _ := os.ReadFile("../../deploy/statusgate.service")
	if !strings.Contains(string(unit), "ExecStart=/usr/local/bin/statusgate serve") {
		t.Fatal("the systemd unit does not start `statusgate serve`")
	}
}

// isSettingEnv reports whether name is a setting's variable (or its _FILE twin).
func isSettingEnv(name string) bool {
	for _, o := range options {
		if name == o.env || (o.secret && name == o.env+"_FILE") {
			return true
		}
	}
	return false
}
