package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/session"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

// The answers simplejwt gives, with DESIGN's fixes.
const (
	valid       = `{}`
	invalid     = `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
	blacklisted = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
)

type fixture struct {
	env   *storetest.Env
	clock *apitest.Clock
	deps  api.Deps
	h     http.Handler
	user  store.User
}

func newFixture(t *testing.T, env map[string]string) *fixture {
	t.Helper()
	e := storetest.New(t)
	clock := apitest.NewClock()
	deps := apitest.Deps(t, e.Store, clock, env)
	f := &fixture{env: e, clock: clock, deps: deps, h: newHandler(deps, e.Store)}
	f.user = f.addUser(t, "alice@example.com")
	return f
}

func (f *fixture) addUser(t *testing.T, email string) store.User {
	t.Helper()
	u := store.User{ID: token.NewUUID(), Email: email, FirstName: "A", LastName: "B", PasswordHash: "x", IsActive: true, DateJoined: f.clock.Now()}
	if err := f.env.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// login mints a session as the create function does.
func (f *fixture) login(t *testing.T, u store.User) token.Pair {
	t.Helper()
	p, err := f.deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rotate refreshes raw as the refresh function does and returns the successor.
func (f *fixture) rotate(t *testing.T, raw string) string {
	t.Helper()
	p, err := session.New(f.env.Store, f.deps.Tokens, f.deps.Config.ReuseInterval).Refresh(context.Background(), raw)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return p.Refresh
}

func (f *fixture) verify(raw string, headers ...string) apitest.Response {
	return apitest.Do(f.h, http.MethodPost, "/auth/jwt/verify/", `{"token":"`+raw+`"}`, headers...)
}

// expect checks status, exact body and the headers the reference sends with them.
func expect(t *testing.T, res apitest.Response, status int, body string) {
	t.Helper()
	if res.Status != status || res.Body != body {
		t.Errorf("got %d %s\nwant %d %s", res.Status, res.Body, status, body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", got)
	}
	if status == http.StatusNotFound {
		return
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

// claims are simplejwt's claims of a token of u's, valid now.
func (f *fixture) claims(typ string, u store.User) jwt.MapClaims {
	now := f.clock.Now().Unix()
	return jwt.MapClaims{"token_type": typ, "exp": now + 300, "iat": now, "jti": token.NewJTI(), "user_id": u.ID}
}

// forge signs claims with method and key, adding header fields.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
	return s
}

var key = []byte(apitest.Key)

// without returns claims less the named ones.
func without(c jwt.MapClaims, names ...string) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// tamperSignature changes the signature's first character (its last one may carry only
// padding bits, which decoders ignore).
func tamperSignature(raw string) string {
	i := strings.LastIndexByte(raw, '.') + 1
	c := byte('A')
	if raw[i] == 'A' {
		c = 'B'
	}
	return raw[:i] + string(c) + raw[i+1:]
}

// tamperPayload moves exp one hour on and keeps the original signature (#59).
func tamperPayload(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	c["exp"] = c["exp"].(float64) + 3600
	payload, _ = json.Marshal(c)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

func TestVerify(t *testing.T) {
	f := newFixture(t, nil)
	pair := f.login(t, f.user)
	rotated := f.login(t, f.user).Refresh
	f.rotate(t, rotated)
	access := f.claims("access", f.user)
	cases := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"#54 access token", `{"token":"` + pair.Access + `"}`, 200, valid},
		{"#55 refresh token", `{"token":"` + pair.Refresh + `"}`, 200, valid},
		{"#56 rotated refresh token (fixed: 401)", `{"token":"` + rotated + `"}`, 401, blacklisted},
		{"#57 garbage", `{"token":"garbage"}`, 401, invalid},
		{"#58 tampered signature", `{"token":"` + tamperSignature(pair.Access) + `"}`, 401, invalid},
		{"#59 tampered payload", `{"token":"` + tamperPayload(t, pair.Access) + `"}`, 401, invalid},
		{"#60 alg none", `{"token":"` + forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, access, nil) + `"}`, 401, invalid},
		{"#62 HS512 with the real key", `{"token":"` + forge(t, jwt.SigningMethodHS512, key, access, nil) + `"}`, 401, invalid},
		{"#63 HS256 with a wrong key", `{"token":"` + forge(t, jwt.SigningMethodHS256, []byte("another-key-0123456789abcdef0123456789"), access, nil) + `"}`, 401, invalid},
		{"#64 no jti", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, without(access, "jti"), nil) + `"}`, 401, `{"detail":"Token has no id","code":"token_not_valid"}`},
		{"#65 no exp", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, without(access, "exp"), nil) + `"}`, 401, `{"detail":"Token has no 'exp' claim","code":"token_not_valid"}`},
		{"#66 no token_type (fixed: 401)", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, without(access, "token_type"), nil) + `"}`, 401, `{"detail":"Token has no type","code":"token_not_valid"}`},
		{"#67 missing field", `{}`, 400, `{"token":["This field is required."]}`},
		{"#68 token under 'access'", `{"access":"` + pair.Access + `"}`, 400, `{"token":["This field is required."]}`},
		{"unknown token_type", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"token_type": "id", "exp": access["exp"], "iat": access["iat"], "jti": access["jti"], "user_id": f.user.ID}, nil) + `"}`, 401, `{"detail":"Token has wrong type","code":"token_not_valid"}`},
		{"refresh token with a user_id that is no UUID", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"token_type": "refresh", "exp": access["exp"], "iat": access["iat"], "jti": access["jti"], "user_id": "42"}, nil) + `"}`, 401, `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`},
		{"unknown kid", `{"token":"` + forge(t, jwt.SigningMethodHS256, key, access, map[string]any{"kid": "other"}) + `"}`, 401, invalid},
		{"empty string", `{"token":""}`, 400, `{"token":["This field may not be blank."]}`},
		{"number", `{"token":12345}`, 401, invalid},
		{"list", `{"token":[]}`, 400, `{"token":["Not a valid string."]}`},
		{"malformed JSON", `{"token":`, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 10 (char 9)"}`},
		{"null body", `null`, 400, `{"non_field_errors":["No data provided"]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, apitest.Do(f.h, http.MethodPost, "/auth/jwt/verify/", c.body), c.status, c.want)
		})
	}
}

// Verify never revokes: presenting a rotated token long after the rotation (which refresh
// would treat as reuse) leaves the chain's current token valid.
func TestVerifyRotation(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t, f.user).Refresh
	r1 := f.rotate(t, r0)
	expect(t, f.verify(r0), 401, blacklisted) // within the reuse interval too
	expect(t, f.verify(r1), 200, valid)
	f.clock.Advance(time.Minute)
	expect(t, f.verify(r0), 401, blacklisted)
	expect(t, f.verify(r1), 200, valid)
	r2 := f.rotate(t, r1)
	expect(t, f.verify(r1), 401, blacklisted)
	expect(t, f.verify(r2), 200, valid)
}

// Access tokens are judged by signature and exp alone (#41, #130), as simplejwt does;
// refresh tokens by the same state refresh reads.
func TestVerifyUserState(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	inactive := f.addUser(t, "inactive@example.com")
	deleted := f.addUser(t, "deleted@example.com")
	loggedOut := f.addUser(t, "logout@example.com")
	everywhere := f.addUser(t, "logout-all@example.com")
	pairs := map[string]token.Pair{}
	for _, u := range []store.User{inactive, deleted, loggedOut, everywhere} {
		pairs[u.Email] = f.login(t, u)
	}
	if err := f.env.Store.SetActive(ctx, inactive.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := f.env.Store.DeleteUser(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if err := f.env.Store.RevokeSession(ctx, pairs[loggedOut.Email].RefreshClaims.SessionID, loggedOut.ID, f.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.env.Store.RevokeAll(ctx, everywhere.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		token  string
		status int
		want   string
	}{
		{"#41 access token of a deactivated user", pairs[inactive.Email].Access, 200, valid},
		{"#130 access token of a deleted user", pairs[deleted.Email].Access, 200, valid},
		{"access token of a logged-out session", pairs[loggedOut.Email].Access, 200, valid},
		{"refresh token of a deactivated user", pairs[inactive.Email].Refresh, 401, blacklisted},
		{"refresh token of a deleted user", pairs[deleted.Email].Refresh, 401, blacklisted},
		{"refresh token of a logged-out session", pairs[loggedOut.Email].Refresh, 401, blacklisted},
		{"refresh token from before logout_all", pairs[everywhere.Email].Refresh, 401, blacklisted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, f.verify(c.token), c.status, c.want)
		})
	}
	// A session started after logout_all is fine.
	u, err := f.env.Store.User(ctx, everywhere.ID)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, f.verify(f.login(t, u).Refresh), 200, valid)
}

// A refresh token minted by simplejwt (no session claims) is adopted, as refresh adopts it.
func TestVerifyMigratedRefreshToken(t *testing.T) {
	f := newFixture(t, nil)
	raw := forge(t, jwt.SigningMethodHS256, key, f.claims("refresh", f.user), nil)
	expect(t, f.verify(raw), 200, valid)
	f.rotate(t, raw)
	expect(t, f.verify(raw), 401, blacklisted)
}

func TestVerifyRoutes(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"token":"` + f.login(t, f.user).Access + `"}`
	cases := []struct {
		name, method, path string
		status             int
		want               string
	}{
		{"no trailing slash", http.MethodPost, "/auth/jwt/verify", 200, valid},
		{"#134 verify/anything/else (fixed: exact routes)", http.MethodPost, "/auth/jwt/verify/anything/else", 404, `{"message":"Not Found"}`},
		{"verifyXYZ", http.MethodPost, "/auth/jwt/verifyXYZ", 404, `{"message":"Not Found"}`},
		{"#137 PUT", http.MethodPut, "/auth/jwt/verify/", 405, `{"detail":"Method \"PUT\" not allowed."}`},
		{"GET", http.MethodGet, "/auth/jwt/verify/", 405, `{"detail":"Method \"GET\" not allowed."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, apitest.Do(f.h, c.method, c.path, body), c.status, c.want)
		})
	}
}

// An Authorization header, even a broken one, plays no part in verify.
func TestVerifyIgnoresAuthorization(t *testing.T) {
	f := newFixture(t, nil)
	access := f.login(t, f.user).Access
	for _, header := range []string{"Bearer x", "Bearer", "Bearer a b", "JWT " + access} {
		expect(t, f.verify(access, "Authorization", header), 200, valid)
		expect(t, f.verify("garbage", "Authorization", "Bearer "+access), 401, invalid)
	}
}

// Expiry, on the reference's short-lifetime instance (access 2 s, refresh 8 s), moving
// the clock instead of sleeping; exp has no leeway.
func TestVerifyExpiry(t *testing.T) {
	f := newFixture(t, map[string]string{"ACCESS_TOKEN_LIFETIME": "2s", "REFRESH_TOKEN_LIFETIME": "8s"})
	pair := f.login(t, f.user)
	f.clock.Advance(1 * time.Second)
	expect(t, f.verify(pair.Access), 200, valid)
	f.clock.Advance(1 * time.Second) // now == exp
	expect(t, f.verify(pair.Access), 401, invalid)
	f.clock.Advance(1 * time.Second)
	expect(t, f.verify(pair.Access), 401, invalid) // #149
	expect(t, f.verify(pair.Refresh), 200, valid)
	r1 := f.rotate(t, pair.Refresh) // at 3 s: lives until 11 s
	f.clock.Advance(6 * time.Second)
	expect(t, f.verify(pair.Refresh), 401, invalid) // #153 and #156: expired (and rotated)
	expect(t, f.verify(r1), 200, valid)
	spare := f.login(t, f.user).Refresh
	f.clock.Advance(8 * time.Second)
	expect(t, f.verify(spare), 401, invalid) // #153: expired, never rotated
}

// iat may be at most 5 s in the future (other issuers' clock skew).
func TestVerifyIssuedAtSkew(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct {
		ahead  time.Duration
		status int
		want   string
	}{
		{0, 200, valid},
		{5 * time.Second, 200, valid},
		{6 * time.Second, 401, invalid},
		{time.Hour, 401, invalid},
	} {
		for _, typ := range []string{"access", "refresh"} {
			claims := f.claims(typ, f.user)
			claims["iat"] = f.clock.Now().Add(c.ahead).Unix()
			res := f.verify(forge(t, jwt.SigningMethodHS256, key, claims, nil))
			if res.Status != c.status || res.Body != c.want {
				t.Errorf("%s token, iat %v ahead: got %d %s, want %d %s", typ, c.ahead, res.Status, res.Body, c.status, c.want)
			}
		}
	}
}

// Tokens over 4 KiB are refused before any parsing, however well signed.
func TestVerifyLength(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct {
		pad    int
		status int
		want   string
	}{
		{2000, 200, valid},
		{4000, 401, invalid},
	} {
		claims := f.claims("access", f.user)
		claims["pad"] = strings.Repeat("a", c.pad)
		raw := forge(t, jwt.SigningMethodHS256, key, claims, nil)
		if (len(raw) > token.MaxLength) != (c.status == 401) {
			t.Fatalf("pad %d makes a token of %d bytes", c.pad, len(raw))
		}
		res := f.verify(raw)
		if res.Status != c.status || res.Body != c.want {
			t.Errorf("token of %d bytes: got %d %s, want %d %s", len(raw), res.Status, res.Body, c.status, c.want)
		}
	}
}

// Key-pointing headers (jku, x5u, jwk) are ignored: only our key decides.
func TestVerifyIgnoresKeyHeaders(t *testing.T) {
	f := newFixture(t, nil)
	attacker := []byte("attacker-key-0123456789abcdef0123456789")
	jwk := map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(attacker)}
	headers := map[string]map[string]any{
		"jku": {"jku": "https://attacker.example/jwks.json"},
		"x5u": {"x5u": "https://attacker.example/cert.pem"},
		"jwk": {"jwk": jwk},
		"all": {"jku": "https://attacker.example/jwks.json", "x5u": "https://attacker.example/cert.pem", "jwk": jwk},
	}
	for name, header := range headers {
		t.Run(name, func(t *testing.T) {
			claims := f.claims("access", f.user)
			expect(t, f.verify(forge(t, jwt.SigningMethodHS256, key, claims, header)), 200, valid)
			expect(t, f.verify(forge(t, jwt.SigningMethodHS256, attacker, claims, header)), 401, invalid)
		})
	}
}

// DESIGN's round-trip budget: an access token costs no DynamoDB call; a refresh token
// one BatchGetItem (user and session together).
func TestVerifyRoundTrips(t *testing.T) {
	f := newFixture(t, nil)
	pair := f.login(t, f.user)
	r1 := f.rotate(t, f.login(t, f.user).Refresh)
	cases := []struct {
		name  string
		token string
		want  map[string]int
	}{
		{"access", pair.Access, map[string]int{}},
		{"refresh, first of its session", pair.Refresh, map[string]int{"BatchGetItem": 1}},
		{"refresh, rotated once", r1, map[string]int{"BatchGetItem": 1}},
	}
	for _, c := range cases {
		f.env.DB.Reset()
		expect(t, f.verify(c.token), 200, valid)
		if got := f.env.DB.Calls(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got calls %v, want %v", c.name, got, c.want)
		}
	}
}
