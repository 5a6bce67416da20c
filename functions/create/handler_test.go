package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/password"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

// The reference's password, and its answer to every failed login.
const (
	goodPassword   = "S3cure-Passw0rd!"
	badCredentials = `{"detail":"No active account found with the given credentials"}`
)

type fixture struct {
	env    *storetest.Env
	clock  *apitest.Clock
	deps   api.Deps
	hasher *password.Hasher
	h      http.Handler
}

func newFixture(t *testing.T, env map[string]string) *fixture {
	t.Helper()
	e := storetest.New(t)
	clock := apitest.NewClock()
	deps := apitest.Deps(t, e.Store, clock, env)
	hasher := password.NewHasher(password.Cheap)
	return &fixture{env: e, clock: clock, deps: deps, hasher: hasher, h: newHandler(deps, e.Store, hasher)}
}

// addUser stores a user whose password is pw, hashed as our hasher does.
func (f *fixture) addUser(t *testing.T, email, pw string, active bool) store.User {
	t.Helper()
	hash, err := f.hasher.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return f.addUserWithHash(t, email, hash, active)
}

// addUserWithHash stores a user with a given (for example Django's) password hash.
func (f *fixture) addUserWithHash(t *testing.T, email, hash string, active bool) store.User {
	t.Helper()
	u := store.User{ID: token.NewUUID(), Email: email, FirstName: "A", LastName: "B", PasswordHash: hash, IsActive: active, DateJoined: f.clock.Now()}
	if err := f.env.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(body string, headers ...string) apitest.Response {
	return apitest.Do(f.h, http.MethodPost, "/auth/jwt/create/", body, headers...)
}

func credentials(email, pw string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	return string(b)
}

func (f *fixture) storedHash(t *testing.T, id string) string {
	t.Helper()
	u, err := f.env.Store.User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// loginBody matches {"refresh":"<JWT>","access":"<JWT>"}, in that order.
var loginBody = regexp.MustCompile(`^\{"refresh":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+","access":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"\}$`)

// expect checks status and body (a regexp for 200, exact otherwise) and the headers the
// reference sends with them.
func expect(t *testing.T, res apitest.Response, status int, body string) {
	t.Helper()
	if status == http.StatusOK {
		if res.Status != status || !loginBody.MatchString(res.Body) {
			t.Errorf("got %d %s, want 200 {\"refresh\":\"<JWT>\",\"access\":\"<JWT>\"}", res.Status, res.Body)
		}
	} else if res.Status != status || res.Body != body {
		t.Errorf("got %d %s\nwant %d %s", res.Status, res.Body, status, body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", got)
	}
	if got := res.Header.Get("Allow"); got != "POST, OPTIONS" {
		t.Errorf("got Allow %q, want %q", got, "POST, OPTIONS")
	}
	want := ""
	if status == http.StatusUnauthorized {
		want = `Bearer realm="api"`
	}
	if got := res.Header.Get("WWW-Authenticate"); got != want {
		t.Errorf("got WWW-Authenticate %q, want %q", got, want)
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	f.addUser(t, "inactive@example.com", goodPassword, false)
	form := url.Values{"email": {"alice@example.com"}, "password": {goodPassword}}.Encode()
	cases := []struct {
		name    string
		body    string
		headers []string
		status  int
		want    string // ignored for 200: the body must be a token pair
	}{
		{"#26 ok", credentials("alice@example.com", goodPassword), nil, 200, ""},
		{"#27 wrong password", credentials("alice@example.com", "wrong-password"), nil, 401, badCredentials},
		{"#28 unknown email", credentials("nobody@example.com", goodPassword), nil, 401, badCredentials},
		{"an e-mail too long for any account (and a DynamoDB key)", credentials(strings.Repeat("a", 3000)+"@example.com", goodPassword), nil, 401, badCredentials},
		{"#29 email in another case (fixed: case-folded)", credentials("ALICE@example.com", goodPassword), nil, 200, ""},
		{"#30 upper-case domain (fixed: case-folded)", credentials("alice@EXAMPLE.COM", goodPassword), nil, 200, ""},
		{"#31 missing fields", `{}`, nil, 400, `{"email":["This field is required."],"password":["This field is required."]}`},
		{"#32 missing password", `{"email":"alice@example.com"}`, nil, 400, `{"password":["This field is required."]}`},
		{"#33 username instead of email", `{"username":"alice@example.com","password":"` + goodPassword + `"}`, nil, 400, `{"email":["This field is required."]}`},
		{"#34 empty strings", `{"email":"","password":""}`, nil, 400, `{"email":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"#35 malformed JSON", `{"email":`, nil, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 10 (char 9)"}`},
		{"#36 text/plain", "email=alice@example.com", []string{"Content-Type", "text/plain"}, 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{"#37 form-encoded", form, []string{"Content-Type", "application/x-www-form-urlencoded"}, 200, ""},
		{"#38 inactive user, right password", credentials("inactive@example.com", goodPassword), nil, 401, badCredentials},
		{"#39 inactive user, wrong password", credentials("inactive@example.com", "wrong"), nil, 401, badCredentials},
		{"e-mail with surrounding spaces", credentials("  alice@example.com ", goodPassword), nil, 200, ""},
		{"password with surrounding spaces (trimmed, as DRF)", credentials("alice@example.com", " "+goodPassword+"\t"), nil, 200, ""},
		{"null fields", `{"email":null,"password":null}`, nil, 400, `{"email":["This field may not be null."],"password":["This field may not be null."]}`},
		{"list password", `{"email":"alice@example.com","password":[]}`, nil, 400, `{"password":["Not a valid string."]}`},
		{"null body", `null`, nil, 400, `{"non_field_errors":["No data provided"]}`},
		{"list body", `[]`, nil, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"no Content-Type", credentials("alice@example.com", goodPassword), []string{"Content-Type", ""}, 415, `{"detail":"Unsupported media type \"\" in request."}`},
		{"body over 16 KiB", credentials("alice@example.com", strings.Repeat("x", 17<<10)), nil, 413, `{"detail":"Request body too large."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, f.login(c.body, c.headers...), c.status, c.want)
		})
	}
}

// A mobile interceptor attaches a (stale) token to every call: login ignores it.
func TestLoginIgnoresAuthorization(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	for _, header := range []string{"Bearer x", "Bearer", "Bearer a b", "JWT garbage", "Token x"} {
		res := f.login(credentials("alice@example.com", goodPassword), "Authorization", header)
		if res.Status != http.StatusOK {
			t.Errorf("Authorization %q: got %d %s, want 200", header, res.Status, res.Body)
		}
	}
}

func TestLoginRoutes(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	body := credentials("alice@example.com", goodPassword)
	cases := []struct {
		name, method, path string
		status             int
		want               string
	}{
		{"#132 no trailing slash", http.MethodPost, "/auth/jwt/create", 200, ""},
		{"#133 createXYZ (fixed: exact routes)", http.MethodPost, "/auth/jwt/createXYZ", 404, `{"message":"Not Found"}`},
		{"path below create", http.MethodPost, "/auth/jwt/create/x", 404, `{"message":"Not Found"}`},
		{"two trailing slashes", http.MethodPost, "/auth/jwt/create//", 404, `{"message":"Not Found"}`},
		{"#136 GET", http.MethodGet, "/auth/jwt/create/", 405, `{"detail":"Method \"GET\" not allowed."}`},
		{"PUT", http.MethodPut, "/auth/jwt/create/", 405, `{"detail":"Method \"PUT\" not allowed."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := apitest.Do(f.h, c.method, c.path, body)
			switch c.status {
			case 200:
				expect(t, res, 200, "")
			case 404:
				if res.Status != 404 || res.Body != c.want {
					t.Errorf("got %d %s, want 404 %s", res.Status, res.Body, c.want)
				}
			default:
				expect(t, res, c.status, c.want)
			}
		})
	}
}

// decodeSegment decodes one part of a compact JWT.
func decodeSegment(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment %q: %v", seg, err)
	}
	return b
}

// objectKeys lists a JSON object's keys in document order.
func objectKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not a JSON object", b)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

var (
	jtiPattern  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// The tokens are the reference's (§2): HS256 with the shared key, simplejwt's claims in
// its order, its lifetimes; a Django backend with the same key accepts them.
func TestLoginTokens(t *testing.T) {
	f := newFixture(t, nil)
	u := f.addUser(t, "alice@example.com", goodPassword, true)
	res := f.login(credentials("alice@example.com", goodPassword))
	expect(t, res, 200, "")
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	now := f.clock.Now().Unix()
	lifetimes := map[string]int64{"access": 300, "refresh": 15552000}
	jtis := map[string]bool{}
	for _, field := range []string{"access", "refresh"} {
		t.Run(field, func(t *testing.T) {
			raw := res.Field(t, field)
			parts := strings.Split(raw, ".")
			if len(parts) != 3 {
				t.Fatalf("%q is not a compact JWS", raw)
			}
			if got := string(decodeSegment(t, parts[0])); got != `{"alg":"HS256","typ":"JWT"}` {
				t.Errorf("got header %s, want {\"alg\":\"HS256\",\"typ\":\"JWT\"}", got)
			}
			payload := decodeSegment(t, parts[1])
			if keys := objectKeys(t, payload); len(keys) < 5 || !reflect.DeepEqual(keys[:5], []string{"token_type", "exp", "iat", "jti", "user_id"}) {
				t.Errorf("got claims %v, want token_type, exp, iat, jti, user_id first", keys)
			}
			var c map[string]any
			dec := json.NewDecoder(bytes.NewReader(payload))
			dec.UseNumber()
			if err := dec.Decode(&c); err != nil {
				t.Fatal(err)
			}
			for _, absent := range []string{"iss", "aud", "nbf", "sub"} {
				if _, ok := c[absent]; ok {
					t.Errorf("claim %s present, simplejwt has none", absent)
				}
			}
			if c["token_type"] != field {
				t.Errorf("got token_type %v, want %s", c["token_type"], field)
			}
			exp, errExp := c["exp"].(json.Number).Int64()
			iat, errIat := c["iat"].(json.Number).Int64()
			if errExp != nil || errIat != nil {
				t.Fatalf("exp %v, iat %v: want whole seconds", c["exp"], c["iat"])
			}
			if iat != now || exp-iat != lifetimes[field] {
				t.Errorf("got iat %d, exp-iat %d; want %d, %d", iat, exp-iat, now, lifetimes[field])
			}
			jti, _ := c["jti"].(string)
			if !jtiPattern.MatchString(jti) || jtis[jti] {
				t.Errorf("got jti %q, want 32 lowercase hex characters, unique", jti)
			}
			jtis[jti] = true
			if uid, _ := c["user_id"].(string); uid != u.ID || !uuidPattern.MatchString(uid) {
				t.Errorf("got user_id %q, want %s (a hyphenated UUID)", uid, u.ID)
			}
			// What simplejwt does with the same SECRET_KEY.
			_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(f.clock.Now)).
				Parse(raw, func(*jwt.Token) (any, error) { return []byte(apitest.Key), nil })
			if err != nil {
				t.Errorf("not a valid HS256 token for the shared key: %v", err)
			}
		})
	}
}

// DESIGN's round-trip budget: a login reads at most twice; a failure reads twice and
// writes once; an unknown e-mail makes the very same calls as a wrong password.
func TestLoginRoundTrips(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	calls := func(body string, status int) map[string]int {
		t.Helper()
		f.env.DB.Reset()
		if res := f.login(body); res.Status != status {
			t.Fatalf("got %d %s, want %d", res.Status, res.Body, status)
		}
		return f.env.DB.Calls()
	}
	if got := calls(credentials("alice@example.com", goodPassword), 200); f.env.DB.Total() > 2 {
		t.Errorf("login: got %v, want at most 2 calls", got)
	}
	wantFailure := map[string]int{"BatchGetItem": 1, "GetItem": 1, "UpdateItem": 1}
	wrong := calls(credentials("alice@example.com", "wrong-password"), 401)
	if !reflect.DeepEqual(wrong, wantFailure) {
		t.Errorf("wrong password: got %v, want %v", wrong, wantFailure)
	}
	unknown := calls(credentials("nobody@example.com", "wrong-password"), 401)
	if !reflect.DeepEqual(unknown, wrong) {
		t.Errorf("unknown e-mail: got %v, want the wrong password's %v", unknown, wrong)
	}
	// A success after a failure also forgets the failure: one more write.
	if got := calls(credentials("alice@example.com", goodPassword), 200); f.env.DB.Total() > 3 {
		t.Errorf("login after a failure: got %v, want at most 3 calls", got)
	}
	if got := calls(credentials("alice@example.com", goodPassword), 200); f.env.DB.Total() > 2 {
		t.Errorf("login after the reset: got %v, want at most 2 calls", got)
	}
}

// countingHasher counts argon2id computations, real or dummy.
type countingHasher struct {
	*password.Hasher
	verifications atomic.Int64
}

func (c *countingHasher) Verify(pw, encoded string) (bool, bool, error) {
	c.verifications.Add(1)
	return c.Hasher.Verify(pw, encoded)
}

func (c *countingHasher) VerifyDummy(pw string) bool {
	c.verifications.Add(1)
	return c.Hasher.VerifyDummy(pw)
}

// An unknown e-mail costs one hash verification, as a wrong password does.
func TestLoginHashWorkIsEqual(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	counter := &countingHasher{Hasher: f.hasher}
	h := newHandler(f.deps, f.env.Store, counter)
	for _, email := range []string{"alice@example.com", "nobody@example.com"} {
		counter.verifications.Store(0)
		res := apitest.Do(h, http.MethodPost, "/auth/jwt/create/", credentials(email, "wrong-password"))
		if res.Status != 401 || counter.verifications.Load() != 1 {
			t.Errorf("%s: got %d with %d hash verifications, want 401 with 1", email, res.Status, counter.verifications.Load())
		}
	}
}

// Once an account is throttled, each window lets one guess through, however many arrive
// at once (Lambda would run them on as many instances).
func TestLoginThrottleHoldsUnderParallelGuesses(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	counter := &countingHasher{Hasher: f.hasher}
	h := newHandler(f.deps, f.env.Store, counter)
	guess := func() apitest.Response {
		return apitest.Do(h, http.MethodPost, "/auth/jwt/create/", credentials("alice@example.com", "wrong-password"))
	}
	for i := 0; i < 5; i++ {
		guess()
	}
	f.clock.Advance(2 * time.Second) // the first window (1 s) is over
	counter.verifications.Store(0)
	statuses := make([]int, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = guess().Status })
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[401] != 1 || count[429] != 19 || counter.verifications.Load() != 1 {
		t.Errorf("got %v with %d password checks, want one 401 (one check) and 19 × 429", count, counter.verifications.Load())
	}
}

// answer is what a client sees of a login attempt.
type answer struct {
	Status     int
	Body       string
	RetryAfter string
}

func (f *fixture) attempt(email, pw string) answer {
	res := f.login(credentials(email, pw))
	a := answer{Status: res.Status, Body: res.Body, RetryAfter: res.Header.Get("Retry-After")}
	if a.Status == 200 {
		a.Body = "<tokens>"
	}
	return a
}

func throttled(seconds int) answer {
	unit := "seconds"
	if seconds == 1 {
		unit = "second"
	}
	return answer{429, fmt.Sprintf(`{"detail":"Request was throttled. Expected available in %d %s."}`, seconds, unit), strconv.Itoa(seconds)}
}

var (
	failed    = answer{Status: 401, Body: badCredentials}
	succeeded = answer{Status: 200, Body: "<tokens>"}
)

// After 5 consecutive failures an e-mail waits 2^(n-5) s (n failures so far, capped at
// 15 min) before each further attempt, even with the right password.
func TestLoginThrottle(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser(t, "alice@example.com", goodPassword, true)
	f.addUser(t, "bob@example.com", goodPassword, true)
	step := 0
	check := func(got, want answer) {
		t.Helper()
		step++
		if got != want {
			t.Errorf("step %d: got %+v\nwant %+v", step, got, want)
		}
	}
	// The count is per canonical e-mail, whatever case the client sends.
	for _, email := range []string{"alice@example.com", "ALICE@example.com", "Alice@Example.com ", "alice@example.com", "alice@EXAMPLE.com"} {
		check(f.attempt(email, "wrong-password"), failed)
	}
	check(f.attempt("alice@example.com", goodPassword), throttled(1))
	check(f.attempt("bob@example.com", goodPassword), succeeded) // other accounts are not affected
	f.clock.Advance(500 * time.Millisecond)
	check(f.attempt("alice@example.com", "wrong-password"), throttled(1)) // 0.5 s rounds up
	f.clock.Advance(500 * time.Millisecond)
	check(f.attempt("alice@example.com", "wrong-password"), failed) // the 6th failure
	check(f.attempt("alice@example.com", goodPassword), throttled(2))
	f.clock.Advance(time.Second)
	check(f.attempt("alice@example.com", goodPassword), throttled(1))
	f.clock.Advance(time.Second)
	check(f.attempt("alice@example.com", goodPassword), succeeded) // after the window
	// The success reset the count: five more failures before any wait.
	for i := 0; i < 5; i++ {
		check(f.attempt("alice@example.com", "wrong-password"), failed)
	}
	check(f.attempt("alice@example.com", goodPassword), throttled(1))

	// The window doubles per failure up to 15 minutes: failure n leaves 2^(n-5) s.
	window := time.Second
	for n := 6; n <= 16; n++ {
		f.clock.Advance(window)
		check(f.attempt("alice@example.com", "wrong-password"), failed)
		window = min(window*2, 15*time.Minute)
		check(f.attempt("alice@example.com", goodPassword), throttled(int(window/time.Second)))
	}
	if window != 15*time.Minute {
		t.Fatalf("window %v, want the 15 min cap", window)
	}
	f.clock.Advance(15*time.Minute - time.Second)
	check(f.attempt("alice@example.com", goodPassword), throttled(1))
	f.clock.Advance(time.Second)
	check(f.attempt("alice@example.com", goodPassword), succeeded)
}

// The failure history the throttle test plays, for an unknown e-mail and a known one with a
// wrong password: the client cannot tell them apart.
func TestLoginThrottleUnknownEmail(t *testing.T) {
	play := func(email string) []answer {
		f := newFixture(t, nil)
		f.addUser(t, "alice@example.com", goodPassword, true)
		var got []answer
		for _, advance := range []time.Duration{0, 0, 0, 0, 0, 0, 500 * time.Millisecond, 500 * time.Millisecond, 0, time.Second, time.Second, 2 * time.Second, 4 * time.Minute} {
			f.clock.Advance(advance)
			got = append(got, f.attempt(email, "wrong-password"))
		}
		return got
	}
	known, unknown := play("alice@example.com"), play("nobody@example.com")
	if !reflect.DeepEqual(known, unknown) {
		t.Errorf("unknown e-mail got\n%+v\nknown e-mail with a wrong password got\n%+v", unknown, known)
	}
	want := []answer{failed, failed, failed, failed, failed, throttled(1), throttled(1), failed, throttled(2), throttled(1), failed, throttled(2), failed}
	if !reflect.DeepEqual(unknown, want) {
		t.Errorf("got\n%+v\nwant\n%+v", unknown, want)
	}
}

// Hashes written by Django (the vectors of shared/password's tests) log in, and the login
// re-hashes the password with argon2id; the next login needs no upgrade. bcrypt is covered
// by the cost-4 vectors: the cost-12 ones take over 30 s each under -race.
func TestLoginUpgradesLegacyHashes(t *testing.T) {
	long := strings.Repeat("x", 72) + "tail-one"
	cases := []struct {
		name, hash, password string
	}{
		{"pbkdf2_sha256 260000", "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "lètmein"},
		{"bcrypt cost 4, 80 bytes", "bcrypt$$2b$04$thdLQCsLJB5dISlM6gVc3.lYtfCl0msqLvGK5Wefz1lN4sX64MCwO", long},
		{"bcrypt_sha256 cost 4, 80 bytes", "bcrypt_sha256$$2b$04$7mcdlqgWT1SsfGkWUhSs.e9fdUrZ6.pX4fu3kFL.zW.4A4rcd88lO", long},
		{"argon2 argon2id (Django 3.2)", "argon2$argon2id$v=19$m=102400,t=2,p=8$T1MyNDFtSnY5Y3FaSDVoQ1JaVDlxdA$qXBwaWRGWaRYvgnIn7MNXg", "lètmein"},
		{"argon2 argon2i (Django 3.1)", "argon2$argon2i$v=19$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$QallDq/1zpg73Bt1RKe/jA", "lètmein"},
		{"argon2id PHC, other parameters", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // pbkdf2 and Django's argon2 take seconds under -race
			f := newFixture(t, nil)
			u := f.addUserWithHash(t, "legacy@example.com", c.hash, true)
			expect(t, f.login(credentials("legacy@example.com", "wrong-"+c.password)), 401, badCredentials)
			if got := f.storedHash(t, u.ID); got != c.hash {
				t.Fatalf("a failed login changed the hash to %s", got)
			}
			f.env.DB.Reset()
			expect(t, f.login(credentials("legacy@example.com", c.password)), 200, "")
			if got, want := f.env.DB.Calls()["UpdateItem"], 1; got != want {
				t.Errorf("upgrade: got %d UpdateItem calls (%v), want %d", got, f.env.DB.Calls(), want)
			}
			upgraded := f.storedHash(t, u.ID)
			if !strings.HasPrefix(upgraded, "$argon2id$") {
				t.Fatalf("got stored hash %s, want $argon2id$...", upgraded)
			}
			if ok, needsUpgrade, err := f.hasher.Verify(c.password, upgraded); !ok || needsUpgrade || err != nil {
				t.Errorf("the upgraded hash: Verify = %v, %v, %v; want true, false, nil", ok, needsUpgrade, err)
			}
			f.env.DB.Reset()
			expect(t, f.login(credentials("legacy@example.com", c.password)), 200, "")
			if got := f.env.DB.Total(); got > 2 {
				t.Errorf("login after the upgrade: got %v, want at most 2 calls", f.env.DB.Calls())
			}
			if got := f.storedHash(t, u.ID); got != upgraded {
				t.Errorf("the hash changed again on the next login")
			}
		})
	}
}

// Django's unusable password ("!" + random, set_unusable_password) and a hash we cannot
// read never log in, and answer like a wrong password.
func TestLoginUnusableHashes(t *testing.T) {
	f := newFixture(t, nil)
	f.addUserWithHash(t, "unusable@example.com", "!Bqk3ZmZ9zXfJ0vmlFb8EfC6BN9Y3Hq2n1gW2xQ7c", true)
	f.addUserWithHash(t, "md5@example.com", "md5$seasalt$0123456789abcdef0123456789abcdef", true)
	for _, email := range []string{"unusable@example.com", "md5@example.com"} {
		expect(t, f.login(credentials(email, "!Bqk3ZmZ9zXfJ0vmlFb8EfC6BN9Y3Hq2n1gW2xQ7c")), 401, badCredentials)
	}
}

// #140: OPTIONS answers simplejwt's metadata, byte for byte.
func TestLoginOptions(t *testing.T) {
	f := newFixture(t, nil)
	const reference = `{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"email":{"type":"string","required":true,"read_only":false,"label":"Email"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}`
	res := apitest.Do(f.h, http.MethodOptions, "/auth/jwt/create/", "")
	if res.Status != 200 || res.Body != reference || res.Header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("got %d %s (Allow %q)\nwant 200 %s", res.Status, res.Body, res.Header.Get("Allow"), reference)
	}
}
