package mapping

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// fixturePresets pairs each fixture with the preset it belongs to, so the
// fuzzer starts from real payloads read the way a receiver reads them.
var fixturePresets = map[string]string{
	"alert24-simple.json":                 PresetAlert24,
	"alert24-nested.json":                 PresetAlert24,
	"alert24-dynamic.json":                PresetAlert24,
	"statuspageone-incident.json":         PresetStatusPageOne,
	"statuspageone-recovery.json":         PresetStatusPageOne,
	"pingara-incident-created.json":       PresetPingara,
	"pingara-incident-resolved.json":      PresetPingara,
	"statussentry-incident-created.json":  PresetStatusSentry,
	"statussentry-multi-component.json":   PresetStatusSentry,
	"github-deployment-status.json":       PresetGitHub,
	"github-ping.json":                    PresetGitHub,
	"uptimera-incident-opened.json":       PresetUptimera,
	"uptimera-incident-acknowledged.json": PresetUptimera,
	"uptimera-incident-resolved.json":     PresetUptimera,
	"statuspage-component-update.json":    PresetStatuspage,
	"statuspage-incident-update.json":     PresetStatuspage,
	"standard-webhooks-example.json":      PresetStandardWebhooks,
	"standard-webhooks-status.json":       PresetStandardWebhooks,
	"statusgate-status-changed.json":      PresetStatusgate,
	"statusgate-incident-created.json":    PresetStatusgate,
}

// wantJSONOK is the documented acceptance rule, written independently of
// checkJSON.
func wantJSONOK(body []byte) bool {
	if !gjson.ValidBytes(body) || !utf8.Valid(body) {
		return false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

func FuzzExtract(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatalf("read testdata: %v", err)
	}
	for _, e := range entries {
		preset, ok := fixturePresets[e.Name()]
		if !ok {
			continue
		}
		body, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatalf("read %s: %v", e.Name(), err)
		}
		f.Add(body, "", "", preset, "")
		f.Add(body, "", "", "", "")
	}
	f.Add([]byte(`{"data":{"attributes":{"current_status":"major"}}}`), "data.attributes.current_status", "", "", "")
	f.Add([]byte(`{"c":[{"s":"ok","n":"a"},{"s":"down","n":"b"}]}`), "c.#.s", "c.#.n", "", "")
	f.Add([]byte(`{"status":["ok",1,true,null,{}]}`), "", "", "", "")
	f.Add([]byte(`{"zen":"x"}`), "", "", PresetGitHub, "ping")
	f.Add([]byte(`"down"`), "", "", "", "")
	f.Add([]byte(`{"status":"down"`), "", "", "", "")
	f.Add([]byte{}, "", "", "", "")

	f.Fuzz(func(t *testing.T, body []byte, statusField, serviceField, preset, ghEvent string) {
		rules := Rules{StatusField: statusField, ServiceNameField: serviceField, Preset: preset}
		if rules.Validate() != nil {
			return
		}
		h := header("X-GitHub-Event", ghEvent, "X-GitHub-Delivery", "d-1", "Webhook-Id", "msg_1")
		got, err := Extract(Input{Body: body, Header: h}, rules)

		if errors.Is(err, ErrInvalidJSON) == wantJSONOK(body) {
			t.Fatalf("Extract(%q) error = %v; want ErrInvalidJSON exactly when the body is not a valid UTF-8 JSON object or array", body, err)
		}
		if err != nil {
			var ue *UnmappedError
			switch {
			case errors.Is(err, ErrInvalidJSON), errors.Is(err, ErrStatusMissing), errors.Is(err, ErrServiceNameMissing):
			case errors.As(err, &ue):
				if ue.Raw == "" {
					t.Fatalf("UnmappedError with an empty Raw for %q", body)
				}
			default:
				t.Fatalf("Extract(%q) error = %#v; want one of the documented errors", body, err)
			}
			if got != (Extraction{}) {
				t.Fatalf("Extract(%q) = %+v with error %v; want a zero Extraction", body, got, err)
			}
			return
		}
		if got.Ignore {
			if got.Status != "" || got.IgnoreReason == "" {
				t.Fatalf("ignored extraction %+v; want no status and a reason", got)
			}
		} else {
			if !got.Status.Valid() || got.RawStatus == "" {
				t.Fatalf("Extract(%q) = %+v, nil; want a valid status and its raw value", body, got)
			}
		}
		if !got.EventTime.IsZero() && got.EventTime.Location() != time.UTC {
			t.Fatalf("EventTime %v is not UTC", got.EventTime)
		}
	})
}

const (
	fuzzSecret   = "fuzz-user:fuzz-pass"
	fuzzSWSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	fuzzNow      = 1614265330
)

// reallySigned is a slow, obvious re-statement of each scheme: the fuzzer may
// only get a nil error when this agrees the request carries a proof made
// with the secret.
func reallySigned(scheme, value, id, ts string, body []byte) bool {
	mac := func(key []byte, msg string) []byte {
		return rawMAC(string(key), msg)
	}
	encodings := func(m []byte) []string {
		return []string{
			hex.EncodeToString(m),
			base64.StdEncoding.EncodeToString(m), base64.RawStdEncoding.EncodeToString(m),
			base64.URLEncoding.EncodeToString(m), base64.RawURLEncoding.EncodeToString(m),
		}
	}
	has := func(v string, m []byte) bool {
		for _, e := range encodings(m) {
			if strings.Contains(strings.ToLower(v), strings.ToLower(e)) {
				return true
			}
		}
		return false
	}
	switch scheme {
	case SchemeHMACSHA256:
		return has(value, mac([]byte(fuzzSecret), string(body)))
	case SchemeHMACSHA256Timestamped:
		for item := range strings.SplitSeq(value, ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(item), "t="); ok && has(value, mac([]byte(fuzzSecret), t+"."+string(body))) {
				return true
			}
		}
		return false
	case SchemeStandardWebhooks:
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(fuzzSWSecret, "whsec_"))
		return strings.Contains(value, base64.StdEncoding.EncodeToString(mac(key, id+"."+ts+"."+string(body))))
	case SchemeSharedSecret:
		return strings.TrimSpace(value) == fuzzSecret
	case SchemeBearer:
		return strings.Contains(value, fuzzSecret)
	case SchemeBasic:
		return strings.Contains(value, base64.StdEncoding.EncodeToString([]byte(fuzzSecret)))
	}
	return false
}

func FuzzVerifySignature(f *testing.F) {
	body := []byte(`{"status":"down"}`)
	good := SignHMACSHA256Hex([]byte(fuzzSecret), body)
	for _, s := range SignatureSchemes() {
		f.Add(s, "", "", "", body)
		f.Add(s, "sha256="+good, "msg_1", "1614265330", body)
		f.Add(s, "t=1614265330,v1="+good, "msg_1", "1614265330", body)
		f.Add(s, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
		f.Add(s, "Bearer x", "", "", body)
		f.Add(s, "Basic Zm9vOmJhcg==", "", "", body)
	}
	f.Fuzz(func(t *testing.T, scheme, value, id, ts string, body []byte) {
		secret := fuzzSecret
		if scheme == SchemeStandardWebhooks {
			secret = fuzzSWSecret
		}
		cfg := SignatureConfig{Scheme: scheme, Secrets: [][]byte{[]byte(secret)}}
		if cfg.Validate() != nil {
			return
		}
		h := header(cfg.HeaderName(), value, "Webhook-Id", id, "Webhook-Timestamp", ts)
		err := VerifySignature(cfg, Input{Body: body, Header: h}, time.Unix(fuzzNow, 0))
		if err == nil {
			if !reallySigned(scheme, value, id, ts, body) {
				t.Fatalf("VerifySignature accepted %s value %q for body %q without a valid proof", scheme, value, body)
			}
			return
		}
		if !errors.Is(err, ErrSignatureInvalid) {
			t.Fatalf("VerifySignature error %v does not match ErrSignatureInvalid", err)
		}
		msg := err.Error()
		if strings.Contains(msg, secret) {
			t.Fatalf("reason %q contains the secret", msg)
		}
		if want := SignHMACSHA256Hex([]byte(secret), body); strings.Contains(strings.ToLower(msg), want) {
			t.Fatalf("reason %q contains the expected signature", msg)
		}
	})
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range []string{
		"t=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a,v0=6ffbb5",
		"v1=77b8b9269f25a199846a55a2bd25b3fba151c70fdae60bb1dcd87fbbc943c55c,t=1700000000",
		"t=Infinity,v1=1234",
		"v1,t=1",
		"t=",
		"",
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v2,abc v1a,xyz",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"JERJt/SMvCcJBgydzcKzqkenj1QEMFeQFcV5+xLe+7Q=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := parseTimestampedHeader(v)
		if h.problem == "" {
			if !isDigits(h.t) || len(h.t) > maxTimestampDigits || h.ts < 0 || !h.anyV1 {
				t.Fatalf("parseTimestampedHeader(%q) = %+v; usable headers need digits t and a v1", v, h)
			}
		}
		for _, sig := range h.sigs {
			if len(sig) != sha256.Size {
				t.Fatalf("parseTimestampedHeader(%q) kept a %d-byte signature", v, len(sig))
			}
		}
		sigs, anyV1 := parseStandardSignatures(v)
		if len(sigs) > 0 && !anyV1 {
			t.Fatalf("parseStandardSignatures(%q) returned signatures without a v1 entry", v)
		}
		for _, sig := range sigs {
			if len(sig) != sha256.Size {
				t.Fatalf("parseStandardSignatures(%q) kept a %d-byte signature", v, len(sig))
			}
		}
		if mac, ok := decodeMAC(v); ok != (len(mac) == sha256.Size) {
			t.Fatalf("decodeMAC(%q) = %d bytes, %v; want ok exactly for 32 bytes", v, len(mac), ok)
		}
	})
}
