package localstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/gateway"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// These tests run the real thing: the four bootstraps under aws-lambda-rie, DynamoDB
// Local, the gateway on a free port. They fail, never skip, when any of it cannot start.

const (
	email       = "ionic.user@example.com"
	oldPassword = "An0ther-Passw0rd!"
	newPassword = "Brand-New-Secret-42"
)

// requests records what the gateway observed, for the REPORT figures.
type requests struct {
	mu      sync.Mutex
	entries []gateway.Entry
}

func (r *requests) add(e gateway.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

func startStack(t *testing.T, opts Options) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first run builds everything
	defer cancel()
	if opts.Log == nil {
		opts.Log = testLog{t}
	} else {
		opts.Log = io.MultiWriter(testLog{t}, opts.Log)
	}
	start := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("the stack did not start: %v", err)
	}
	t.Logf("stack up on %s in %v", s.URL(), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// api is an HTTP client of the stack, as the Ionic app is one of API Gateway.
type api struct {
	t    *testing.T
	base string
}

var httpClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a api) call(method, path, bearer string, body any, header ...string) reply {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &r.body)
	return r
}

func (a api) want(r reply, status int, what string) reply {
	a.t.Helper()
	if r.status != status {
		a.t.Fatalf("%s: %d %s, want %d", what, r.status, r.raw, status)
	}
	return r
}

func (a api) login(password string) (access, refresh string) {
	a.t.Helper()
	r := a.want(a.call("POST", "/auth/jwt/create/", "", map[string]string{"email": email, "password": password}), 200, "login")
	return r.body["access"].(string), r.body["refresh"].(string)
}

// expiry reads a token's exp claim.
func expiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return time.Unix(claims.Exp, 0)
}

// TestIonicJourney replays what an Ionic app does against the API, through the gateway
// over real HTTP, with lifetimes short enough to watch tokens expire.
// captured keeps everything the stack printed, to search it for secrets.
type captured struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (c *captured) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(b)
}

func (c *captured) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func TestIonicJourney(t *testing.T) {
	var seen requests
	var logs captured
	dataDir := t.TempDir()
	s := startStack(t, Options{
		Log:     &logs,
		Fresh:   true,
		DataDir: dataDir,
		Env: map[string]string{
			"ACCESS_TOKEN_LIFETIME":  "2s",
			"REFRESH_REUSE_INTERVAL": "1s",
		},
		OnRequest: seen.add,
	})
	a := api{t: t, base: s.URL()}

	if fi, err := os.Stat(filepath.Join(dataDir, keyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("generated signing key: %v, mode %v; want a 0600 file in DATA_DIR", err, fi.Mode())
	}

	r := a.want(a.call("POST", "/auth/users/", "", map[string]string{
		"email": email, "password": oldPassword, "first_name": "Ionic", "last_name": "User",
	}), 201, "register")
	if r.body["email"] != email || r.body["id"] == nil {
		t.Fatalf("register: %s", r.raw)
	}

	access, refresh := a.login(oldPassword)
	for _, token := range []string{access, refresh, access} { // the third finds a warm member
		a.want(a.call("POST", "/auth/jwt/verify/", "", map[string]string{"token": token}), 200, "verify")
	}
	r = a.want(a.call("GET", "/auth/users/me/", access, nil), 200, "GET me")
	if r.body["email"] != email || r.body["first_name"] != "Ionic" {
		t.Errorf("GET me: %s", r.raw)
	}
	r = a.want(a.call("PATCH", "/auth/users/me/", access, map[string]string{"first_name": "Capacitor"}), 200, "PATCH me")
	if r.body["first_name"] != "Capacitor" {
		t.Errorf("PATCH me: %s", r.raw)
	}

	// The access token expires (whole seconds, no leeway): the app gets 401 and refreshes.
	time.Sleep(time.Until(expiry(t, access)) + 100*time.Millisecond)
	r = a.want(a.call("GET", "/auth/users/me/", access, nil), 401, "GET me with an expired access token")
	if r.body["code"] != "token_not_valid" {
		t.Errorf("expired access token: %s", r.raw)
	}
	rotatedAt := time.Now()
	r = a.want(a.call("POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": refresh}), 200, "refresh")
	access2, refresh2 := r.body["access"].(string), r.body["refresh"].(string)
	if refresh2 == refresh {
		t.Error("refresh did not rotate the refresh token")
	}
	a.want(a.call("GET", "/auth/users/me/", access2, nil), 200, "GET me with the new access token")

	t.Run("8 parallel refreshes of one token: one successor", func(t *testing.T) {
		replies := make([]reply, 8)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() {
				replies[i] = a.call("POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": refresh2})
			})
		}
		wg.Wait()
		successors := map[string]bool{}
		for _, r := range replies {
			if r.status != 200 {
				t.Fatalf("parallel refresh: %d %s", r.status, r.raw)
			}
			successors[r.body["refresh"].(string)] = true
		}
		if len(successors) != 1 || successors[refresh2] {
			t.Errorf("parallel refreshes gave %d successors, want one new one", len(successors))
		}
	})

	// refresh was rotated, and its successor too: past the reuse interval, presenting it
	// again is reuse, and revokes the session.
	time.Sleep(time.Until(rotatedAt.Add(1100 * time.Millisecond)))
	r = a.want(a.call("POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": refresh}), 401, "reusing a rotated-out refresh token")
	if r.raw != `{"detail":"Token is blacklisted","code":"token_not_valid"}` {
		t.Errorf("reuse: %s", r.raw)
	}

	access3, _ := a.login(oldPassword)
	a.want(a.call("POST", "/auth/users/set_password/", access3, map[string]string{
		"current_password": oldPassword, "new_password": newPassword,
	}), 204, "set_password")
	a.want(a.call("POST", "/auth/jwt/create/", "", map[string]string{"email": email, "password": oldPassword}), 401, "login with the old password")
	a.login(newPassword)

	t.Run("form-encoded login: the gateway base64-encodes the body", func(t *testing.T) {
		form := url.Values{"email": {email}, "password": {newPassword}}.Encode()
		resp, err := httpClient.Post(a.base+"/auth/jwt/create/", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("form login: %d", resp.StatusCode)
		}
	})

	t.Run("CORS preflight from the app's origins", func(t *testing.T) {
		for _, origin := range []string{"capacitor://localhost", "http://localhost:8100"} {
			r := a.call("OPTIONS", "/auth/jwt/create/", "", nil,
				"Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
			if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("preflight from %s: %d, Access-Control-Allow-Origin %q", origin, r.status, r.header.Get("Access-Control-Allow-Origin"))
			}
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		r := a.call("GET", "/auth/users/activation/", "", nil)
		if r.status != 404 || r.raw != `{"message":"Not Found"}` || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("unknown route: %d %s %s", r.status, r.header.Get("Content-Type"), r.raw)
		}
	})

	logReports(t, &seen)

	t.Run("the logs carry no token, password, hash or key", func(t *testing.T) {
		key, err := os.ReadFile(filepath.Join(dataDir, keyFile))
		if err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		if !strings.Contains(out, `"msg":"request"`) {
			t.Fatalf("no request log lines captured:\n%s", out)
		}
		secrets := map[string]string{
			"access token": access, "refresh token": refresh, "rotated access token": access2,
			"rotated refresh token": refresh2, "another access token": access3,
			"old password": oldPassword, "new password": newPassword,
			"password hash": "$argon2id$", "signing key": strings.TrimSpace(string(key)),
		}
		for what, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("the logs carry the %s", what)
			}
		}
	})

	t.Run("Stop leaves no process behind", func(t *testing.T) {
		pids := s.Pids()
		// DynamoDB Local, 2 RIEs per function, and the bootstraps the requests started.
		if len(pids) < 1+8+4 {
			t.Fatalf("pids %v: want java, 8 RIEs and at least 4 bootstraps", pids)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if proc.Alive(pid) {
				t.Errorf("pid %d still running after Stop", pid)
			}
		}
	})
}

// logReports prints each function's cold start and warm duration from RIE's REPORT lines.
func logReports(t *testing.T, seen *requests) {
	t.Helper()
	seen.mu.Lock()
	defer seen.mu.Unlock()
	byFunction := map[string][]gateway.Entry{}
	for _, e := range seen.entries {
		if e.Function != "" && e.Report.Duration > 0 {
			byFunction[e.Function] = append(byFunction[e.Function], e)
		}
	}
	names := make([]string, 0, len(byFunction))
	for name := range byFunction {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var cold *gateway.Entry
		var warm []time.Duration
		for i, e := range byFunction[name] {
			switch {
			case e.Report.Cold() && cold == nil:
				cold = &byFunction[name][i]
			case !e.Report.Cold():
				warm = append(warm, e.Report.Duration)
			}
		}
		slices.Sort(warm)
		line := name + ":"
		if cold != nil {
			line += fmt.Sprintf(" cold (%s %s): Init Duration %v, runtime init %v, Duration %v;", cold.Method, cold.Path,
				cold.Report.InitDuration, cold.Report.RuntimeInit, cold.Report.Duration)
		}
		if len(warm) > 0 {
			line += fmt.Sprintf(" warm Duration median %v (min %v, n=%d)", warm[len(warm)/2], warm[0], len(warm))
		}
		t.Log("REPORT " + line)
	}
}

// Users and the signing key live in DATA_DIR: a restarted stack knows the user, and an
// access token from before the restart still works.
func TestDataSurvivesRestart(t *testing.T) {
	dataDir := t.TempDir()
	first := startStack(t, Options{DataDir: dataDir})
	a := api{t: t, base: first.URL()}
	a.want(a.call("POST", "/auth/users/", "", map[string]string{
		"email": email, "password": oldPassword, "first_name": "Ionic", "last_name": "User",
	}), 201, "register")
	access, _ := a.login(oldPassword)
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second := startStack(t, Options{DataDir: dataDir})
	a = api{t: t, base: second.URL()}
	a.login(oldPassword)
	r := a.want(a.call("GET", "/auth/users/me/", access, nil), 200, "GET me with a token from before the restart")
	if r.body["email"] != email {
		t.Errorf("GET me: %s", r.raw)
	}
}

// With DynamoDBEndpoint the stack uses that DynamoDB, creates its tables there, and starts
// no DynamoDB Local of its own.
func TestExistingDynamoDB(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		t.Fatalf("DynamoDB Local did not start: %v", err)
	}
	t.Cleanup(func() { _ = db.Stop() })

	s := startStack(t, Options{DataDir: t.TempDir(), DynamoDBEndpoint: db.Endpoint()})
	if slices.Contains(s.Pids(), db.Pid()) || s.DynamoDBEndpoint() != db.Endpoint() {
		t.Errorf("the stack claims the DynamoDB it was given")
	}
	a := api{t: t, base: s.URL()}
	a.want(a.call("POST", "/auth/users/", "", map[string]string{
		"email": email, "password": oldPassword, "first_name": "Ionic", "last_name": "User",
	}), 201, "register")

	client, err := dynamolocal.Client(ctx, db.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("UsersTable")})
	if err != nil || out.Count == 0 {
		t.Errorf("UsersTable on the given endpoint: %v items, %v", out, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("BlacklistTable")})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expires_at" {
		t.Errorf("BlacklistTable TTL: %+v, %v", ttl, err)
	}
}
