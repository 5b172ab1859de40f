package main

import (
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/dbtest"
)

// inbox is an in-process SMTP server (go-smtp) on loopback that hands every message
// it accepts to got.
func inbox(t *testing.T, got chan<- *mail.Message) string {
	t.Helper()
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{got: got}, nil }))
	s.Domain = "mx.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

type inboxSession struct{ got chan<- *mail.Message }

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *inboxSession) Reset()                               {}
func (s *inboxSession) Logout() error                        { return nil }

func (s *inboxSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	s.got <- msg
	return nil
}

// nextOf waits for the next value on ch; a minute without one fails the test.
func nextOf[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s arrived", what)
		var zero T
		return zero
	}
}

// slackHeader is the header text of a Block Kit body.
func slackHeader(t *testing.T, body []byte) string {
	t.Helper()
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(body, &m); err != nil || len(m.Blocks) == 0 || m.Blocks[0].Type != "header" || m.Text == "" {
		t.Fatalf("not a Block Kit message with a header and text: %v\n%s", err, body)
	}
	return m.Blocks[0].Text.Text
}

func subjectOf(t *testing.T, msg *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	return s
}

// Slack, email and PagerDuty channels through the API: their settings are checked by
// their own Validate, the test endpoint sends a real test, and a status change
// reaches Slack as Block Kit and the mailbox as mail. (PagerDuty's events URL is
// fixed in the wiring, so only its validation is exercised here; notify's tests post
// its events to loopback.)
func TestChatAndEmailChannelsEndToEnd(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			mails := make(chan *mail.Message, 32)
			smtpURL := "smtp://" + inbox(t, mails)
			m, do := startOutbound(t, d, nil, func(cfg *Config) {
				cfg.SMTPURL, cfg.SMTPFrom = smtpURL, "statusgate <alerts@example.com>"
			})

			slackBodies := make(chan []byte, 32)
			slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("slack got %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
				}
				io.WriteString(w, "ok")
				slackBodies <- body
			}))
			t.Cleanup(slack.Close)

			for field, body := range map[string]map[string]any{
				"recipients":  {"name": "mail", "type": "email", "recipients": []string{"not an address"}},
				"routing_key": {"name": "pd", "type": "pagerduty", "routing_key": "too-short"},
				"url":         {"name": "chat", "type": "slack", "url": "hooks.slack.com/no-scheme"},
			} {
				ans := do(http.MethodPost, "/api/v1/channels", body, http.StatusUnprocessableEntity)
				if e, _ := ans["error"].(map[string]any); e["field"] != field {
					t.Fatalf("bad %s answered %v, want 422 naming %s", field, ans, field)
				}
			}
			do(http.MethodPost, "/api/v1/channels", map[string]any{"name": "pd", "type": "pagerduty", "routing_key": "R0ABCDEF0123456789abcdef01234567"}, http.StatusCreated)
			chat := do(http.MethodPost, "/api/v1/channels", map[string]any{"name": "chat", "type": "slack", "url": slack.URL + "/services/T0/B0/x",
				"event_types": []string{"service.status_changed"}}, http.StatusCreated)
			box := do(http.MethodPost, "/api/v1/channels", map[string]any{"name": "mail", "type": "email", "recipients": []string{"Ops <ops@example.com>"},
				"event_types": []string{"service.status_changed"}}, http.StatusCreated)

			res := do(http.MethodPost, "/api/v1/channels/"+chat["id"].(string)+"/test", nil, http.StatusOK)
			if res["succeeded"] != true || res["status_code"] != 200.0 || res["body"] != "ok" {
				t.Fatalf("slack test = %v, want Slack's 200 ok", res)
			}
			if h := slackHeader(t, nextOf(t, slackBodies, "Slack test")); h != "🧪 Test notification from statusgate" {
				t.Fatalf("slack test header %q", h)
			}
			res = do(http.MethodPost, "/api/v1/channels/"+box["id"].(string)+"/test", nil, http.StatusOK)
			if res["succeeded"] != true || res["status_code"] != 0.0 || !strings.HasPrefix(res["body"].(string), "250 ") {
				t.Fatalf("email test = %v, want the server's 250", res)
			}
			if s := subjectOf(t, nextOf(t, mails, "test mail")); s != "[statusgate] 🧪 Test notification from statusgate" {
				t.Fatalf("test mail subject %q", s)
			}

			svc := do(http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout"}, http.StatusCreated)
			recv := do(http.MethodPost, "/api/v1/receivers", map[string]any{"name": "monitor", "service_id": svc["id"]}, http.StatusCreated)
			a := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+recv["token"].(string), "", `{"status": "down", "message": "probe failed"}`)
			if a.Status != http.StatusOK {
				t.Fatalf("push = %d %s", a.Status, a.Body)
			}
			if h := slackHeader(t, nextOf(t, slackBodies, "Slack status change")); h != "🔴 Checkout is down" {
				t.Fatalf("slack header %q, want the status change", h)
			}
			msg := nextOf(t, mails, "status change mail")
			if s := subjectOf(t, msg); s != "[statusgate] 🔴 Checkout is down" {
				t.Fatalf("mail subject %q, want the status change", s)
			}
			if to := msg.Header.Get("To"); to != `"Ops" <ops@example.com>` {
				t.Fatalf("mail To %q", to)
			}
		})
	}
}
