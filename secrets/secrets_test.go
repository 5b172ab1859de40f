package secrets

import (
	"errors"
	"path/filepath"
	"regexp"
	"testing"
)

func TestRandomTokenIsAlphanumericOfTheAskedLength(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[A-Za-z0-9]{64}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok := RandomToken(64)
		if !re.MatchString(tok) {
			t.Fatalf("token %q does not match %s", tok, re)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestBoxRoundTripsAndRejectsAnotherKey(t *testing.T) {
	t.Parallel()
	k1, k2 := make([]byte, KeySize), make([]byte, KeySize)
	k2[0] = 1
	b1, _ := NewBox(k1)
	b2, _ := NewBox(k2)
	sealed := b1.Seal([]byte("s3cret"))
	got, err := b1.Open(sealed)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Open = %q, %v; want s3cret", got, err)
	}
	if _, err := b2.Open(sealed); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open with another key: err = %v, want ErrDecrypt", err)
	}
	if _, err := b1.Open("v1:" + sealed[3:len(sealed)-4] + "AAAA"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open of tampered value: err = %v, want ErrDecrypt", err)
	}
}

func TestKeyFileIsCreatedOnceAndReadBack(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v, want created", created, err)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v, want read back", created, err)
	}
	if string(k1) != string(k2) {
		t.Fatal("key changed between loads")
	}
}
