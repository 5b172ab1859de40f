package receiver_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9]{64}$`)

// validationField returns error.field of a 422 validation_failed answer.
func validationField(t *testing.T, a apitest.Answer) string {
	t.Helper()
	if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
		t.Fatalf("answer %d %s, want 422 validation_failed", a.Status, a.Body)
	}
	var body struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	a.JSON(t, &body)
	return body.Error.Field
}

// TestReceiversAPI: the admin API of receivers, as an operator uses it.
func TestReceiversAPI(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc := f.createService("Pushmail Email Delivery")
		const secret = "s3cret-value"

		a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", map[string]any{
			"name": "Pushmail status", "service_id": svc.ID,
			"status_field": "data.attributes.current_status", "message_field": "data.attributes.description",
			"status_mapping": map[string]string{"green": "operational", "Amber": "degraded"},
			"signature":      map[string]any{"scheme": "hmac-sha256", "secret": secret},
			"auto_incidents": map[string]any{"enabled": true, "severity": "major"},
		})
		if a.Status != http.StatusCreated {
			t.Fatalf("create: %d %s, want 201", a.Status, a.Body)
		}
		var created createdReceiver
		a.JSON(t, &created)

		t.Run("create answers id, token, absolute url and the secret", func(t *testing.T) {
			if created.ID.String() == "00000000-0000-0000-0000-000000000000" {
				t.Fatalf("create answer has no id: %s", a.Body)
			}
			if !tokenRE.MatchString(created.Token) {
				t.Fatalf("token %q, want 64 characters of [A-Za-z0-9]", created.Token)
			}
			if want := publicURL + "/api/webhooks/incoming/" + created.Token; created.URL != want {
				t.Fatalf("url = %q, want %q", created.URL, want)
			}
			if created.Signature == nil || len(created.Signature.Secrets) != 1 || created.Signature.Secrets[0] != secret ||
				created.Signature.Scheme != "hmac-sha256" || created.Signature.Header != "X-Webhook-Signature" {
				t.Fatalf("signature = %+v, want hmac-sha256 on X-Webhook-Signature with the secret shown", created.Signature)
			}
			if created.TokenHint != created.Token[60:] {
				t.Fatalf("token_hint = %q, want the token's last 4 %q", created.TokenHint, created.Token[60:])
			}
			other := f.createReceiver(map[string]any{"name": "second", "service_id": svc.ID})
			if other.Token == created.Token {
				t.Fatalf("two receivers got the same token")
			}
		})

		t.Run("later reads show token_hint and no token, url or secret", func(t *testing.T) {
			for _, path := range []string{"/api/v1/receivers/" + created.ID.String(), "/api/v1/receivers"} {
				got := f.srv.Admin(http.MethodGet, path, nil)
				if got.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, got.Status, got.Body)
				}
				text := string(got.Body)
				if strings.Contains(text, created.Token) || strings.Contains(text, secret) || strings.Contains(text, `"url"`) ||
					strings.Contains(text, `"token"`) || strings.Contains(text, `"secrets"`) {
					t.Fatalf("GET %s reveals the token, url or secret: %s", path, text)
				}
				if !strings.Contains(text, `"token_hint":"`+created.Token[60:]+`"`) {
					t.Fatalf("GET %s has no token_hint %q: %s", path, created.Token[60:], text)
				}
			}
			var one map[string]any
			f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+created.ID.String(), nil).JSON(t, &one)
			words, _ := one["status_mapping"].(map[string]any)
			if one["name"] != "Pushmail status" || one["status_field"] != "data.attributes.current_status" || words["amber"] != "degraded" || one["enabled"] != true {
				t.Fatalf("GET answer = %v, want the settings as created (mapping keys lower-cased)", one)
			}
			var list struct {
				Receivers  []map[string]any `json:"receivers"`
				NextCursor *string          `json:"next_cursor"`
			}
			f.srv.Admin(http.MethodGet, "/api/v1/receivers", nil).JSON(t, &list)
			if len(list.Receivers) != 2 || list.NextCursor != nil {
				t.Fatalf("list = %d receivers, cursor %v; want 2 and null", len(list.Receivers), list.NextCursor)
			}
		})

		t.Run("rotate-token gives a working token and retires the old one", func(t *testing.T) {
			body := []byte(`{"data":{"attributes":{"current_status":"amber"}}}`)
			sig := map[string]string{"X-Webhook-Signature": signHex(secret, body)}
			expect(t, f.post(created.Token, body, sig), http.StatusOK, "processed", "")
			a := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+created.ID.String()+"/rotate-token", nil)
			if a.Status != http.StatusOK {
				t.Fatalf("rotate-token: %d %s", a.Status, a.Body)
			}
			var rotated createdReceiver
			a.JSON(t, &rotated)
			if !tokenRE.MatchString(rotated.Token) || rotated.Token == created.Token || rotated.URL != publicURL+"/api/webhooks/incoming/"+rotated.Token {
				t.Fatalf("rotated token/url = %q/%q, want a new 64-character token and its url", rotated.Token, rotated.URL)
			}
			expectNotFound(t, f.post(created.Token, body, sig))
			expect(t, f.post(rotated.Token, body, sig), http.StatusOK, "ignored", "")
			created.Token = rotated.Token
		})

		t.Run("patch stamps updated_at from the gateway clock", func(t *testing.T) {
			f.clock.Advance(90 * time.Second)
			want := f.clock.Peek()
			path := "/api/v1/receivers/" + created.ID.String()
			a := f.srv.Admin(http.MethodPatch, path, map[string]any{"name": "Pushmail status"})
			var got struct {
				CreatedAt time.Time `json:"created_at"`
				UpdatedAt time.Time `json:"updated_at"`
			}
			a.JSON(t, &got)
			if a.Status != http.StatusOK || !got.UpdatedAt.Equal(want) || !got.CreatedAt.Equal(clockStart) {
				t.Fatalf("patch answer %d created_at/updated_at = %s/%s, want %s/%s", a.Status, got.CreatedAt, got.UpdatedAt, clockStart, want)
			}
			f.srv.Admin(http.MethodGet, path, nil).JSON(t, &got)
			if !got.UpdatedAt.Equal(want) {
				t.Fatalf("GET after patch: updated_at = %s, want %s", got.UpdatedAt, want)
			}
		})

		t.Run("validation errors name the field", func(t *testing.T) {
			other, otherKey := otherOrg(t, f)
			otherSvc := apitest.Do(t, http.MethodPost, f.srv.URL+"/api/v1/services", otherKey, map[string]any{"name": "Theirs"})
			if otherSvc.Status != http.StatusCreated {
				t.Fatalf("other org service: %d %s", otherSvc.Status, otherSvc.Body)
			}
			var theirs struct {
				ID string `json:"id"`
			}
			otherSvc.JSON(t, &theirs)
			_ = other
			cases := []struct {
				name  string
				body  map[string]any
				field string
			}{
				{"both service_id and service_name_field", map[string]any{"name": "x", "service_id": svc.ID, "service_name_field": "svc"}, "service_id|service_name_field"},
				{"neither service_id nor service_name_field", map[string]any{"name": "x"}, "service_id"},
				{"status_mapping value not a status", map[string]any{"name": "x", "service_id": svc.ID, "status_mapping": map[string]string{"green": "purple"}}, "status_mapping.green"},
				{"unknown preset", map[string]any{"name": "x", "service_id": svc.ID, "preset": "nosuchsender"}, "preset"},
				{"bad signature scheme", map[string]any{"name": "x", "service_id": svc.ID, "signature": map[string]any{"scheme": "md5", "secret": "x"}}, "signature.scheme"},
				{"signature without secret", map[string]any{"name": "x", "service_id": svc.ID, "signature": map[string]any{"scheme": "hmac-sha256"}}, "signature.secret"},
				{"service of another organization", map[string]any{"name": "x", "service_id": theirs.ID}, "service_id"},
				{"missing name", map[string]any{"service_id": svc.ID}, "name"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", c.body)
					if got := validationField(t, a); got == "" || !slices.Contains(strings.Split(c.field, "|"), got) {
						t.Fatalf("error.field = %q, want %q: %s", got, c.field, a.Body)
					}
				})
			}
		})

		t.Run("patch changes the mapping, removes the signature, disables", func(t *testing.T) {
			path := "/api/v1/receivers/" + created.ID.String()
			body := []byte(`{"data":{"attributes":{"current_status":"purple"}}}`)
			sig := map[string]string{"X-Webhook-Signature": signHex(secret, body)}
			expect(t, f.post(created.Token, body, sig), http.StatusUnprocessableEntity, "failed", "status_unmapped")

			a := f.srv.Admin(http.MethodPatch, path, map[string]any{"status_mapping": map[string]string{"green": "operational", "purple": "down"}})
			if a.Status != http.StatusOK {
				t.Fatalf("patch mapping: %d %s", a.Status, a.Body)
			}
			ans := expect(t, f.post(created.Token, body, sig), http.StatusOK, "processed", "")
			if str(ans.NewStatus) != "down" {
				t.Fatalf("after patch, purple -> %s, want down", str(ans.NewStatus))
			}
			if a := f.srv.Admin(http.MethodPatch, path, map[string]any{"status_mapping": map[string]string{"purple": "lilac"}}); validationField(t, a) != "status_mapping.purple" {
				t.Fatalf("patch with a bad mapping: %s, want field status_mapping.purple", a.Body)
			}

			expect(t, f.post(created.Token, []byte(`{"data":{"attributes":{"current_status":"green"}}}`), nil), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			a = f.srv.Admin(http.MethodPatch, path, `{"signature": null}`)
			var got map[string]any
			a.JSON(t, &got)
			if a.Status != http.StatusOK || got["signature"] != nil {
				t.Fatalf("patch signature null: %d %s, want 200 and signature null", a.Status, a.Body)
			}
			expect(t, f.post(created.Token, []byte(`{"data":{"attributes":{"current_status":"green"}}}`), nil), http.StatusOK, "processed", "")

			a = f.srv.Admin(http.MethodPatch, path, map[string]any{"enabled": false})
			if a.Status != http.StatusOK {
				t.Fatalf("disable: %d %s", a.Status, a.Body)
			}
			expectNotFound(t, f.post(created.Token, []byte(`{"data":{"attributes":{"current_status":"green"}}}`), nil))
		})

		t.Run("another organization's key sees 404 on every route", func(t *testing.T) {
			_, otherKey := otherOrg(t, f)
			id := created.ID.String()
			for _, rt := range []struct{ method, path string }{
				{http.MethodGet, "/api/v1/receivers/" + id},
				{http.MethodPatch, "/api/v1/receivers/" + id},
				{http.MethodDelete, "/api/v1/receivers/" + id},
				{http.MethodPost, "/api/v1/receivers/" + id + "/rotate-token"},
				{http.MethodGet, "/api/v1/receivers/" + id + "/deliveries"},
				{http.MethodPost, "/api/v1/receivers/" + id + "/test"},
			} {
				var body any
				if rt.method == http.MethodPatch {
					body = map[string]any{"name": "taken over"}
				}
				if strings.HasSuffix(rt.path, "/test") {
					body = `{"status":"down"}`
				}
				a := apitest.Do(t, rt.method, f.srv.URL+rt.path, otherKey, body)
				if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
					t.Fatalf("%s %s with another org's key: %d %s, want 404 not_found", rt.method, rt.path, a.Status, a.Body)
				}
			}
			var list struct {
				Receivers []json.RawMessage `json:"receivers"`
			}
			apitest.Do(t, http.MethodGet, f.srv.URL+"/api/v1/receivers", otherKey, nil).JSON(t, &list)
			if len(list.Receivers) != 0 {
				t.Fatalf("other org lists %d receivers, want 0", len(list.Receivers))
			}
			if a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+id, nil); a.Status != http.StatusOK || !strings.Contains(string(a.Body), `"Pushmail status"`) {
				t.Fatalf("receiver changed by another org: %d %s", a.Status, a.Body)
			}
		})

		t.Run("viewer key is forbidden to write", func(t *testing.T) {
			id := created.ID.String()
			for _, rt := range []struct {
				method, path string
				body         any
			}{
				{http.MethodPost, "/api/v1/receivers", map[string]any{"name": "v", "service_id": svc.ID}},
				{http.MethodPatch, "/api/v1/receivers/" + id, map[string]any{"name": "v"}},
				{http.MethodDelete, "/api/v1/receivers/" + id, nil},
				{http.MethodPost, "/api/v1/receivers/" + id + "/rotate-token", nil},
			} {
				a := f.srv.Do(rt.method, rt.path, f.srv.ViewerKey, rt.body)
				if a.Status != http.StatusForbidden || a.ErrorCode(t) != "forbidden" {
					t.Fatalf("%s %s as viewer: %d %s, want 403 forbidden", rt.method, rt.path, a.Status, a.Body)
				}
			}
			for _, path := range []string{"/api/v1/receivers", "/api/v1/receivers/" + id, "/api/v1/receivers/" + id + "/deliveries"} {
				if a := f.srv.Do(http.MethodGet, path, f.srv.ViewerKey, nil); a.Status != http.StatusOK {
					t.Fatalf("GET %s as viewer: %d %s, want 200", path, a.Status, a.Body)
				}
			}
		})

		t.Run("a service with receivers cannot be deleted", func(t *testing.T) {
			a := f.srv.Admin(http.MethodDelete, "/api/v1/services/"+svc.ID.String(), nil)
			if a.Status != http.StatusConflict || a.ErrorCode(t) != "conflict" {
				t.Fatalf("delete targeted service: %d %s, want 409 conflict", a.Status, a.Body)
			}
		})

		t.Run("delete removes the receiver and its log", func(t *testing.T) {
			var list struct {
				Receivers []struct {
					ID string `json:"id"`
				} `json:"receivers"`
			}
			f.srv.Admin(http.MethodGet, "/api/v1/receivers", nil).JSON(t, &list)
			for _, r := range list.Receivers {
				if a := f.srv.Admin(http.MethodDelete, "/api/v1/receivers/"+r.ID, nil); a.Status != http.StatusNoContent {
					t.Fatalf("delete receiver: %d %s, want 204", a.Status, a.Body)
				}
			}
			expectNotFound(t, f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+created.ID.String(), nil))
			expectNotFound(t, f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+created.ID.String()+"/deliveries", nil))
			expectNotFound(t, f.srv.Admin(http.MethodDelete, "/api/v1/receivers/"+created.ID.String(), nil))
			if a := f.srv.Admin(http.MethodDelete, "/api/v1/services/"+svc.ID.String(), nil); a.Status != http.StatusNoContent {
				t.Fatalf("delete service without receivers: %d %s, want 204", a.Status, a.Body)
			}
		})

		t.Run("malformed id answers 404", func(t *testing.T) {
			a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/not-a-uuid", nil)
			if a.Status != http.StatusNotFound {
				t.Fatalf("GET malformed id: %d %s, want 404", a.Status, a.Body)
			}
		})
	})
}

// otherOrg creates (once per call) a second organization and returns its slug and
// admin key.
func otherOrg(t *testing.T, f *fixture) (string, string) {
	t.Helper()
	slug := "other-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	slug = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(slug, "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	org, key, err := f.srv.Orgs.CreateOrg(ctx(), slug, "Other")
	if err != nil {
		t.Fatalf("creating another organization: %v", err)
	}
	return org.Slug, key
}
