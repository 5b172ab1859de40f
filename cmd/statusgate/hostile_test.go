package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConfigRefusesABodyLimitTheProcessCannotHold(t *testing.T) {
	for _, n := range []int64{MaxBodyBytesLimit + 1, 1 << 30} {
		env := map[string]string{"STATUSGATE_MAX_BODY_BYTES": strconv.FormatInt(n, 10)}
		_, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "max body bytes") {
			t.Fatalf("max body bytes %d: error = %v; want it refused", n, err)
		}
	}
	env := map[string]string{"STATUSGATE_MAX_BODY_BYTES": strconv.Itoa(MaxBodyBytesLimit)}
	if _, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("max body bytes at the limit: %v", err)
	}
}

// A second gateway process on the SQLite file of a running one refuses to start and
// says which file and which process; a one-shot command still works beside it.
func TestSecondProcessOnOneSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statusgate.db")
	dbURL := "sqlite://" + path
	startMain(t, testConfig(t, dbURL))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"=1", "STATUSGATE_LISTEN=127.0.0.1:0",
		"STATUSGATE_DATABASE_URL="+dbURL, "STATUSGATE_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the second gateway exited 0; want a refusal. Output:\n%s", out)
	}
	for _, want := range []string{path, "in use by another statusgate process", "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("second gateway output lacks %q:\n%s", want, out)
		}
	}

	var stdout, stderr bytes.Buffer
	env := map[string]string{"STATUSGATE_DATABASE_URL": dbURL, "STATUSGATE_DATA_DIR": t.TempDir()}
	err = run(ctx, []string{"apikey", "create", "--org", "default", "--role", "viewer"}, &stdout, &stderr, func(k string) string { return env[k] })
	if err != nil || keyPattern.FindString(stdout.String()) == "" {
		t.Fatalf("apikey create beside the gateway: %v, %q\n%s", err, stdout.String(), stderr.String())
	}
}
