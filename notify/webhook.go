package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/statusgate/statusgate/apierr"
)

// SecretPrefix starts every webhook signing secret; the rest is base64 of the key.
const SecretPrefix = "whsec_"

// secretBytes is the length of a generated signing key (192 bits, as Svix's).
const secretBytes = 24

// Webhook delivers events as the bare envelope, signed the Standard Webhooks way.
type Webhook struct {
	client *http.Client
	now    func() time.Time
}

var _ Notifier = (*Webhook)(nil)

// NewWebhook returns the webhook notifier. client should come from NewClient; now
// stamps webhook-timestamp (time.Now when nil).
func NewWebhook(client *http.Client, now func() time.Time) *Webhook {
	if now == nil {
		now = time.Now
	}
	return &Webhook{client: client, now: now}
}

// Validate checks a webhook channel's settings: a URL, header names and values that
// HTTP can carry and that do not overwrite the signature headers, and at least one
// secret.
func (w *Webhook) Validate(t Target) error {
	if t.URL == "" {
		return apierr.Invalid("url", "url is required for a webhook channel")
	}
	for k, v := range t.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") || strings.ContainsAny(v, "\r\n") {
			return apierr.Invalid("headers", "header %q is not a valid HTTP header", k)
		}
		switch strings.ToLower(k) {
		case "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host":
			return apierr.Invalid("headers", "header %q is set by statusgate and cannot be overridden", k)
		}
	}
	if len(t.Secrets) == 0 {
		return apierr.Invalid("secret", "a webhook channel needs a signing secret")
	}
	return nil
}

// Notify posts the envelope once. webhook-id is the event id, the same on every
// retry, so the receiver can drop duplicates; webhook-timestamp and the signatures are
// made fresh for each attempt, so a receiver's replay window holds on late retries.
func (w *Webhook) Notify(ctx context.Context, t Target, ev Event) Attempt {
	body, err := json.Marshal(ev)
	if err != nil {
		return Attempt{At: w.now(), Error: fmt.Sprintf("encoding the event: %v", err)}
	}
	ts := w.now()
	sig, err := Sign(t.Secrets, ev.ID, ts, body)
	if err != nil {
		return Attempt{At: ts, Error: err.Error()}
	}
	h := http.Header{}
	for k, v := range t.Headers {
		h.Set(k, v)
	}
	h.Set("webhook-id", ev.ID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return post(ctx, w.client, t.URL, h, body, w.now)
}

// Sign returns the webhook-signature header value for one message: "v1,<base64>" per
// secret, space-separated, the HMAC-SHA256 with the secret's decoded key of
// "<id>.<unix timestamp>.<body>".
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if strings.Contains(id, ".") {
		// The signed string joins the parts with dots; an id with one would be ambiguous.
		return "", fmt.Errorf("webhook id %q contains a dot", id)
	}
	msg := make([]byte, 0, len(id)+len(body)+24)
	msg = append(msg, id...)
	msg = append(msg, '.')
	msg = strconv.AppendInt(msg, ts.Unix(), 10)
	msg = append(msg, '.')
	msg = append(msg, body...)
	parts := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(msg)
		parts = append(parts, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(parts, " "), nil
}

// NewSecret returns a fresh signing secret.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// NormalizeSecret checks an operator's secret and returns it in the canonical padded
// form. The part after whsec_ is base64, padded or not (the official libraries
// disagree on padding, so both are accepted), of 16 to 64 bytes.
func NormalizeSecret(s string) (string, error) {
	key, err := decodeSecret(strings.TrimSpace(s))
	if err != nil {
		return "", apierr.Invalid("secret", "%v", err)
	}
	if len(key) < 16 || len(key) > 64 {
		return "", apierr.Invalid("secret", "secret must encode 16 to 64 bytes, not %d", len(key))
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

func decodeSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok || rest == "" {
		return nil, fmt.Errorf("secret must be %s followed by base64", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("secret must be %s followed by base64", SecretPrefix)
	}
	return key, nil
}
