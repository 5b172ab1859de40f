// Command statusgate is the status webhook gateway: `statusgate serve` (the default)
// runs it; `migrate`, `apikey create|list|revoke` and `org create` manage its
// database; `version` and `healthcheck` serve packaging (the container image's
// HEALTHCHECK has no curl).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "statusgate:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var usage usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usageText = `statusgate: a self-hostable gateway for third-party status webhooks.

Usage:
  statusgate [serve] [flags]                     run the gateway (the default)
  statusgate migrate [flags]                     apply database migrations and exit
  statusgate apikey create --org SLUG --role admin|viewer [--name NAME] [--expires-in 720h] [flags]
                                                 print a new API key (and nothing else)
  statusgate apikey list --org SLUG [flags]      list the organization's keys (never the keys themselves)
  statusgate apikey revoke --org SLUG ID [flags] revoke a key; it answers 401 from the next request on
  statusgate org create SLUG [--name NAME] [flags]
                                                 create an organization, print its first admin key
  statusgate healthcheck [flags]                 exit 0 when the gateway on --listen answers /healthz
  statusgate version                             print version, commit and Go version (also --version)
  statusgate help                                this text

Run "statusgate COMMAND --help" for the flags of one command.

`

// run is main without the process: arguments, output streams and environment are
// passed in so tests can drive every subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "serve" && len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		cmd = "version"
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, currentBuild())
		return nil
	case "healthcheck":
		return runHealthcheck(ctx, args, stderr, getenv)
	case "serve":
		return runServe(ctx, args, stdout, stderr, getenv)
	case "migrate":
		return runMigrate(ctx, args, stdout, stderr, getenv)
	case "apikey":
		return runAPIKey(ctx, args, stdout, stderr, getenv)
	case "org":
		return runOrg(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprint(stdout, usageText)
		printOptions(stdout)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q; see statusgate --help", cmd)}
}

// newFlagSet returns a flag set whose --help prints the command's own usage line, its
// own flags, then the settings every command shares.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		if name == "serve" {
			// The default command: its help is also the whole program's.
			fmt.Fprint(w, usageText)
		} else {
			fmt.Fprintf(w, "Usage: statusgate %s\n\n", usage)
		}
		own := false
		fs.VisitAll(func(f *flag.Flag) {
			if isSetting(f.Name) {
				return
			}
			if !own {
				fmt.Fprintln(w, "Flags of this command:")
				own = true
			}
			fmt.Fprintf(w, "  --%-20s %s (default %q)\n", f.Name, f.Usage, f.DefValue)
		})
		if own {
			fmt.Fprintln(w)
		}
		printOptions(w)
	}
	return fs
}

func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	cfg, err := LoadConfig(fs, args, getenv)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return cfg, usageError{err.Error()}
	}
	return cfg, err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("serve", "[serve] [flags]\n\nRuns the gateway until SIGINT or SIGTERM.", stderr)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	tuneRuntime(getenv)
	stopProfile, err := startCPUProfile(getenv("STATUSGATE_CPU_PROFILE"))
	if err != nil {
		return err
	}
	defer stopProfile()
	m := NewMain(cfg, stdout, stderr)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	return m.Close()
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("migrate", "migrate [flags]\n\nApplies pending database migrations and exits.", stderr)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stderr, "statusgate: database is up to date")
	return nil
}

func runOrg(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) < 2 || args[0] != "create" || args[1] == "" || args[1][0] == '-' {
		return usageError{"usage: statusgate org create SLUG [--name NAME]"}
	}
	slug := args[1]
	fs := newFlagSet("org create", "org create SLUG [--name NAME] [flags]\n\nCreates an organization and prints its first admin key.", stderr)
	name := fs.String("name", "", "display name (default: the slug)")
	cfg, err := loadConfig(fs, args[2:], getenv)
	if err != nil {
		return err
	}
	return withOrgs(ctx, cfg, stderr, func(s orgsStore) error {
		_, key, err := s.CreateOrg(ctx, slug, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	})
}

// runHealthcheck asks the gateway on the configured listen address for /healthz, so a
// container image without curl can still have a HEALTHCHECK.
func runHealthcheck(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("healthcheck", "healthcheck [flags]\n\nExits 0 when the gateway listening on --listen answers GET /healthz with 200.", stderr)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	url, err := localURL(cfg.Listen)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s/healthz answered %d", url, resp.StatusCode)
	}
	return nil
}

// localURL is the base URL at which this machine reaches a listen address: an empty or
// wildcard host means every interface, so loopback reaches it.
func localURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
