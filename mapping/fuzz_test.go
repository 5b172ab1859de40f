package mapping

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// fixturePresets pairs each fixture with the preset it belongs to, so the
// fuzzer starts from real payloads read the way a receiver reads them.
var fixturePresets = map[string]string{
	"alert24-simple.json":                    PresetAlert24,
	"alert24-nested.json":                    PresetAlert24,
	"alert24-dynamic.json":                   PresetAlert24,
	"statuspageone-incident.json":            PresetStatusPageOne,
	"statuspageone-recovery.json":            PresetStatusPageOne,
	"pingara-incident-created.json":          PresetPingara,
	"pingara-incident-resolved.json":         PresetPingara,
	"statussentry-incident-created.json":     PresetStatusSentry,
	"statussentry-multi-component.json":      PresetStatusSentry,
	"github-deployment-status.json":          PresetGitHub,
	"github-ping.json":                       PresetGitHub,
	"uptimera-incident-opened.json":          PresetUptimera,
	"uptimera-incident-acknowledged.json":    PresetUptimera,
	"uptimera-incident-resolved.json":        PresetUptimera,
	"statuspage-component-update.json":       PresetStatuspage,
	"statuspage-incident-update.json":        PresetStatuspage,
	"standard-webhooks-example.json":         PresetStandardWebhooks,
	"standard-webhooks-status.json":          PresetStandardWebhooks,
	"alertmanager-firing.json":               PresetAlertmanager,
	"alertmanager-resolved.json":             PresetAlertmanager,
	"alertmanager-watchdog.json":             PresetAlertmanager,
	"azure-monitor-fired.json":               PresetAzureMonitor,
	"azure-monitor-resolved.json":            PresetAzureMonitor,
	"azure-monitor-verbose.json":             PresetAzureMonitor,
	"betterstack-component-update.json":      PresetBetterStack,
	"betterstack-incident-acknowledged.json": PresetBetterStack,
	"betterstack-incident-resolved.json":     PresetBetterStack,
	"betterstack-incident-started.json":      PresetBetterStack,
	"betterstack-statuspage-incident.json":   PresetBetterStack,
	"cachet-incident-created.json":           PresetCachet,
	"cachet-recovered.json":                  PresetCachet,
	"cachet-status-changed.json":             PresetCachet,
	"datadog-nodata.json":                    PresetDatadog,
	"datadog-recovered.json":                 PresetDatadog,
	"datadog-triggered.json":                 PresetDatadog,
	"gatus-resolved.json":                    PresetGatus,
	"gatus-triggered.json":                   PresetGatus,
	"grafana-firing.json":                    PresetGrafana,
	"grafana-resolved.json":                  PresetGrafana,
	"grafana-test.json":                      PresetGrafana,
	"incident-io-closed.json":                PresetIncidentIO,
	"incident-io-created.json":               PresetIncidentIO,
	"incident-io-triage.json":                PresetIncidentIO,
	"opsgenie-acknowledge.json":              PresetOpsgenie,
	"opsgenie-close.json":                    PresetOpsgenie,
	"opsgenie-create.json":                   PresetOpsgenie,
	"pagerduty-acknowledge.json":             PresetPagerDuty,
	"pagerduty-resolve.json":                 PresetPagerDuty,
	"pagerduty-trigger.json":                 PresetPagerDuty,
	"pagerduty-v3-ping.json":                 PresetPagerDuty,
	"pagerduty-v3-triggered.json":            PresetPagerDuty,
	"pingdom-down.json":                      PresetPingdom,
	"pingdom-transaction-failing.json":       PresetPingdom,
	"pingdom-up.json":                        PresetPingdom,
	"statusgate-incident-opened.json":        PresetStatusgate,
	"statusgate-status-changed.json":         PresetStatusgate,
	"statusgate-test.json":                   PresetStatusgate,
	"updown-events.json":                     PresetUpdown,
	"updown-up.json":                         PresetUpdown,
	"uptime-kuma-down.json":                  PresetUptimeKuma,
	"uptime-kuma-test.json":                  PresetUptimeKuma,
	"uptime-kuma-up.json":                    PresetUptimeKuma,
	"uptimerobot-down.json":                  PresetUptimeRobot,
	"uptimerobot-ssl.json":                   PresetUptimeRobot,
	"uptimerobot-up.json":                    PresetUptimeRobot,
	"statussentry-three-components.json":     PresetStatusSentry,
	"statussentry-resolved.json":             PresetStatusSentry,
	"github-check-run-completed.json":        PresetGitHub,
}

// wantJSONOK is the documented acceptance rule, written independently of
// checkJSON: encoding/json's token stream measures the depth.
func wantJSONOK(body []byte) bool {
	if !gjson.ValidBytes(body) || !utf8.Valid(body) || tokenDepth(body) > MaxNestingDepth {
		return false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// tokenDepth is the deepest nesting of a valid JSON text.
func tokenDepth(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
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
	f.Add([]byte(`{"list":[{"s":"down","n":"a"},{"s":"purple"}]}`), "s", "n", "", "")
	f.Add([]byte(`[{"status":"down"}]`), "header:X-GitHub-Event", "", "", "down")
	f.Add([]byte(``), "query:status", "", "", "")
	f.Add([]byte(` `), "header:X-GitHub-Event", "", "", "maintenance")
	f.Add([]byte(`"down"`), "", "", "", "")
	f.Add([]byte(`{"status":"down"`), "", "", "", "")
	f.Add([]byte{}, "", "", "", "")
	// Nesting at, just past and far past MaxNestingDepth, of every shape.
	for _, depth := range []int{MaxNestingDepth, MaxNestingDepth + 1, 1000} {
		f.Add([]byte(strings.Repeat("[", depth)+strings.Repeat("]", depth)), "", "", "", "")
		f.Add([]byte(`{"status":"down","x":`+strings.Repeat(`{"a":`, depth-1)+"1"+strings.Repeat("}", depth)), "", "", "", "")
		f.Add([]byte(strings.Repeat(`[{"status":`, depth/2)+`"down"`+strings.Repeat("}]", depth/2)), "0.status", "", "", "")
		f.Add([]byte(strings.Repeat("[", depth)), "", "", "", "")
	}
	f.Add([]byte(`{"status":"[[[[\"{{{{","x":[[[]]]}`), "", "", "", "")
	f.Add([]byte(`{"status":"down","status":"operational"}`), "", "", "", "")
	f.Add([]byte(`{"c":[{"s":"ok","s":"down"}]}`), "c.#.s", "", "", "")

	f.Fuzz(func(t *testing.T, body []byte, statusField, serviceField, preset, ghEvent string) {
		rules := Rules{StatusField: statusField, ServiceNameField: serviceField, Preset: preset}
		if rules.Validate() != nil {
			return
		}
		h := header("X-GitHub-Event", ghEvent, "X-GitHub-Delivery", "d-1", "Webhook-Id", "msg_1")
		got, err := Extract(Input{Body: body, Header: h}, rules)
		if errors.Is(err, ErrDuplicateKey) {
			// Valid JSON refused for saying two things at a path it reads
			// (table tests pin which bodies); nothing more to check.
			return
		}

		// A blank body is accepted when the request itself carries the
		// status (a header here; the fuzzer sends no query).
		blankOK := false
		if name, ok := strings.CutPrefix(statusField, "header:"); ok && len(bytes.TrimSpace(body)) == 0 {
			blankOK = strings.TrimSpace(h.Get(name)) != ""
		}
		if errors.Is(err, ErrInvalidJSON) == (wantJSONOK(body) || blankOK) {
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
			// With items, a delivery whose every item failed keeps its
			// Items (so each item's failure can be logged) and nothing else.
			for _, it := range got.Items {
				if it.Err == nil {
					t.Fatalf("Extract(%q) failed with %v but item %+v has no error", body, err, it)
				}
			}
			got.Items = nil
			if !reflect.DeepEqual(got, Extraction{}) {
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
// with the secret. ts is sent in every scheme's timestamp header.
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
	pairs := func(sep string) bool {
		for item := range strings.SplitSeq(value, ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(item), "t="); ok && has(value, mac([]byte(fuzzSecret), t+sep+string(body))) {
				return true
			}
		}
		return false
	}
	secret := []byte(fuzzSecret)
	switch scheme {
	case SchemeHMACSHA256, SchemeGitHub, SchemeShopify, SchemePagerDuty, SchemeUptimera, SchemeHMAC:
		return has(value, mac(secret, string(body)))
	case SchemeHMACSHA256Timestamped, SchemeStripe, SchemeStatusSentry:
		return pairs(".")
	case SchemeSlack:
		return has(value, mac(secret, "v0:"+ts+":"+string(body)))
	case SchemeGrafana:
		return has(value, mac(secret, ts+":"+string(body)))
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
		f.Add(s, "v1="+good+",v1=00", "", "", body)
		f.Add(s, base64.StdEncoding.EncodeToString(rawMAC(fuzzSecret, string(body))), "", "", body)
		f.Add(s, "v0="+hex.EncodeToString(rawMAC(fuzzSecret, "v0:1614265330:"+string(body))), "", "1614265330", body)
		f.Add(s, hex.EncodeToString(rawMAC(fuzzSecret, "1614265330:"+string(body))), "", "1614265330", body)
		f.Add(s, "t=1614265330,v1="+hex.EncodeToString(rawMAC(fuzzSecret, "1614265330."+string(body))), "", "", body)
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
		h := header(cfg.HeaderName(), value, "Webhook-Id", id, "Webhook-Timestamp", ts,
			"X-Slack-Request-Timestamp", ts, "X-Grafana-Alerting-Signature-Timestamp", ts)
		err := VerifySignature(cfg, Input{Body: body, Header: h}, time.Unix(fuzzNow, 0))
		if err == nil {
			if !reallySigned(scheme, value, id, ts, body) {
				t.Fatalf("VerifySignature accepted %s value %q for body %q without a valid proof", scheme, value, body)
			}
			return
		}
		var se *SignatureError
		if !errors.As(err, &se) || !errors.Is(err, ErrSignatureInvalid) {
			t.Fatalf("VerifySignature error %v is not a *SignatureError", err)
		}
		switch se.Kind {
		case SignatureMissing, SignatureMalformed, SignatureExpired, SignatureFuture, SignatureMismatch:
		default:
			t.Fatalf("VerifySignature error %v has kind %q", err, se.Kind)
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
		for _, size := range []int{sha1.Size, sha256.Size, sha512.Size} {
			for _, enc := range []encoding{encHex, encBase64, encAny} {
				h := parsePairs(v, "v1", enc, size)
				if h.problem == "" {
					if !isDigits(h.t) || len(h.t) > maxTimestampDigits || h.ts < 0 || !h.anySig {
						t.Fatalf("parsePairs(%q) = %+v; usable headers need digits t and a v1", v, h)
					}
				}
				for _, sig := range h.sigs {
					if len(sig) != size {
						t.Fatalf("parsePairs(%q, %d) kept a %d-byte signature", v, size, len(sig))
					}
				}
				if mac, ok := decodeMAC(v, enc, size); ok != (len(mac) == size) {
					t.Fatalf("decodeMAC(%q, %d) = %d bytes, %v; want ok exactly for %d bytes", v, size, len(mac), ok, size)
				}
				if enc == encHex {
					if _, ok := decodeMAC(v, enc, size); ok && len(strings.TrimSpace(v)) != 2*size {
						t.Fatalf("decodeMAC(%q) accepted hex of the wrong length", v)
					}
				}
				for _, sig := range listSignatures(v, macSpec{encoding: enc, prefix: "v1="}, size) {
					if len(sig) != size {
						t.Fatalf("listSignatures(%q, %d) kept a %d-byte signature", v, size, len(sig))
					}
				}
			}
		}
		macs, eds, found := versionedSignatures(v, true, true)
		if (len(macs) > 0 || len(eds) > 0) && !found {
			t.Fatalf("versionedSignatures(%q) returned signatures without a v1 or v1a entry", v)
		}
		for _, sig := range macs {
			if len(sig) != sha256.Size {
				t.Fatalf("versionedSignatures(%q) kept a %d-byte MAC", v, len(sig))
			}
		}
		for _, sig := range eds {
			if len(sig) != ed25519.SignatureSize {
				t.Fatalf("versionedSignatures(%q) kept a %d-byte Ed25519 signature", v, len(sig))
			}
		}
	})
}
