package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

type fixture struct {
	env    *storetest.Env
	clock  *apitest.Clock
	tokens *token.Issuer
	h      http.Handler
	user   store.User
}

func newFixture(t *testing.T, env map[string]string) *fixture {
	t.Helper()
	e := storetest.New(t)
	clock := apitest.NewClock()
	deps := apitest.Deps(t, e.Store, clock, env)
	u := store.User{ID: token.NewUUID(), Email: strings.ToLower(t.Name()) + "@example.com", FirstName: "A", LastName: "B", PasswordHash: "x", IsActive: true}
	if err := e.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return &fixture{env: e, clock: clock, tokens: deps.Tokens, h: newHandler(deps, e.Store), user: u}
}

// login mints a session as the create function would.
func (f *fixture) login(t *testing.T) token.Pair {
	t.Helper()
	p, err := f.tokens.NewSession(f.user.ID, f.user.Generation)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) refresh(raw string) apitest.Response {
	return apitest.Do(f.h, http.MethodPost, "/auth/jwt/refresh/", `{"refresh":"`+raw+`"}`)
}

const blacklisted = `{"detail":"Token is blacklisted","code":"token_not_valid"}`

func TestRefreshRotates(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	f.clock.Advance(3 * time.Second)
	f.env.DB.Reset()
	res := f.refresh(r0)
	if res.Status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", res.Status, res.Body)
	}
	if !strings.HasPrefix(res.Body, `{"access":"`) {
		t.Errorf("got body %s, want access first", res.Body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	if got := f.env.DB.Total(); got > 2 {
		t.Errorf("got %d DynamoDB calls (%v), want at most 2", got, f.env.DB.Calls())
	}
	access, err := f.tokens.Parse(res.Field(t, "access"), token.Access)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := access.IssuedAt.Unix(), f.clock.Now().Unix(); got != want {
		t.Errorf("got access iat %d, want the time of the refresh %d", got, want)
	}
	r1 := res.Field(t, "refresh")
	claims, err := f.tokens.Parse(r1, token.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := claims.ExpiresAt.Unix(), f.clock.Now().Add(4320*time.Hour).Unix(); got != want {
		t.Errorf("got refresh exp %d, want a full sliding lifetime %d", got, want)
	}
	if res := f.refresh(r1); res.Status != http.StatusOK {
		t.Errorf("refreshing the successor: got %d %s, want 200", res.Status, res.Body)
	}
}

// 50 rounds of 8 parallel refreshes of one token: one rotation wins, every caller gets the
// same successor, and the chain continues from it.
func TestRefreshParallelOneRotation(t *testing.T) {
	f := newFixture(t, nil)
	current := f.login(t).Refresh
	for round := 0; round < 50; round++ {
		var wg sync.WaitGroup
		results := make([]apitest.Response, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = f.refresh(current)
			}()
		}
		wg.Wait()
		successors := map[string]bool{}
		for _, res := range results {
			if res.Status != http.StatusOK {
				t.Fatalf("round %d: got %d %s, want 200", round, res.Status, res.Body)
			}
			successors[res.Field(t, "refresh")] = true
		}
		if len(successors) != 1 {
			t.Fatalf("round %d: got %d distinct successors, want 1", round, len(successors))
		}
		for s := range successors {
			current = s
		}
		f.clock.Advance(time.Minute) // past the reuse window: the old token is spent
	}
	if res := f.refresh(current); res.Status != http.StatusOK {
		t.Fatalf("chain end: got %d %s, want 200", res.Status, res.Body)
	}
}

func TestRefreshLostResponseGetsSameSuccessor(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	first := f.refresh(r0) // its answer is "lost"
	f.clock.Advance(time.Hour)
	retry := f.refresh(r0)
	if retry.Status != http.StatusOK || retry.Field(t, "refresh") != first.Field(t, "refresh") {
		t.Fatalf("late retry: got %d %s, want 200 with the same successor", retry.Status, retry.Body)
	}
	if res := f.refresh(first.Field(t, "refresh")); res.Status != http.StatusOK {
		t.Fatalf("successor: got %d %s, want 200", res.Status, res.Body)
	}
}

func TestRefreshReuseRevokesSession(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	other := f.login(t).Refresh
	r1 := f.refresh(r0).Field(t, "refresh")
	f.clock.Advance(time.Second)
	r2 := f.refresh(r1).Field(t, "refresh")
	f.clock.Advance(time.Minute)
	if res := f.refresh(r0); res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Fatalf("reuse: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
	}
	if res := f.refresh(r2); res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Errorf("newest token after reuse: got %d %s, want 401", res.Status, res.Body)
	}
	if res := f.refresh(other); res.Status != http.StatusOK {
		t.Errorf("another session: got %d %s, want 200", res.Status, res.Body)
	}
}

func TestRefreshChecksUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	r := f.login(t).Refresh
	if err := f.env.Store.SetActive(ctx, f.user.ID, false); err != nil {
		t.Fatal(err)
	}
	if res := f.refresh(r); res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Errorf("inactive user: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
	}
	if err := f.env.Store.SetActive(ctx, f.user.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.env.Store.DeleteUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if res := f.refresh(r); res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Errorf("deleted user: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
	}
}

func TestRefreshErrors(t *testing.T) {
	f := newFixture(t, nil)
	pair := f.login(t)
	tampered := pair.Refresh[:len(pair.Refresh)-2] + "xx"
	invalid := `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"access token (#47)", `{"refresh":"` + pair.Access + `"}`, 401, `{"detail":"Token has wrong type","code":"token_not_valid"}`},
		{"garbage (#48)", `{"refresh":"garbage"}`, 401, invalid},
		{"tampered signature (#49)", `{"refresh":"` + tampered + `"}`, 401, invalid},
		{"missing field (#50)", `{}`, 400, `{"refresh":["This field is required."]}`},
		{"empty string (#51)", `{"refresh":""}`, 400, `{"refresh":["This field may not be blank."]}`},
		{"number (#52)", `{"refresh":12345}`, 401, invalid},
		{"malformed JSON (#53)", `{"refresh":`, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 12 (char 11)"}`},
		{"null body", `null`, 400, `{"non_field_errors":["No data provided"]}`},
		{"list body", `[]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"list value", `{"refresh":[]}`, 400, `{"refresh":["Not a valid string."]}`},
		{"trailing garbage", `{"refresh":"x"} x`, 400, `{"detail":"JSON parse error - Extra data: line 1 column 17 (char 16)"}`},
		{"huge token", `{"refresh":"` + strings.Repeat("a", 5000) + `"}`, 401, invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := apitest.Do(f.h, http.MethodPost, "/auth/jwt/refresh", c.body)
			if res.Status != c.status || res.Body != c.want {
				t.Errorf("got %d %s, want %d %s", res.Status, res.Body, c.status, c.want)
			}
			if c.status == 401 && res.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

func TestRefreshExpiry(t *testing.T) {
	f := newFixture(t, map[string]string{"ACCESS_TOKEN_LIFETIME": "2s", "REFRESH_TOKEN_LIFETIME": "8s"})
	r0 := f.login(t).Refresh
	spare := f.login(t).Refresh
	f.clock.Advance(3 * time.Second)
	res := f.refresh(r0) // #151
	if res.Status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", res.Status, res.Body)
	}
	r1 := res.Field(t, "refresh")
	f.clock.Advance(6 * time.Second) // 9 s after login: spare and r0 expired, r1 (issued at 3 s) alive
	invalid := `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
	if res := f.refresh(spare); res.Status != 401 || res.Body != invalid { // #152
		t.Errorf("expired: got %d %s", res.Status, res.Body)
	}
	if res := f.refresh(r0); res.Status != 401 || res.Body != invalid { // #155
		t.Errorf("rotated and expired: got %d %s", res.Status, res.Body)
	}
	if res := f.refresh(r1); res.Status != 200 { // #157
		t.Errorf("sliding successor: got %d %s", res.Status, res.Body)
	}
}

func TestSessionCap(t *testing.T) {
	f := newFixture(t, map[string]string{"SESSION_MAX_LIFETIME": "1h"})
	r := f.login(t).Refresh
	for i := 0; i < 3; i++ {
		f.clock.Advance(15 * time.Minute)
		res := f.refresh(r)
		if res.Status != 200 {
			t.Fatalf("within the cap: got %d %s", res.Status, res.Body)
		}
		r = res.Field(t, "refresh")
	}
	f.clock.Advance(16 * time.Minute)
	if res := f.refresh(r); res.Status != 401 || res.Body != `{"detail":"Token is invalid or expired","code":"token_not_valid"}` {
		t.Errorf("past the cap: got %d %s, want 401 invalid", res.Status, res.Body)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	r1 := f.refresh(r0).Field(t, "refresh")
	for i := 0; i < 2; i++ { // logging out twice is fine
		res := apitest.Do(f.h, http.MethodPost, "/auth/jwt/blacklist/", `{"refresh":"`+r1+`"}`)
		if res.Status != 200 || res.Body != `{}` {
			t.Fatalf("logout: got %d %s, want 200 {}", res.Status, res.Body)
		}
	}
	for _, r := range []string{r0, r1} {
		if res := f.refresh(r); res.Status != 401 || res.Body != blacklisted {
			t.Errorf("after logout: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
		}
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/auth/jwt/refresh/", 405},
		{http.MethodPost, "/auth/jwt/refreshXYZ", 404},
		{http.MethodPost, "/auth/jwt/refresh/x", 404},
		{http.MethodOptions, "/auth/jwt/refresh/", 200},
	}
	for _, c := range cases {
		res := apitest.Do(f.h, c.method, c.path, "")
		if res.Status != c.status {
			t.Errorf("%s %s: got %d %s, want %d", c.method, c.path, res.Status, res.Body, c.status)
		}
		if c.status == 405 && (res.Header.Get("Allow") != "POST, OPTIONS" || res.Body != `{"detail":"Method \"GET\" not allowed."}`) {
			t.Errorf("405: got Allow %q body %s", res.Header.Get("Allow"), res.Body)
		}
	}
}
