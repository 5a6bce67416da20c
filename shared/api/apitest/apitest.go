// Package apitest builds function handlers' dependencies for tests (fixed key, injected
// clock) and sends them requests.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/token"
)

// Key is the test signing key.
const Key = "test-signing-key-0123456789abcdef0123456789"

// Clock is a settable clock: expiry tests move it instead of sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at a fixed whole second.
func NewClock() *Clock { return &Clock{now: time.Unix(1796329875, 0)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Deps returns handler dependencies with the reference's lifetimes, the test key, the
// default CORS origins and clock; env overrides configuration variables.
func Deps(tb testing.TB, s *store.Store, clock *Clock, env map[string]string) api.Deps {
	tb.Helper()
	vars := map[string]string{
		"USERS_TABLE": "unused", "BLACKLIST_TABLE": "unused", "SIGNING_KEY": Key,
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := api.LoadConfig(tb.Context(), func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	tokens, err := token.NewIssuer(cfg.TokenOptions(clock.Now))
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	return api.Deps{Config: cfg, Store: s, Tokens: tokens, CORS: api.NewCORS(cfg.AllowedOrigins), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// Response is a recorded answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body into a map (tests read fields by name).
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		tb.Fatalf("apitest: body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// Field returns a string field of the JSON body.
func (r Response) Field(tb testing.TB, name string) string {
	tb.Helper()
	s, _ := r.JSON(tb)[name].(string)
	return s
}

// Do sends a request; headers alternate name and value. A non-empty body without a
// Content-Type header is sent as application/json.
func Do(h http.Handler, method, path, body string, headers ...string) Response {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// Bearer is the Authorization header pair for an access token.
func Bearer(access string) []string { return []string{"Authorization", "Bearer " + access} }
