package notify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// gotMail is one message the test's SMTP server accepted.
type gotMail struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over TLS (STARTTLS or implicit)
	User string // who authenticated, "" for nobody
}

// mailServer is a real SMTP server (github.com/emersion/go-smtp) on loopback.
type mailServer struct {
	addr string
	mu   sync.Mutex
	got  []gotMail
	// authAttempts counts AUTH commands, so a test can tell credentials never left.
	authAttempts int
	rejectRcpt   string
}

type mailServerOptions struct {
	tls            *tls.Config // offered by STARTTLS, or the whole connection when implicit
	implicitTLS    bool
	insecureAuthOK bool // AUTH allowed without TLS
	rejectRcpt     string
}

func startMailServer(t *testing.T, o mailServerOptions) *mailServer {
	t.Helper()
	ms := &mailServer{rejectRcpt: o.rejectRcpt}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &mailSession{ms: ms, tls: isTLS}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "mx.test"
	s.AllowInsecureAuth = o.insecureAuthOK
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS {
		l = tls.NewListener(l, o.tls)
	} else {
		s.TLSConfig = o.tls
	}
	ms.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return ms
}

func (ms *mailServer) mails() []gotMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]gotMail(nil), ms.got...)
}

func (ms *mailServer) auths() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.authAttempts
}

type mailSession struct {
	ms   *mailServer
	tls  bool
	user string
	from string
	to   []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	s.ms.mu.Lock()
	s.ms.authAttempts++
	s.ms.mu.Unlock()
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alice" || pass != "s3cret" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.user = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.ms.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	s.ms.got = append(s.ms.got, gotMail{From: s.from, To: s.to, Data: b, TLS: s.tls, User: s.user})
	s.ms.mu.Unlock()
	// go-smtp answers DATA with an SMTPError's code and text: a 250 with a queue id,
	// as real servers answer, so the test can check the attempt keeps that line.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued as Q1"}
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// selfSigned is a certificate for 127.0.0.1, and the pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func mustEmail(t *testing.T, cfg EmailConfig) *Email {
	t.Helper()
	e, err := NewEmail(cfg, fixedNow)
	if err != nil {
		t.Fatalf("NewEmail(%q): %v", cfg.URL, err)
	}
	return e
}

var emailTarget = Target{Type: TypeEmail, Name: "ops mail", Recipients: []string{"Ops Team <ops@example.com>", "oncall@example.com"}}

// readMail parses a received message: headers, and the decoded plain and HTML parts.
func readMail(t *testing.T, data []byte) (*mail.Message, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var plain, html string
	for i := 0; ; i++ {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		b, _ := io.ReadAll(p)
		switch ct := p.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			if i != 0 {
				t.Fatalf("the plain part must come first (the last part is the preferred one)")
			}
			plain = string(b)
		case "text/html; charset=utf-8":
			html = string(b)
		default:
			t.Fatalf("part %d has Content-Type %q", i, ct)
		}
	}
	if plain == "" || html == "" {
		t.Fatalf("plain part %q, HTML part %q: want both", plain, html)
	}
	return msg, plain, html
}

func TestEmailArrivesOverSTARTTLSWithBothParts(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{tls: serverTLS})
	e := mustEmail(t, EmailConfig{
		URL:       "smtp://alice:s3cret@" + ms.addr,
		From:      "statusgate <alerts@status.example.com>",
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err := e.Validate(emailTarget); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ev := fixtureEvents()["incident_created"]
	ev.Data.Message = `<script>alert("x")</script> & more`
	a := e.Notify(context.Background(), emailTarget, ev)
	if !a.Succeeded() || a.StatusCode != 0 || a.Error != "" || a.Body != "250 2.0.0 OK: queued as Q1" || !a.At.Equal(fixedNow()) {
		t.Fatalf("attempt = %+v, want a success whose body is the server's last reply", a)
	}
	got := ms.mails()
	if len(got) != 1 {
		t.Fatalf("the server got %d messages, want 1", len(got))
	}
	m := got[0]
	if !m.TLS || m.User != "alice" || m.From != "alerts@status.example.com" ||
		strings.Join(m.To, ",") != "ops@example.com,oncall@example.com" {
		t.Fatalf("received %+v, want it over TLS, as alice, from alerts@ to both recipients", m)
	}
	if bytes.Contains(bytes.ReplaceAll(m.Data, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("the message has a bare LF; RFC 5322 wants CRLF")
	}
	msg, plain, html := readMail(t, m.Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "[statusgate] 🚨 Incident opened: Checkout API is down" {
		t.Fatalf("Subject %q (%v)", subject, err)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(fixedNow()) {
		t.Fatalf("Date %q (%v), want the attempt's time", msg.Header.Get("Date"), err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Ops Team" || to[0].Address != "ops@example.com" || to[1].Address != "oncall@example.com" {
		t.Fatalf("To %q (%v)", msg.Header.Get("To"), err)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Address != "alerts@status.example.com" || from.Name != "statusgate" {
		t.Fatalf("From %q (%v)", msg.Header.Get("From"), err)
	}
	if id := msg.Header.Get("Message-ID"); id != "<"+ev.ID+"@status.example.com>" {
		t.Fatalf("Message-ID %q, want the event id at the sender's domain", id)
	}
	if msg.Header.Get("MIME-Version") != "1.0" || msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("MIME-Version %q Auto-Submitted %q", msg.Header.Get("MIME-Version"), msg.Header.Get("Auto-Submitted"))
	}
	for _, want := range []string{"🚨 Incident opened: Checkout API is down", `<script>alert("x")</script> & more`, "Severity: major", "Status page: https://status.example.com/status/acme"} {
		if !strings.Contains(plain, want) {
			t.Fatalf("plain part lacks %q:\n%s", want, plain)
		}
	}
	for _, want := range []string{"<h2", "Incident opened: Checkout API is down", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more", `<a href="https://status.example.com/status/acme">`, "<th", "major"} {
		if !strings.Contains(html, want) {
			t.Fatalf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Fatalf("the sender's markup reached the HTML part:\n%s", html)
	}
}

func TestEmailOverImplicitTLS(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{tls: serverTLS, implicitTLS: true})
	e := mustEmail(t, EmailConfig{URL: "smtps://alice:s3cret@" + ms.addr, From: "alerts@example.com", TLSConfig: &tls.Config{RootCAs: roots}})
	a := e.Notify(context.Background(), emailTarget, fixtureEvents()["incident_resolved"])
	got := ms.mails()
	if !a.Succeeded() || len(got) != 1 || !got[0].TLS || got[0].User != "alice" {
		t.Fatalf("attempt %+v, received %+v: want one message over TLS as alice", a, got)
	}
	_, plain, _ := readMail(t, got[0].Data)
	if !strings.Contains(plain, "Resolved after 1h 5m.") {
		t.Fatalf("plain part:\n%s", plain)
	}
}

func TestEmailRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	serverTLS, _ := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{tls: serverTLS})
	_, otherRoots := selfSigned(t)
	e := mustEmail(t, EmailConfig{URL: "smtp://alice:s3cret@" + ms.addr, From: "alerts@example.com", TLSConfig: &tls.Config{RootCAs: otherRoots}})
	a := e.Notify(context.Background(), emailTarget, fixtureEvents()["status_changed"])
	if a.Succeeded() || !strings.Contains(a.Error, "STARTTLS") || len(ms.mails()) != 0 || ms.auths() != 0 {
		t.Fatalf("attempt %+v with %d messages, %d AUTH: want a STARTTLS failure and nothing sent", a, len(ms.mails()), ms.auths())
	}
}

func TestEmailWithoutTLS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, creds string
		sent               bool
		authAttempts       int
		errPart            string
	}{
		{"no credentials go in clear", "", "", true, 0, ""},
		{"credentials never go in clear by default", "", "alice:s3cret@", false, 0, "tls=none"},
		{"tls=none sends credentials in clear", "?tls=none", "alice:s3cret@", true, 1, ""},
		{"tls=starttls refuses a server without it", "?tls=starttls", "", false, 0, "does not offer STARTTLS"},
		{"a wrong password is the server's refusal", "?tls=none", "alice:wrong@", false, 1, "535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ms := startMailServer(t, mailServerOptions{insecureAuthOK: true})
			e := mustEmail(t, EmailConfig{URL: "smtp://" + c.creds + ms.addr + c.query, From: "alerts@example.com"})
			a := e.Notify(context.Background(), emailTarget, fixtureEvents()["status_changed"])
			got := ms.mails()
			if a.Succeeded() != c.sent || len(got) != map[bool]int{true: 1, false: 0}[c.sent] || ms.auths() != c.authAttempts || !strings.Contains(a.Error, c.errPart) {
				t.Fatalf("attempt %+v, %d messages, %d AUTH; want sent=%v, %d AUTH, error with %q", a, len(got), ms.auths(), c.sent, c.authAttempts, c.errPart)
			}
			if c.sent && got[0].TLS {
				t.Fatalf("the message went over TLS on a server without it?")
			}
			if c.errPart == "535" && !strings.HasPrefix(a.Body, "535") {
				t.Fatalf("body %q, want the server's 535 reply", a.Body)
			}
		})
	}
}

func TestEmailARefusedRecipientSendsNothing(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t, mailServerOptions{rejectRcpt: "oncall@example.com"})
	e := mustEmail(t, EmailConfig{URL: "smtp://" + ms.addr, From: "alerts@example.com"})
	a := e.Notify(context.Background(), emailTarget, fixtureEvents()["status_changed"])
	if a.Succeeded() || !strings.HasPrefix(a.Body, "550 5.1.1") || !strings.Contains(a.Error, "oncall@example.com") || len(ms.mails()) != 0 {
		t.Fatalf("attempt %+v with %d messages, want a 550 naming the recipient and nothing sent", a, len(ms.mails()))
	}
}

func TestEmailStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	// A server that greets, reads EHLO and never answers it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "220 mx.test ESMTP\r\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil && strings.HasPrefix(line, "EHLO") {
			cancel() // the client now waits for an answer that never comes
		}
		io.Copy(io.Discard, c)
	}()
	e := mustEmail(t, EmailConfig{URL: "smtp://" + l.Addr().String(), From: "alerts@example.com"})
	a := e.Notify(ctx, emailTarget, fixtureEvents()["status_changed"])
	if a.Succeeded() || !strings.Contains(a.Error, "context canceled") {
		t.Fatalf("attempt %+v, want a failure that says the context ended", a)
	}
}

func TestEmailValidate(t *testing.T) {
	t.Parallel()
	off := mustEmail(t, EmailConfig{})
	if code, field := apiFieldOf(off.Validate(emailTarget)); code != "validation_failed" || field != "type" {
		t.Fatalf("without SMTP: code %q field %q, want validation_failed on type", code, field)
	}
	if a := off.Notify(context.Background(), emailTarget, fixtureEvents()["status_changed"]); a.Succeeded() || !strings.Contains(a.Error, "STATUSGATE_SMTP_URL") {
		t.Fatalf("without SMTP: attempt %+v, want a failure naming the setting", a)
	}
	on := mustEmail(t, EmailConfig{URL: "smtp://127.0.0.1:2525", From: "alerts@example.com"})
	for _, rcpts := range [][]string{nil, {"not an address"}, {"a@example.com", "A@example.com"}, make([]string, 51)} {
		if code, field := apiFieldOf(on.Validate(Target{Recipients: rcpts})); code != "validation_failed" || field != "recipients" {
			t.Fatalf("recipients %q: code %q field %q, want validation_failed on recipients", rcpts, code, field)
		}
	}
}

func TestEmailConfigValidate(t *testing.T) {
	t.Parallel()
	bad := map[string]EmailConfig{
		"scheme":         {URL: "http://mail.example.com", From: "a@example.com"},
		"no host":        {URL: "smtp://", From: "a@example.com"},
		"tls on smtps":   {URL: "smtps://mail.example.com?tls=none", From: "a@example.com"},
		"unknown tls":    {URL: "smtp://mail.example.com?tls=maybe", From: "a@example.com"},
		"unknown param":  {URL: "smtp://mail.example.com?from=a@example.com", From: "a@example.com"},
		"no from":        {URL: "smtp://mail.example.com"},
		"from not email": {URL: "smtp://mail.example.com", From: "statusgate"},
	}
	for name, cfg := range bad {
		if err := cfg.Validate(); err == nil {
			t.Fatalf("%s: %+v validated", name, cfg)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("%s: the error shows the password: %v", name, err)
		}
	}
	for _, u := range []string{"", "smtp://mail.example.com", "smtp://u:p@mail.example.com:587?tls=starttls", "smtps://mail.example.com"} {
		if err := (EmailConfig{URL: u, From: "a@example.com"}).Validate(); err != nil {
			t.Fatalf("%q refused: %v", u, err)
		}
	}
	s, _ := EmailConfig{URL: "smtps://mail.example.com", From: "a@example.com"}.parse()
	if s.addr != "mail.example.com:465" || !s.implicitTLS {
		t.Fatalf("smtps default: %+v", s)
	}
	s, _ = EmailConfig{URL: "smtp://mail.example.com", From: "a@example.com"}.parse()
	if s.addr != "mail.example.com:587" || s.tlsMode != smtpTLSAuto || s.tls.ServerName != "mail.example.com" {
		t.Fatalf("smtp default: %+v", s)
	}
}

func TestComposeEmailUsesCRLFOnly(t *testing.T) {
	t.Parallel()
	from := &mail.Address{Name: "statusgate", Address: "alerts@example.com"}
	var to []*mail.Address
	for i := range maxEmailRecipients {
		to = append(to, &mail.Address{Name: fmt.Sprintf("Person Number %d", i), Address: fmt.Sprintf("person.number.%d@example.com", i)})
	}
	for _, ev := range allTypesEvents() {
		ev.Data.Message = "line one\nline two\n" + strings.Repeat("long ", 100)
		if ev.Data.Service != nil {
			ev.Data.Service.Name = strings.Repeat("Zürich ", 40) // a subject of many encoded words
		}
		b, err := composeEmail(from, to, ev, fixedNow())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("%s: bare LF in the message", ev.Type)
		}
		for _, line := range strings.Split(string(b), "\r\n") {
			if len(line) > 998 {
				t.Fatalf("%s: a line of %d octets, RFC 5322 allows 998", ev.Type, len(line))
			}
		}
		msg, _, _ := readMail(t, b)
		if got, err := msg.Header.AddressList("To"); err != nil || len(got) != len(to) {
			t.Fatalf("%s: To parses to %d addresses (%v), want %d", ev.Type, len(got), err, len(to))
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || !strings.HasPrefix(subject, "[statusgate] ") || strings.Contains(subject, "=?") {
			t.Fatalf("%s: Subject decodes to %q (%v)", ev.Type, subject, err)
		}
	}
}
