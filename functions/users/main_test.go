package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

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

// goodPassword passes every validator (the reference's password).
const goodPassword = "S3cure-Passw0rd!"

// Bodies the reference answers, word for word.
const (
	notProvided   = `{"detail":"Authentication credentials were not provided."}`
	badHeader     = `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`
	userNotFound  = `{"detail":"User not found","code":"user_not_found"}`
	userInactive  = `{"detail":"User is inactive","code":"user_inactive"}`
	noUserID      = `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`
	emailTaken    = `{"email":["user with this email already exists."]}`
	wrongPassword = `{"current_password":["Invalid password."]}`
	notFound      = `{"message":"Not Found"}`
	weakPassword  = `["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]`
)

// accessInvalid is JWTAuthentication's 401 for a rejected access token.
func accessInvalid(msg string) string {
	return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
}

// blacklistedAccess is the answer for an access token of a revoked session.
var blacklistedAccess = accessInvalid("Token is blacklisted")

// meBody is djoser's UserSerializer (GET/PUT/PATCH me), in its field order.
func meBody(first, last, id, email string) string {
	return `{"first_name":"` + first + `","last_name":"` + last + `","id":"` + id + `","email":"` + email + `"}`
}

type fixture struct {
	env    *storetest.Env
	clock  *apitest.Clock
	tokens *token.Issuer
	hasher *password.Hasher
	h      http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := storetest.New(t)
	clock := apitest.NewClock()
	deps := apitest.Deps(t, env.Store, clock, nil)
	hasher := password.NewHasher(password.Cheap)
	return &fixture{env: env, clock: clock, tokens: deps.Tokens, hasher: hasher, h: newHandler(deps, env.Store, hasher)}
}

func (f *fixture) do(method, path, body string, headers ...string) apitest.Response {
	return apitest.Do(f.h, method, path, body, headers...)
}

// serve sends a request built by the test (for headers apitest.Do would add).
func (f *fixture) serve(req *http.Request) apitest.Response {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return apitest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// registration is a register body (JSON).
func registration(email, first, last, pw string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw, "first_name": first, "last_name": last})
	return string(b)
}

type account struct {
	ID, Email, First, Last, Password string
}

// signUp registers through POST /auth/users/ with goodPassword.
func (f *fixture) signUp(t *testing.T, email string) account {
	t.Helper()
	res := f.do(http.MethodPost, "/auth/users/", registration(email, "Alice", "Smith", goodPassword))
	if res.Status != http.StatusCreated {
		t.Fatalf("sign up %s: got %d %s, want 201", email, res.Status, res.Body)
	}
	return account{ID: res.Field(t, "id"), Email: api.CanonicalEmail(email), First: "Alice", Last: "Smith", Password: goodPassword}
}

// stored reads the user as the store has it now.
func (f *fixture) stored(t *testing.T, id string) store.User {
	t.Helper()
	u, err := f.env.Store.User(context.Background(), id)
	if err != nil {
		t.Fatalf("store.User(%s): %v", id, err)
	}
	return u
}

// login mints a session at the user's current generation, as the create function does.
func (f *fixture) login(t *testing.T, a account) token.Pair {
	t.Helper()
	u := f.stored(t, a.ID)
	p, err := f.tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// emailOwner is the user id the e-mail marker points at ("" when the address is free),
// which is what a login looks up.
func (f *fixture) emailOwner(t *testing.T, email string) string {
	t.Helper()
	l, err := f.env.Store.LoginState(context.Background(), email, f.clock.Now())
	if err != nil {
		t.Fatalf("LoginState(%s): %v", email, err)
	}
	return l.UserID
}

// passwordIs reports whether pw verifies against the user's stored hash.
func (f *fixture) passwordIs(t *testing.T, id, pw string) bool {
	t.Helper()
	ok, _, err := f.hasher.Verify(pw, f.stored(t, id).PasswordHash)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return ok
}

func (f *fixture) me(access string) apitest.Response {
	return f.do(http.MethodGet, "/auth/users/me/", "", apitest.Bearer(access)...)
}

// expect compares status and exact body, and the headers every answer of that status
// carries: WWW-Authenticate on 401, no Content-Type on 204, JSON otherwise.
func expect(t *testing.T, res apitest.Response, status int, body string) {
	t.Helper()
	if res.Status != status || res.Body != body {
		t.Errorf("got %d %s\nwant %d %s", res.Status, res.Body, status, body)
	}
	if got := res.Header.Get("WWW-Authenticate"); status == http.StatusUnauthorized && got != `Bearer realm="api"` {
		t.Errorf("got WWW-Authenticate %q, want %q", got, `Bearer realm="api"`)
	}
	switch ct := res.Header.Get("Content-Type"); {
	case status == http.StatusNoContent && ct != "":
		t.Errorf("got Content-Type %q on 204, want none", ct)
	case status != http.StatusNoContent && ct != "application/json":
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
}

func expectHeader(t *testing.T, res apitest.Response, name, want string) {
	t.Helper()
	if got := res.Header.Get(name); got != want {
		t.Errorf("got %s %q, want %q", name, got, want)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// accessClaims are the claims simplejwt puts in an access token, valid now.
func (f *fixture) accessClaims(userID string) jwt.MapClaims {
	now := f.clock.Now().Unix()
	return jwt.MapClaims{"token_type": "access", "exp": now + 300, "iat": now, "jti": token.NewJTI(), "user_id": userID}
}

// forge signs claims as an attacker or another issuer would.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
	return s
}

// tamper changes the first character of the signature (the last one may only carry
// padding bits that decoders ignore).
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
