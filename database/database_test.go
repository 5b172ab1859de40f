package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, dialErr := net.Dial("tcp", addr) // nothing listens there now: connection refused
	if dialErr == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused, wrapped", fmt.Errorf("reading service: %w", dialErr), true},
		{"deadline", context.DeadlineExceeded, true},
		{"postgres admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"postgres connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"postgres too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"postgres unique violation is a bug or a conflict, not an outage", &pgconn.PgError{Code: "23505"}, false},
		{"not found", ErrNotFound, false},
		{"plain error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := IsUnavailable(c.err); got != c.want {
			t.Fatalf("%s: IsUnavailable = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestOpenRefusesUnknownURLsWithoutLeakingPasswords(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), "mysql://root:hunter2@localhost/db", Options{})
	if err == nil {
		t.Fatal("mysql:// accepted")
	}
	if msg := err.Error(); !containsAll(msg, "sqlite://", "postgres://") || contains(msg, "hunter2") {
		t.Fatalf("error %q should name the accepted forms and hide the password", msg)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !contains(s, sub) {
			return false
		}
	}
	return true
}
