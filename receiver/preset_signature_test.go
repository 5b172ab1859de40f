package receiver_test

import (
	"net/http"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// A receiver with a preset needs only its secret: the preset supplies the scheme and
// the header its sender signs with.
func TestPresetSuppliesSignatureSchemeAndHeader(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, fixtureOptions{})
		f.createService("production")
		r := f.createReceiver(map[string]any{"name": "GitHub deploys", "preset": "github", "signature": map[string]any{"secret": "It's a Secret"}})
		if r.Signature == nil || r.Signature.Scheme != "hmac-sha256" || r.Signature.Header != "X-Hub-Signature-256" {
			t.Fatalf("signature = %+v, want hmac-sha256 on X-Hub-Signature-256 from the preset", r.Signature)
		}
		body := readTestdata(t, "github-deployment-status.json")
		header := map[string]string{"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "d-1",
			"X-Hub-Signature-256": "sha256=" + signHex("It's a Secret", body)}
		got := expect(t, f.post(r.Token, body, header), http.StatusOK, "ignored", "")
		if str(got.Reason) != "unchanged" {
			t.Fatalf("signed deployment_status success: reason %q, want unchanged (production is operational)", str(got.Reason))
		}
		header["X-Hub-Signature-256"] = "sha256=" + signHex("wrong", body)
		header["X-GitHub-Delivery"] = "d-2"
		expect(t, f.post(r.Token, body, header), http.StatusUnauthorized, "auth_failed", "signature_invalid")

		// An explicit header still wins over the preset's.
		own := f.createReceiver(map[string]any{"name": "proxied", "preset": "github",
			"signature": map[string]any{"secret": "s", "header": "X-Proxy-Signature"}})
		if own.Signature.Header != "X-Proxy-Signature" {
			t.Fatalf("explicit header replaced: %q", own.Signature.Header)
		}
	})
}
