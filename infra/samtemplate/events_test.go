package samtemplate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events in events/ must be what API Gateway would send for a template route.
func TestEvents(t *testing.T) {
	tpl := loadReal(t, nil)
	want := map[string]string{
		"users-register.json": "UsersFunction",
		"users-me.json":       "UsersFunction",
		"create.json":         "CreateFunction",
		"refresh.json":        "RefreshFunction",
		"verify.json":         "VerifyFunction",
		"blacklist.json":      "RefreshFunction",
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("events/%s is missing", name)
		}
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields() // a misspelt field would silently be empty
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("decode into events.APIGatewayV2HTTPRequest: %v", err)
			}
			if ev.Version != "2.0" {
				t.Errorf("version %q, want 2.0", ev.Version)
			}
			rc := ev.RequestContext
			fn, route, ok := tpl.Match(rc.HTTP.Method, ev.RawPath)
			if !ok {
				t.Fatalf("%s %s matches no template route", rc.HTTP.Method, ev.RawPath)
			}
			if wantFn, listed := want[name]; listed && fn.LogicalID != wantFn {
				t.Errorf("served by %s, want %s", fn.LogicalID, wantFn)
			}
			if ev.RouteKey != route.RouteKey() || rc.RouteKey != route.RouteKey() {
				t.Errorf("routeKey %q, requestContext.routeKey %q; want %q", ev.RouteKey, rc.RouteKey, route.RouteKey())
			}
			// The $default stage adds no prefix, and clients call the djoser paths with the slash.
			if rc.Stage != "$default" || rc.HTTP.Path != ev.RawPath || !strings.HasSuffix(ev.RawPath, "/") {
				t.Errorf("stage %q, http.path %q, rawPath %q: want $default, rawPath == http.path, ending in /", rc.Stage, rc.HTTP.Path, ev.RawPath)
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q: HTTP API sends header names lower-cased", k)
				}
			}
			if ev.IsBase64Encoded {
				t.Error("isBase64Encoded: want false for JSON bodies")
			}
			if ev.Body != "" {
				if !json.Valid([]byte(ev.Body)) {
					t.Errorf("body is not JSON: %s", ev.Body)
				}
				if got, want := ev.Headers["content-length"], strconv.Itoa(len(ev.Body)); got != want {
					t.Errorf("content-length %q, body has %s bytes", got, want)
				}
				if ct := ev.Headers["content-type"]; ct != "application/json" {
					t.Errorf("content-type %q, want application/json", ct)
				}
			}
			if rc.HTTP.UserAgent != ev.Headers["user-agent"] || rc.DomainName != ev.Headers["host"] {
				t.Error("requestContext.http.userAgent and domainName must match the user-agent and host headers")
			}
		})
	}
}
