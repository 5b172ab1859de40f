package main

import (
	"strings"
	"testing"
	"time"
)

// --expires-in takes days or a Go duration, at most the API's ten years: past that
// a number of days overflowed a duration and read as a date in the past.
func TestParseExpiresIn(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"90d", 90 * 24 * time.Hour, ""},
		{"720h", 720 * time.Hour, ""},
		{"3650d", 3650 * 24 * time.Hour, ""},
		{"3651d", 0, "more than 3650 days"},
		{"200000000d", 0, "more than 3650 days"},
		{"100000h", 0, "more than 3650 days"},
		{"0d", 0, "not a whole number of days"},
		{"-5h", 0, "not a positive duration"},
	} {
		got, err := parseExpiresIn(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseExpiresIn(%q) = %v, %v; want an error saying %q", c.in, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseExpiresIn(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
