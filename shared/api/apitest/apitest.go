// Package apitest builds function handlers' dependencies for tests (fixed key, injected
// clock), sends them requests directly or as API Gateway events through the Lambda
// adapter, and checks their routes and policies against template.yaml.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
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

// NewClock starts at the current whole second. Not a fixed date: DynamoDB Local runs TTL
// deletion on the wall clock, and would delete items a past clock stamped as expired.
func NewClock() *Clock { return &Clock{now: time.Now().Truncate(time.Second)} }

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

// Event loads events/<file> (an API Gateway HTTP API payload v2 sample) with every key of
// replacements replaced by its value in the file's text, so the REPLACE_WITH_* placeholders
// become real tokens. Values go into JSON strings (the body is a JSON string inside the
// event), so they must need no escaping. A placeholder left over fails the test, and the
// content-length header follows the new body.
func Event(tb testing.TB, file string, replacements map[string]string) events.APIGatewayV2HTTPRequest {
	tb.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(root, "events", file))
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	text := string(data)
	for placeholder, value := range replacements {
		if strings.ContainsAny(value, "\"\\\n") {
			tb.Fatalf("apitest: replacement for %s needs JSON escaping: %q", placeholder, value)
		}
		if !strings.Contains(text, placeholder) {
			tb.Fatalf("apitest: events/%s has no %s", file, placeholder)
		}
		text = strings.ReplaceAll(text, placeholder, value)
	}
	if strings.Contains(text, "REPLACE_WITH_") {
		tb.Fatalf("apitest: events/%s still has a REPLACE_WITH_ placeholder", file)
	}
	var ev events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		tb.Fatalf("apitest: events/%s: %v", file, err)
	}
	if _, ok := ev.Headers["content-length"]; ok {
		ev.Headers["content-length"] = strconv.Itoa(len(ev.Body))
	}
	return ev
}

// Invoke passes ev to h the way the Lambda function does, through
// httpadapter.NewV2(h).ProxyWithContext, and returns the status, headers and body of the
// events.APIGatewayV2HTTPResponse that API Gateway would receive. It fails the test if the
// adapter reports an error (a handler that wrote no status, for one) or base64-encodes the
// body (our bodies are JSON text).
func Invoke(tb testing.TB, h http.Handler, ev events.APIGatewayV2HTTPRequest) Response {
	tb.Helper()
	res, err := httpadapter.NewV2(h).ProxyWithContext(tb.Context(), ev)
	if err != nil {
		tb.Fatalf("apitest: httpadapter: %v", err)
	}
	if res.IsBase64Encoded {
		tb.Errorf("apitest: the adapter base64-encoded the body %q", res.Body)
	}
	header := http.Header{}
	for k, v := range res.Headers {
		header.Set(k, v)
	}
	return Response{Status: res.StatusCode, Header: header, Body: res.Body}
}

// templateFunction loads template.yaml and returns the function logicalID.
func templateFunction(tb testing.TB, logicalID string) (*samtemplate.Template, *samtemplate.Function) {
	tb.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	tmpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	fn, ok := tmpl.Function(logicalID)
	if !ok {
		tb.Fatalf("template.yaml has no function %s", logicalID)
	}
	return tmpl, fn
}

// CheckTemplateRoutes checks that template.yaml routes exactly r's paths to the function
// logicalID, each path once and with method ANY (the function answers 405 itself).
func CheckTemplateRoutes(tb testing.TB, logicalID string, r *api.Router) {
	tb.Helper()
	tmpl, fn := templateFunction(tb, logicalID)
	routed := map[string]bool{}
	for _, p := range r.Paths() {
		routed[p] = true
	}
	declared := map[string]bool{}
	for _, rt := range fn.Routes {
		if rt.Method != "ANY" {
			tb.Errorf("template.yaml: %s routes %s, want ANY %s", logicalID, rt.RouteKey(), rt.Path)
		}
		if declared[rt.Path] {
			tb.Errorf("template.yaml: %s declares %s twice", logicalID, rt.Path)
		}
		declared[rt.Path] = true
		if !routed[rt.Path] {
			tb.Errorf("template.yaml sends %s to %s, whose handler does not route it", rt.Path, logicalID)
		}
	}
	for _, p := range r.Paths() {
		if !declared[p] {
			tb.Errorf("the %s handler routes %s, which template.yaml does not send to it", logicalID, p)
		}
		if other, _, ok := tmpl.Match(http.MethodPost, p); ok && other.LogicalID != logicalID {
			tb.Errorf("template.yaml sends %s to %s, not %s", p, other.LogicalID, logicalID)
		}
	}
}

// CheckTemplatePolicy checks that the function's policies in template.yaml grant exactly
// the DynamoDB actions in actions (a storetest.Counter's Actions after the function's
// journeys): a missing one is AccessDenied on AWS for what works on DynamoDB Local, an
// extra one is privilege the code does not use. So the journeys must exercise every
// operation the function performs. Resources are not compared: every statement covers both
// tables.
func CheckTemplatePolicy(tb testing.TB, logicalID string, actions map[string]int) {
	tb.Helper()
	_, fn := templateFunction(tb, logicalID)
	granted := map[string]bool{}
	for _, p := range fn.Policies {
		switch {
		case p.Name == "AWSSecretsManagerGetSecretValuePolicy":
		case p.Name != "":
			tb.Errorf("template.yaml: %s has policy %s, whose DynamoDB actions this check cannot see; grant DynamoDB actions in an inline Statement", logicalID, p.Name)
		case p.Effect == "Allow":
			for _, a := range p.Actions {
				if strings.HasPrefix(strings.ToLower(a), "dynamodb:") {
					granted[a] = true
				}
			}
		}
	}
	for a := range actions {
		if !strings.HasPrefix(a, "dynamodb:") {
			tb.Fatalf("apitest: %q is not an IAM action: pass storetest.Counter.Actions(), not Calls()", a)
		}
		if !granted[a] {
			tb.Errorf("template.yaml: %s calls DynamoDB needing %s, which its policies do not allow", logicalID, a)
		}
	}
	for a := range granted {
		if actions[a] == 0 {
			tb.Errorf("template.yaml: %s is granted %s, which its journeys never used: remove it, or add the journey that needs it", logicalID, a)
		}
	}
}
