package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigSMTPFromEnvironmentAndFiles(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "smtp-url")
	if err := os.WriteFile(urlFile, []byte("smtp://alice:s3cret@mail.example.com:587\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(env map[string]string) (Config, error) {
		return LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	}
	cfg, err := load(map[string]string{"STATUSGATE_SMTP_URL_FILE": urlFile, "STATUSGATE_SMTP_FROM": "statusgate <alerts@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != "smtp://alice:s3cret@mail.example.com:587" || cfg.Email().From != "statusgate <alerts@example.com>" {
		t.Fatalf("config = %q %q; want the URL from its _FILE and the sender", cfg.SMTPURL, cfg.SMTPFrom)
	}
	if cfg, err := load(nil); err != nil || cfg.SMTPURL != "" {
		t.Fatalf("email is off by default: %q, %v", cfg.SMTPURL, err)
	}
	for _, env := range []map[string]string{
		{"STATUSGATE_SMTP_URL": "smtp://alice:s3cret@mail.example.com"},
		{"STATUSGATE_SMTP_URL": "smtp://alice:s3cret@mail.example.com", "STATUSGATE_SMTP_FROM": "not an address"},
		{"STATUSGATE_SMTP_URL": "imap://alice:s3cret@mail.example.com", "STATUSGATE_SMTP_FROM": "a@example.com"},
	} {
		_, err := load(env)
		if err == nil || !strings.Contains(err.Error(), "SMTP") || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("%v: error %v, want one naming SMTP and not the password", env, err)
		}
	}
}
