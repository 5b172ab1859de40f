package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/rest"
)

const apikeyUsage = "usage: statusgate apikey create|list|revoke --org SLUG ...; see statusgate apikey create --help"

// runAPIKey is `statusgate apikey create|list|revoke`: the same keys the admin API's
// /api/v1/api-keys manages, for the operator who has the database but no key.
func runAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return usageError{apikeyUsage}
	}
	switch args[0] {
	case "create":
		return runAPIKeyCreate(ctx, args[1:], stdout, stderr, getenv)
	case "list":
		return runAPIKeyList(ctx, args[1:], stdout, stderr, getenv)
	case "revoke":
		return runAPIKeyRevoke(ctx, args[1:], stderr, getenv)
	}
	return usageError{apikeyUsage}
}

func runAPIKeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("apikey create", "apikey create --org SLUG --role admin|viewer [--name NAME] [--expires-in 720h] [flags]\n\nPrints a new API key and nothing else.", stderr)
	org := fs.String("org", "default", "organization slug")
	role := fs.String("role", "admin", "admin or viewer")
	name := fs.String("name", "", "a note on what the key is for")
	expiresIn := fs.String("expires-in", "", `how long the key works, e.g. "720h" or "90d" (empty: until revoked)`)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	in := orgs.KeyInput{Role: orgs.Role(*role), Name: *name}
	if *expiresIn != "" {
		d, err := parseExpiresIn(*expiresIn)
		if err != nil {
			return usageError{fmt.Sprintf("--expires-in: %v", err)}
		}
		at := time.Now().Add(d)
		in.ExpiresAt = &at
	}
	return withOrgs(ctx, cfg, stderr, func(s orgsStore) error {
		o, err := s.OrgBySlug(ctx, *org)
		if err != nil {
			return err
		}
		key, err := s.AddKey(ctx, o.ID, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key.Key)
		return nil
	})
}

// parseExpiresIn reads a Go duration ("720h") or a whole number of days ("90d"),
// since Go durations stop at hours and keys are usually given days.
func parseExpiresIn(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not a whole number of days", s)
		}
		if n > orgs.MaxKeyDays {
			return 0, fmt.Errorf("--expires-in %s is more than %d days (ten years)", s, orgs.MaxKeyDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 720h or 90d", s)
	}
	if d > orgs.MaxKeyDays*24*time.Hour {
		return 0, fmt.Errorf("--expires-in %s is more than %d days (ten years)", s, orgs.MaxKeyDays)
	}
	return d, nil
}

func runAPIKeyList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("apikey list", "apikey list --org SLUG [flags]\n\nLists the organization's API keys: never the keys, only their last four characters.", stderr)
	org := fs.String("org", "default", "organization slug")
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	return withOrgs(ctx, cfg, stderr, func(s orgsStore) error {
		o, err := s.OrgBySlug(ctx, *org)
		if err != nil {
			return err
		}
		var keys []orgs.APIKey
		page := rest.Page{Limit: rest.MaxLimit}
		for {
			batch, err := s.ListKeys(ctx, o.ID, page)
			if err != nil {
				return err
			}
			if len(batch) <= page.Limit {
				keys = append(keys, batch...)
				break
			}
			keys = append(keys, batch[:page.Limit]...)
			page.Cursor = batch[page.Limit-1].ID
		}
		return writeKeyTable(stdout, keys, time.Now())
	})
}

// writeKeyTable prints keys as a table for people; times are UTC, RFC 3339.
func writeKeyTable(w io.Writer, keys []orgs.APIKey, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tEXPIRES\tHINT")
	for _, k := range keys {
		name := k.Name
		if name == "" {
			name = "-"
		}
		lastUsed, expires := "never", "never"
		if k.LastUsedAt != nil {
			lastUsed = k.LastUsedAt.Format(time.RFC3339)
		}
		if k.ExpiresAt != nil {
			expires = k.ExpiresAt.Format(time.RFC3339)
			if !now.Before(*k.ExpiresAt) {
				expires += " (expired)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s…%s\n", k.ID, name, k.Role, k.CreatedAt.Format(time.RFC3339), lastUsed, expires, k.Prefix, k.Hint)
	}
	return tw.Flush()
}

func runAPIKeyRevoke(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	const usage = "apikey revoke --org SLUG ID [flags]\n\nRevokes an API key (an id from apikey list); it answers 401 from the next request on, on every instance."
	// The id may stand before or after the flags.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	fs := newFlagSet("apikey revoke", usage, stderr)
	org := fs.String("org", "default", "organization slug")
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	left := fs.Args()
	if id == "" && len(left) > 0 {
		id, left = left[0], left[1:]
	}
	if id == "" || len(left) > 0 {
		return usageError{"usage: statusgate " + strings.SplitN(usage, "\n", 2)[0]}
	}
	keyID, err := uuid.Parse(id)
	if err != nil {
		return usageError{fmt.Sprintf("%q is not an API key id; statusgate apikey list shows them", id)}
	}
	return withOrgs(ctx, cfg, stderr, func(s orgsStore) error {
		o, err := s.OrgBySlug(ctx, *org)
		if err != nil {
			return err
		}
		if err := s.RevokeKey(ctx, o.ID, keyID); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "statusgate: revoked API key %s of %s\n", keyID, o.Slug)
		return nil
	})
}
