package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxAnswerBytes is how much of an endpoint's answer an attempt reads and keeps.
const MaxAnswerBytes = 4 << 10

// AttemptTimeout bounds one attempt, from connect to the last byte read.
const AttemptTimeout = 10 * time.Second

// post makes one HTTP attempt: POST body to url with header, reading at most
// MaxAnswerBytes of the answer. The client decides about redirects (statusgate's never
// follows them, so a 3xx comes back as the attempt's status) and which addresses may
// be dialled. now stamps the attempt.
func post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte, now func() time.Time) Attempt {
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	start := now()
	a := Attempt{At: start}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Error = fmt.Sprintf("building the request: %v", err)
		return a
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "statusgate")
	}
	resp, err := client.Do(req)
	if err != nil {
		a.Duration = now().Sub(start)
		a.Error = err.Error()
		return a
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	a.Duration = now().Sub(start)
	a.StatusCode = resp.StatusCode
	a.Body = strings.ToValidUTF8(string(answer), string(utf8.RuneError))
	if err != nil {
		a.Error = fmt.Sprintf("reading the answer: %v", err)
		return a
	}
	a.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("the endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return a
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date. Zero when absent
// or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
