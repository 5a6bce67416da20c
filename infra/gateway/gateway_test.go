package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/rie"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// fakeFunction records the events it gets and answers with respond.
type fakeFunction struct {
	mu      sync.Mutex
	events  [][]byte
	respond func() (rie.Result, error)
}

func (f *fakeFunction) Invoke(_ context.Context, payload []byte) (rie.Result, error) {
	f.mu.Lock()
	f.events = append(f.events, payload)
	respond := f.respond
	f.mu.Unlock()
	if respond == nil {
		return rie.Result{Payload: []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{}"}`)}, nil
	}
	return respond()
}

func (f *fakeFunction) last(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the function was not invoked")
	}
	var ev map[string]any
	if err := json.Unmarshal(f.events[len(f.events)-1], &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func (f *fakeFunction) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// sampleAPIID is the API the samples in events/ were captured from.
const sampleAPIID = "a1b2c3d4e5"

// serve starts the gateway over the real template.yaml with a fake per function.
func serve(t *testing.T, observe func(Entry)) (*httptest.Server, map[string]*fakeFunction) {
	t.Helper()
	tpl, err := samtemplate.Load("../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	fakes := map[string]*fakeFunction{}
	invokers := map[string]Invoker{}
	for _, fn := range tpl.Functions {
		fakes[fn.LogicalID] = &fakeFunction{}
		invokers[fn.LogicalID] = fakes[fn.LogicalID]
	}
	g, err := New(Options{Template: tpl, Functions: invokers, APIID: sampleAPIID, Observe: observe})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, fakes
}

// client sends requests exactly as built: no added Accept-Encoding.
var client = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// Headers API Gateway adds to every event; a client does not send them.
var added = []string{"x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}

// The gateway's event for each events/*.json request equals the sample, field by field,
// except what differs per request (ids, times, the client's address) or per connection
// (the port and scheme the gateway listens on), which is checked for form instead.
func TestEventMatchesSamples(t *testing.T) {
	srv, fakes := serve(t, nil)
	srvURL, _ := url.Parse(srv.URL)
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in events/: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sample event
			if err := json.Unmarshal(data, &sample); err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}

			// Replay the client's request the sample came from.
			body := []byte(sample.Body)
			if sample.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(sample.Body); err != nil {
					t.Fatal(err)
				}
			}
			target := srv.URL + sample.RawPath
			if sample.RawQueryString != "" {
				target += "?" + sample.RawQueryString
			}
			req, err := http.NewRequest(sample.RequestContext.HTTP.Method, target, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range sample.Headers {
				switch {
				case name == "host":
					req.Host = v
				case name == "content-length", slices.Contains(added, name):
				default:
					req.Header.Set(name, v)
				}
			}
			if len(sample.Cookies) > 0 {
				req.Header.Set("Cookie", strings.Join(sample.Cookies, "; "))
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()

			fn, _, _ := mustTemplate(t).Match(sample.RequestContext.HTTP.Method, sample.RawPath)
			got := fakes[fn.LogicalID].last(t)

			// Per-request and per-connection fields: right form, then out of the comparison.
			rc := got["requestContext"].(map[string]any)
			headers := got["headers"].(map[string]any)
			checkForm(t, "requestContext.requestId", rc["requestId"], `^[A-Za-z0-9+/]{15}=$`)
			checkForm(t, "requestContext.http.sourceIp", rc["http"].(map[string]any)["sourceIp"], `^127\.0\.0\.1$`)
			checkForm(t, "headers.x-amzn-trace-id", headers["x-amzn-trace-id"], `^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)
			checkForm(t, "headers.x-forwarded-for", headers["x-forwarded-for"], `^127\.0\.0\.1$`)
			checkForm(t, "headers.x-forwarded-port", headers["x-forwarded-port"], "^"+srvURL.Port()+"$")
			checkForm(t, "headers.x-forwarded-proto", headers["x-forwarded-proto"], `^http$`)
			if ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc["time"].(string)); err != nil || time.Since(ts) > time.Minute {
				t.Errorf("requestContext.time %q: want now, as 02/Jan/2006:15:04:05 -0700", rc["time"])
			}
			if ms := int64(rc["timeEpoch"].(float64)); time.Since(time.UnixMilli(ms)) > time.Minute {
				t.Errorf("requestContext.timeEpoch %d: want now in milliseconds", ms)
			}
			for _, ev := range []map[string]any{got, want} {
				rc := ev["requestContext"].(map[string]any)
				delete(rc, "requestId")
				delete(rc, "time")
				delete(rc, "timeEpoch")
				delete(rc["http"].(map[string]any), "sourceIp")
				for _, h := range added {
					delete(ev["headers"].(map[string]any), h)
				}
			}
			for _, d := range diff("", got, want) {
				t.Error(d)
			}
		})
	}
}

func mustTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, err := samtemplate.Load("../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func checkForm(t *testing.T, field string, v any, pattern string) {
	t.Helper()
	s, _ := v.(string)
	if !regexp.MustCompile(pattern).MatchString(s) {
		t.Errorf("%s = %v, want %s", field, v, pattern)
	}
}

// diff lists the paths where got and want differ.
func diff(path string, got, want any) []string {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if !gok || !wok {
		if !reflect.DeepEqual(got, want) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got, want)}
		}
		return nil
	}
	keys := map[string]bool{}
	for k := range gm {
		keys[k] = true
	}
	for k := range wm {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		g, inG := gm[k]
		w, inW := wm[k]
		switch {
		case !inG:
			out = append(out, fmt.Sprintf("%s.%s: missing, want %#v", path, k, w))
		case !inW:
			out = append(out, fmt.Sprintf("%s.%s: got %#v, want no such field", path, k, g))
		default:
			out = append(out, diff(path+"."+k, g, w)...)
		}
	}
	return out
}

// The parts of an event the samples do not show.
func TestEventDetails(t *testing.T) {
	srv, fakes := serve(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/auth/jwt/create/?a=1&b=x%20y&a=2", strings.NewReader("email=a%40b.c&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Add("Accept", "application/json")
	req.Header.Add("Accept", "text/plain")
	req.Header.Add("Cookie", "a=1; b=2")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ev := fakes["CreateFunction"].last(t)
	headers := ev["headers"].(map[string]any)

	checks := []struct {
		field     string
		got, want any
	}{
		{"rawPath", ev["rawPath"], "/auth/jwt/create/"},
		{"routeKey", ev["routeKey"], "ANY /auth/jwt/create"},
		{"rawQueryString", ev["rawQueryString"], "a=1&b=x%20y&a=2"},
		{"queryStringParameters", ev["queryStringParameters"], map[string]any{"a": "1,2", "b": "x y"}},
		{"cookies", ev["cookies"], []any{"a=1", "b=2"}},
		{"headers.cookie", headers["cookie"], nil},
		{"headers.accept", headers["accept"], "application/json,text/plain"},
		{"headers.x-forwarded-for", headers["x-forwarded-for"], "198.51.100.7, 127.0.0.1"},
		{"isBase64Encoded", ev["isBase64Encoded"], true},
		{"body", ev["body"], base64.StdEncoding.EncodeToString([]byte("email=a%40b.c&password=x"))},
		{"requestContext.domainName", ev["requestContext"].(map[string]any)["domainName"], "127.0.0.1"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
}

func TestTextualContentTypes(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON":                  true,
		"text/plain":                        true,
		"application/xml":                   true,
		"application/javascript":            true,
		"":                                  false,
		"application/x-www-form-urlencoded": false,
		"multipart/form-data; boundary=x":   false,
		"application/octet-stream":          false,
	} {
		if got := textual(ct); got != want {
			t.Errorf("textual(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestRouting(t *testing.T) {
	var mu sync.Mutex
	var entries []Entry
	srv, fakes := serve(t, func(e Entry) { mu.Lock(); entries = append(entries, e); mu.Unlock() })

	t.Run("both slashes, every method, OPTIONS included", func(t *testing.T) {
		for _, tc := range []struct{ method, path, fn string }{
			{http.MethodPost, "/auth/jwt/create", "CreateFunction"},
			{http.MethodPost, "/auth/jwt/create/", "CreateFunction"},
			{http.MethodGet, "/auth/users/me/", "UsersFunction"},
			{http.MethodOptions, "/auth/jwt/refresh/", "RefreshFunction"},
			{http.MethodPost, "/auth/jwt/blacklist/", "RefreshFunction"},
			{http.MethodDelete, "/auth/jwt/verify/", "VerifyFunction"},
		} {
			before := fakes[tc.fn].count()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || fakes[tc.fn].count() != before+1 {
				t.Errorf("%s %s: %d, want 200 from %s", tc.method, tc.path, resp.StatusCode, tc.fn)
				continue
			}
			ev := fakes[tc.fn].last(t)
			if ev["rawPath"] != tc.path || ev["requestContext"].(map[string]any)["http"].(map[string]any)["method"] != tc.method {
				t.Errorf("%s %s: event has rawPath %v", tc.method, tc.path, ev["rawPath"])
			}
		}
	})

	t.Run("unknown routes get API Gateway's 404", func(t *testing.T) {
		total := 0
		for _, f := range fakes {
			total += f.count()
		}
		for _, path := range []string{"/", "/auth/jwt/createXYZ", "/auth/jwt/create//", "/auth/users/1/", "/auth/users/me/x"} {
			status, ct, body := get(t, srv.URL+path)
			if status != http.StatusNotFound || ct != "application/json" || body != `{"message":"Not Found"}` {
				t.Errorf("GET %s: %d %s %s", path, status, ct, body)
			}
		}
		after := 0
		for _, f := range fakes {
			after += f.count()
		}
		if after != total {
			t.Error("an unrouted request invoked a function")
		}
	})

	mu.Lock()
	defer mu.Unlock()
	if len(entries) == 0 || entries[0].Function != "CreateFunction" || entries[0].Status != 200 || entries[len(entries)-1].Status != 404 {
		t.Errorf("observed entries %+v", entries)
	}
}

func get(t *testing.T, target string) (int, string, string) {
	t.Helper()
	resp, err := client.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestResponses(t *testing.T) {
	srv, fakes := serve(t, nil)
	payload := func(s string) func() (rie.Result, error) {
		return func() (rie.Result, error) { return rie.Result{Payload: []byte(s)}, nil }
	}
	fail := func(err error) func() (rie.Result, error) {
		return func() (rie.Result, error) { return rie.Result{}, err }
	}
	tests := []struct {
		name    string
		respond func() (rie.Result, error)
		status  int
		body    string
		headers map[string][]string // nil value: header absent
	}{
		{
			name: "structured",
			respond: payload(`{"statusCode":201,"headers":{"Content-Type":"application/json","X-One":"1"},` +
				`"multiValueHeaders":{"Vary":["Origin","Accept"]},"cookies":["a=1; Path=/","b=2"],"body":"{\"id\":1}"}`),
			status: 201, body: `{"id":1}`,
			// multiValueHeaders are not part of format 2.0: API Gateway ignores them
			headers: map[string][]string{"Content-Type": {"application/json"}, "X-One": {"1"}, "Vary": nil, "Set-Cookie": {"a=1; Path=/", "b=2"}},
		},
		{
			name:    "base64 body",
			respond: payload(`{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"AAEC","isBase64Encoded":true}`),
			status:  200, body: "\x00\x01\x02",
		},
		{
			name:    "no content type stays absent",
			respond: payload(`{"statusCode":204,"headers":{"Content-Length":"99"}}`),
			status:  204, headers: map[string][]string{"Content-Type": nil, "Content-Length": nil},
		},
		{
			name:    "JSON without statusCode is a 200 JSON body",
			respond: payload(`{"hello":"world"}`),
			status:  200, body: `{"hello":"world"}`, headers: map[string][]string{"Content-Type": {"application/json"}},
		},
		{name: "not JSON", respond: payload(`hello`), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "bad statusCode", respond: payload(`{"statusCode":"200"}`), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "statusCode out of range", respond: payload(`{"statusCode":42}`), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "bad base64", respond: payload(`{"statusCode":200,"body":"%%","isBase64Encoded":true}`), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "function error", respond: fail(&rie.FunctionError{Type: "errorString", Message: "boom"}), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "emulator failure", respond: fail(errors.New("rie: exited")), status: 502, body: `{"message":"Internal Server Error"}`},
		{name: "function timeout", respond: fail(fmt.Errorf("%w: Task timed out after 10.00 seconds", rie.ErrTimeout)), status: 503, body: `{"message":"Service Unavailable"}`},
		{name: "queued past the integration timeout", respond: fail(context.DeadlineExceeded), status: 503, body: `{"message":"Service Unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakes["VerifyFunction"].mu.Lock()
			fakes["VerifyFunction"].respond = tt.respond
			fakes["VerifyFunction"].mu.Unlock()
			resp, err := client.Post(srv.URL+"/auth/jwt/verify/", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || string(body) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.body)
			}
			if tt.status >= 502 && resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
			}
			if resp.Header.Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
			for name, want := range tt.headers {
				if got := resp.Header.Values(name); !reflect.DeepEqual(got, want) && (want != nil || len(got) > 0) {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestEntryString(t *testing.T) {
	e := Entry{
		Method: "POST", Path: "/auth/jwt/create/", Status: 200, Function: "CreateFunction", Elapsed: 31500 * time.Microsecond,
		Report: rie.Report{Instance: 2, Duration: 29 * time.Millisecond, InitDuration: 20 * time.Microsecond, RuntimeInit: 12 * time.Millisecond},
	}
	want := "POST /auth/jwt/create/ → 200 CreateFunction#2 in 31.50 ms (Duration 29.00 ms, cold: Init Duration 0.02 ms, runtime init 12.00 ms)"
	if got := e.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestQueryParametersDropNothing(t *testing.T) {
	got := queryParameters("a=1;b=2&c=%zz&d=x+y&d=z&flag")
	want := map[string]string{"a": "1;b=2", "c": "%zz", "d": "x y,z", "flag": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}
