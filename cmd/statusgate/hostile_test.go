package main

import (
	"flag"
	"strconv"
	"strings"
	"testing"
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
