package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/statusgate/statusgate/apierr"
)

// Email sends events as email over SMTP: one multipart/alternative message per event
// to all of a channel's recipients, with a plain-text and an HTML part that say the
// same as the chat channel types.
//
// The server is the gateway's own (STATUSGATE_SMTP_URL), not a channel's: channels
// name recipients only. Without a server configured, email channels cannot be
// created and Notify fails every attempt with a reason.
type Email struct {
	cfg       *smtpServer // nil when no server is configured
	localName string      // our name in EHLO
	now       func() time.Time
}

var _ Notifier = (*Email)(nil)

// EmailConfig is how statusgate reaches its SMTP server.
type EmailConfig struct {
	// URL is the server:
	//   smtp://[user:pass@]host[:port]   port 587 by default; STARTTLS when the server
	//                                    offers it. Without TLS the message is sent in
	//                                    clear, but credentials never are.
	//   smtp://...?tls=starttls          STARTTLS required: fail rather than send in clear.
	//   smtp://...?tls=none              never STARTTLS; credentials, if any, go in clear
	//                                    (an explicit choice, e.g. a relay on localhost).
	//   smtps://[user:pass@]host[:port]  implicit TLS, port 465 by default.
	// Empty means email is not configured.
	URL string
	// From is the sender, e.g. "statusgate <alerts@example.com>". Required with URL.
	From string
	// TLSConfig verifies the server's certificate. nil uses the system's roots and the
	// URL's host name; tests pass their own RootCAs.
	TLSConfig *tls.Config
}

// TLS modes of an smtp:// URL.
const (
	smtpTLSAuto     = "auto"
	smtpTLSRequired = "starttls"
	smtpTLSNone     = "none"
)

// smtpServer is a parsed EmailConfig.
type smtpServer struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	tlsMode     string
	user, pass  string
	from        *mail.Address
	tls         *tls.Config
}

// Validate checks the configuration; an empty URL is valid (email is off).
func (c EmailConfig) Validate() error {
	_, err := c.parse()
	return err
}

// parse reads the configuration. Its errors name the setting, never the password.
func (c EmailConfig) parse() (*smtpServer, error) {
	if c.URL == "" {
		return nil, nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, errors.New("SMTP URL is not a URL like smtp://user:pass@host:587")
	}
	s := &smtpServer{tlsMode: smtpTLSAuto}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q must be smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return nil, fmt.Errorf("SMTP URL parameter %q is unknown (only tls is)", k)
		}
	}
	if mode := q.Get("tls"); mode != "" {
		if s.implicitTLS {
			return nil, errors.New("SMTP URL: smtps:// is always TLS; tls= applies to smtp:// only")
		}
		switch mode {
		case smtpTLSAuto, smtpTLSRequired, smtpTLSNone:
			s.tlsMode = mode
		default:
			return nil, fmt.Errorf("SMTP URL tls=%q must be auto, starttls or none", mode)
		}
	}
	if c.From == "" {
		return nil, errors.New("SMTP from address is required when an SMTP URL is set")
	}
	if s.from, err = mail.ParseAddress(c.From); err != nil {
		return nil, fmt.Errorf("SMTP from address %q is not an email address", c.From)
	}
	if c.TLSConfig != nil {
		s.tls = c.TLSConfig.Clone()
	} else {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	if s.tls.MinVersion == 0 {
		s.tls.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

// NewEmail returns the email notifier for cfg; an empty cfg.URL gives one that
// refuses email channels. now stamps attempts and dates messages.
func NewEmail(cfg EmailConfig, now func() time.Time) (*Email, error) {
	s, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	name, err := os.Hostname()
	if err != nil || name == "" || strings.ContainsAny(name, " \r\n") {
		name = "localhost"
	}
	return &Email{cfg: s, localName: name, now: now}, nil
}

// Validate checks the recipients, and that the gateway can send email at all.
func (e *Email) Validate(t Target) error {
	if e.cfg == nil {
		return apierr.Invalid("type", "email channels need the gateway's SMTP server: set STATUSGATE_SMTP_URL and STATUSGATE_SMTP_FROM")
	}
	_, err := parseRecipients(t.Recipients)
	return err
}

// maxEmailRecipients bounds one channel's list: beyond it, a mailing list is the
// right tool.
const maxEmailRecipients = 50

// parseRecipients reads and checks a channel's addresses.
func parseRecipients(list []string) ([]*mail.Address, error) {
	if len(list) == 0 {
		return nil, apierr.Invalid("recipients", "recipients must list at least one email address")
	}
	if len(list) > maxEmailRecipients {
		return nil, apierr.Invalid("recipients", "recipients lists at most %d addresses", maxEmailRecipients)
	}
	seen := map[string]bool{}
	out := make([]*mail.Address, 0, len(list))
	for _, r := range list {
		a, err := mail.ParseAddress(r)
		if err != nil {
			return nil, apierr.Invalid("recipients", "recipient %q is not an email address", r)
		}
		key := strings.ToLower(a.Address)
		if seen[key] {
			return nil, apierr.Invalid("recipients", "recipient %q is listed twice", a.Address)
		}
		seen[key] = true
		out = append(out, a)
	}
	return out, nil
}

// Notify sends one event as one message. Body is the server's last reply (the
// queue id of an accepted message, or the refusal).
func (e *Email) Notify(ctx context.Context, t Target, ev Event) Attempt {
	start := e.now()
	a := Attempt{At: start}
	if e.cfg == nil {
		a.Error = "email is not configured: set STATUSGATE_SMTP_URL and STATUSGATE_SMTP_FROM"
		return a
	}
	rcpts, err := parseRecipients(t.Recipients)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	msg, err := composeEmail(e.cfg.from, rcpts, ev, start)
	if err != nil {
		a.Error = fmt.Sprintf("composing the message: %v", err)
		return a
	}
	reply, err := e.send(ctx, rcpts, msg)
	a.Duration = e.now().Sub(start)
	a.Body = reply
	if err != nil {
		a.Error = err.Error()
	}
	return a
}

// send delivers msg in one SMTP session within AttemptTimeout. It returns the
// server's final reply line, whatever the outcome, when there was one.
func (e *Email) send(ctx context.Context, rcpts []*mail.Address, msg []byte) (string, error) {
	s := e.cfg
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return "", fmt.Errorf("connecting to the SMTP server: %w", err)
	}
	// net/smtp knows no context: a deadline on the connection bounds every read and
	// write, and cancellation closes it under the client's feet.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	raw := conn // the TLS wrapper below closes through it too
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if s.implicitTLS {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return "", fmt.Errorf("TLS with the SMTP server: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		if reply := smtpReply(err); reply != "" {
			return reply, fmt.Errorf("SMTP greeting: the server answered %s", reply)
		}
		return "", fmt.Errorf("SMTP greeting: %w", ctxErr(ctx, err))
	}
	defer c.Close()
	step := func(what string, err error) (string, error) {
		if reply := smtpReply(err); reply != "" {
			return reply, fmt.Errorf("%s: the server answered %s", what, reply)
		}
		return "", fmt.Errorf("%s: %w", what, ctxErr(ctx, err))
	}
	if err := c.Hello(e.localName); err != nil {
		return step("EHLO", err)
	}
	secure := s.implicitTLS
	if !s.implicitTLS && s.tlsMode != smtpTLSNone {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tls); err != nil {
				return step("STARTTLS", err)
			}
			secure = true
		} else if s.tlsMode == smtpTLSRequired {
			return "", errors.New("the SMTP server does not offer STARTTLS, which tls=starttls requires")
		}
	}
	if s.user != "" {
		if !secure && s.tlsMode != smtpTLSNone {
			return "", errors.New("the SMTP server offers no TLS; statusgate sends credentials only over TLS (add ?tls=none to the SMTP URL to allow them in clear)")
		}
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return "", errors.New("the SMTP server does not offer AUTH, but the SMTP URL has credentials")
		}
		if err := c.Auth(pickSMTPAuth(mechs, s.user, s.pass)); err != nil {
			return step("AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return step("MAIL FROM", err)
	}
	// One refused recipient fails the attempt before any message is sent: the retry
	// reaches everyone, and the refusal is in the attempt log for the operator.
	for _, r := range rcpts {
		if err := c.Rcpt(r.Address); err != nil {
			return step("RCPT TO <"+r.Address+">", err)
		}
	}
	reply, err := smtpData(c.Text, msg)
	if err != nil {
		return step("DATA", err)
	}
	_ = c.Quit() // the message is accepted; a lost QUIT changes nothing
	return reply, nil
}

// smtpData runs DATA itself rather than through smtp.Client.Data, whose Close drops
// the server's reply: that line (with the queue id) is what the attempt log shows.
func smtpData(text *textproto.Conn, msg []byte) (string, error) {
	id, err := text.Cmd("DATA")
	if err != nil {
		return "", err
	}
	text.StartResponse(id)
	_, _, err = text.ReadResponse(354)
	text.EndResponse(id)
	if err != nil {
		return "", err
	}
	w := text.DotWriter()
	if _, err := w.Write(msg); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	code, line, err := text.ReadResponse(250)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %s", code, line), nil
}

// smtpReply is the server's reply in an SMTP error, "" for other errors.
func smtpReply(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%03d %s", te.Code, te.Msg)
	}
	return ""
}

// ctxErr prefers the context's reason over the closed-connection error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// pickSMTPAuth chooses PLAIN, or LOGIN where a server offers only that.
func pickSMTPAuth(mechs, user, pass string) smtp.Auth {
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		if m == "PLAIN" {
			return plainAuth{user, pass}
		}
	}
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		if m == "LOGIN" {
			return loginAuth{user, pass}
		}
	}
	return plainAuth{user, pass}
}

// plainAuth is SASL PLAIN. net/smtp's PlainAuth would refuse a connection without
// TLS to anything but localhost; send decides that rule itself (tls=none).
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism some servers still offer alone.
type loginAuth struct{ user, pass string }

func (a loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "LOGIN", nil, nil
}

func (a loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", challenge)
}

// emailSubjectMax keeps subjects readable in a list of mail.
const emailSubjectMax = 200

// composeEmail builds the RFC 5322 message: headers, then a multipart/alternative
// body with a plain-text and an HTML part, every line ending in CRLF.
func composeEmail(from *mail.Address, to []*mail.Address, ev Event, date time.Time) ([]byte, error) {
	m := describe(ev)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	plain := m.plainText()
	var html bytes.Buffer
	if err := emailHTML.Execute(&html, m); err != nil {
		return nil, err
	}
	for _, part := range []struct{ typ, text string }{
		{"text/plain; charset=utf-8", plain},
		{"text/html; charset=utf-8", html.String()},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.text)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	addrs := make([]string, len(to))
	for i, a := range to {
		addrs[i] = a.String()
	}
	domain := "statusgate"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	var msg bytes.Buffer
	header := func(k, v string) { msg.WriteString(k + ": " + v + "\r\n") }
	header("Date", date.Format(time.RFC1123Z))
	header("From", from.String())
	// Folded (CRLF + space) between addresses and between encoded words, so no line
	// passes RFC 5322's 998 octets however many recipients or non-ASCII characters.
	header("To", strings.Join(addrs, ",\r\n "))
	subject := mime.QEncoding.Encode("utf-8", truncate("[statusgate] "+m.Emoji+" "+m.Title, emailSubjectMax))
	header("Subject", strings.ReplaceAll(subject, "?= =?", "?=\r\n =?"))
	header("Message-ID", "<"+messageID(ev)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	// RFC 3834: keeps vacation responders from answering an alert.
	header("Auto-Submitted", "auto-generated")
	header("X-Statusgate-Event", ev.Type)
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// messageID is the event id, so a retry after a lost reply carries the same
// Message-ID and mail systems can tell the copies apart; random when the event has
// no id.
func messageID(ev Event) string {
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, ev.ID)
	if id == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	return id
}

// emailHTML is the HTML part: html/template escapes every value, so nothing a sender
// wrote becomes markup.
var emailHTML = htmltemplate.Must(htmltemplate.New("email").Funcs(htmltemplate.FuncMap{
	"when": readableTime,
}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1d1f;margin:0;padding:24px">
<h2 style="margin:0 0 12px">{{.Emoji}} {{.Title}}</h2>
{{if .Text}}<p style="white-space:pre-wrap;margin:0 0 16px">{{.Text}}</p>
{{end}}{{if .Fields}}<table style="border-collapse:collapse;margin:0 0 16px">
{{range .Fields}}<tr><th style="text-align:left;padding:4px 16px 4px 0;color:#555">{{.Name}}</th><td style="padding:4px 0">{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Link}}<p style="margin:0 0 16px"><a href="{{.Link}}">View the status page</a></p>
{{end}}<p style="color:#888;font-size:12px;margin:0">{{when .At}} · {{.Footer}}</p>
</body></html>
`))
