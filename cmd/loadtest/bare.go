package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"
)

// bareServer is the reference: the least an Echo + gjson handler can do for the same
// request — find the token, read the body with a cap, validate it, read the status,
// map the word, answer JSON. No storage, no log, no durability.
type bareServer struct {
	srv *http.Server
	url string
}

var bareVocabulary = map[string]string{
	"operational": "operational", "up": "operational", "ok": "operational",
	"degraded": "degraded", "down": "down", "maintenance": "maintenance",
}

func startBare(tokens []string) (*bareServer, error) {
	known := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		known[t] = true
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/webhooks/incoming/:token", func(c echo.Context) error {
		if !known[c.Param("token")] {
			return c.JSON(http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found"}})
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
		if err != nil || !gjson.ValidBytes(body) {
			return c.JSON(http.StatusBadRequest, map[string]any{"result": "failed"})
		}
		raw := gjson.GetBytes(body, "status").String()
		mapped, ok := bareVocabulary[strings.ToLower(strings.TrimSpace(raw))]
		if !ok {
			return c.JSON(http.StatusUnprocessableEntity, map[string]any{"result": "failed", "raw_status": raw})
		}
		return c.JSON(http.StatusOK, map[string]any{"result": "processed", "raw_status": raw, "mapped_status": mapped})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &bareServer{srv: &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + l.Addr().String()}
	go func() { _ = b.srv.Serve(l) }()
	return b, nil
}

func (b *bareServer) close() { shutdown(b.srv) }

// shutdown stops a server of the load command, giving its requests 5 s to finish.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// sink receives the gateway's outbound webhooks on loopback and counts them.
type sink struct {
	srv      *http.Server
	url      string
	received atomic.Int64
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + l.Addr().String() + "/events"}
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *sink) close() { shutdown(s.srv) }
