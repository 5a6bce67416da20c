package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/session"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

// The revocations the users endpoints trigger, seen from refresh, verify and the users
// endpoints' authentication, with tokens issued before and after each.

type fixture struct {
	ctx    context.Context
	env    *storetest.Env
	clock  *apitest.Clock
	tokens *token.Issuer
	svc    *session.Service
	user   store.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := storetest.New(t)
	clock := apitest.NewClock()
	deps := apitest.Deps(t, env.Store, clock, nil)
	u := store.User{ID: token.NewUUID(), Email: "s@example.com", PasswordHash: "x", IsActive: true}
	if err := env.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: context.Background(), env: env, clock: clock, tokens: deps.Tokens,
		svc: session.New(env.Store, deps.Tokens, deps.Config.ReuseInterval), user: u}
}

func (f *fixture) login(t *testing.T) token.Pair {
	t.Helper()
	u, err := f.env.Store.User(f.ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// status is 200 or the status of the *api.Error.
func status(err error) int {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Status
	}
	if err != nil {
		return 0
	}
	return http.StatusOK
}

func (f *fixture) refresh(raw string) int {
	_, err := f.svc.Refresh(f.ctx, raw)
	return status(err)
}

func (f *fixture) me(access string) int {
	r := httptest.NewRequest(http.MethodGet, "/auth/users/me/", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	_, err := f.svc.Authenticate(r)
	return status(err)
}

func (f *fixture) verify(raw string) int {
	c, err := f.tokens.Parse(raw, token.Refresh)
	if err != nil {
		return status(api.TokenInvalid(err.Error()))
	}
	return status(f.svc.VerifyRefresh(f.ctx, c))
}

func TestLogoutAll(t *testing.T) {
	f := newFixture(t)
	a, b := f.login(t), f.login(t)
	if err := f.env.Store.RevokeAll(f.ctx, f.user.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []token.Pair{a, b} {
		if got := f.refresh(p.Refresh); got != 401 {
			t.Errorf("refresh issued before: got %d, want 401", got)
		}
		if got := f.me(p.Access); got != 401 {
			t.Errorf("access issued before: got %d, want 401", got)
		}
	}
	after := f.login(t)
	if got := f.me(after.Access); got != 200 {
		t.Errorf("access issued after: got %d, want 200", got)
	}
	if got := f.refresh(after.Refresh); got != 200 {
		t.Errorf("refresh issued after: got %d, want 200", got)
	}
}

func TestSetPasswordKeepsTheCallersSession(t *testing.T) {
	f := newFixture(t)
	caller, other := f.login(t), f.login(t)
	if err := f.env.Store.SetPassword(f.ctx, f.user.ID, "new", caller.AccessClaims.SessionID, caller.AccessClaims.Generation, 0); err != nil {
		t.Fatal(err)
	}
	if got := f.me(other.Access); got != 401 {
		t.Errorf("other session's access: got %d, want 401", got)
	}
	if got := f.refresh(other.Refresh); got != 401 {
		t.Errorf("other session's refresh: got %d, want 401", got)
	}
	if got := f.me(caller.Access); got != 200 {
		t.Errorf("caller's access: got %d, want 200", got)
	}
	next, err := f.svc.Refresh(f.ctx, caller.Refresh)
	if err != nil {
		t.Fatalf("caller's refresh: %v", err)
	}
	if got := f.me(next.Access); got != 200 {
		t.Errorf("caller's rotated access: got %d, want 200", got)
	}
	if got := f.me(f.login(t).Access); got != 200 {
		t.Errorf("a new login: got %d, want 200", got)
	}
}

func TestLogoutEndsOneSession(t *testing.T) {
	f := newFixture(t)
	a, b := f.login(t), f.login(t)
	if err := f.svc.Logout(f.ctx, a.Refresh); err != nil {
		t.Fatal(err)
	}
	if got := f.refresh(a.Refresh); got != 401 {
		t.Errorf("logged-out refresh: got %d", got)
	}
	if got := f.verify(a.Refresh); got != 401 {
		t.Errorf("verify logged-out refresh: got %d", got)
	}
	if got := f.me(a.Access); got != 401 {
		t.Errorf("logged-out session's access: got %d", got)
	}
	if got := f.refresh(b.Refresh); got != 200 {
		t.Errorf("the other session: got %d", got)
	}
}

func TestDeletedAndInactiveUsers(t *testing.T) {
	f := newFixture(t)
	p := f.login(t)
	if err := f.env.Store.SetActive(f.ctx, f.user.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := []int{f.refresh(p.Refresh), f.verify(p.Refresh), f.me(p.Access)}, []int{401, 401, 401}; !equal(got, want) {
		t.Errorf("inactive: got %v, want %v", got, want)
	}
	if err := f.env.Store.SetActive(f.ctx, f.user.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := f.me(p.Access); got != 200 {
		t.Errorf("reactivated: got %d", got)
	}
	if err := f.env.Store.DeleteUser(f.ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if got, want := []int{f.refresh(p.Refresh), f.verify(p.Refresh), f.me(p.Access)}, []int{401, 401, 401}; !equal(got, want) {
		t.Errorf("deleted: got %v, want %v", got, want)
	}
}

func TestVerifyRefreshOnlyTheCurrentToken(t *testing.T) {
	f := newFixture(t)
	r0 := f.login(t).Refresh
	if got := f.verify(r0); got != 200 {
		t.Fatalf("first token: got %d", got)
	}
	next, err := f.svc.Refresh(f.ctx, r0)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.verify(r0); got != 401 {
		t.Errorf("rotated token: got %d, want 401", got)
	}
	if got := f.verify(next.Refresh); got != 200 {
		t.Errorf("current token: got %d, want 200", got)
	}
	f.env.DB.Reset()
	f.verify(next.Refresh)
	if got := f.env.DB.Total(); got != 1 {
		t.Errorf("verify of a refresh token: got %d calls, want 1", got)
	}
	// verify never revokes: the rotated token still gets its successor
	if again, err := f.svc.Refresh(f.ctx, r0); err != nil || again.Refresh != next.Refresh {
		t.Errorf("retry after verify: got %v", err)
	}
}

// A migrated simplejwt refresh token (no sid, no kid) is adopted: its jti starts a session.
func TestSimplejwtTokenIsAdopted(t *testing.T) {
	f := newFixture(t)
	p := f.login(t)
	legacy := p.RefreshClaims
	legacy.SessionID, legacy.AuthTime, legacy.Generation = "", 0, 0
	pair, err := f.tokens.PairFor(legacy)
	if err != nil {
		t.Fatal(err)
	}
	next, err := f.svc.Refresh(f.ctx, pair.Refresh)
	if err != nil {
		t.Fatalf("adoption: %v", err)
	}
	c, _ := f.tokens.Parse(next.Refresh, token.Refresh)
	if c.SessionID != legacy.ID {
		t.Errorf("got session %q, want the legacy jti %q", c.SessionID, legacy.ID)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Refresh(f.ctx, next.Refresh); err != nil {
		t.Errorf("chain continues: %v", err)
	}
	f.clock.Advance(time.Minute)
	if got := f.refresh(pair.Refresh); got != 401 {
		t.Errorf("legacy token reused after the chain moved on: got %d, want 401", got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A straggler of a parallel burst can arrive after the winner's successor was itself
// rotated: inside the reuse interval it joins the chain instead of killing the session.
func TestStragglerInsideTheWindowJoinsTheChain(t *testing.T) {
	f := newFixture(t)
	r0 := f.login(t).Refresh
	r1, err := f.svc.Refresh(f.ctx, r0)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	r2, err := f.svc.Refresh(f.ctx, r1.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	got, err := f.svc.Refresh(f.ctx, r0)
	if err != nil || got.Refresh != r2.Refresh {
		t.Fatalf("straggler: got %v, want the current token", err)
	}
	f.clock.Advance(10 * time.Second)
	if got := f.refresh(r0); got != 401 {
		t.Errorf("after the window: got %d, want 401", got)
	}
	if got := f.refresh(r2.Refresh); got != 401 {
		t.Errorf("the session was not revoked by the reuse: got %d", got)
	}
}

// The window runs from when the presented token left the chain, not from the newest
// rotation: a token stolen long ago is reuse even right after the owner refreshed.
func TestOldTokenRightAfterALaterRotationIsReuse(t *testing.T) {
	f := newFixture(t)
	r0 := f.login(t).Refresh
	r1, err := f.svc.Refresh(f.ctx, r0)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	r2, err := f.svc.Refresh(f.ctx, r1.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	if got := f.refresh(r0); got != 401 {
		t.Fatalf("a token rotated out an hour ago: got %d, want 401", got)
	}
	if got := f.refresh(r2.Refresh); got != 401 {
		t.Errorf("the session survived the reuse: got %d", got)
	}
}
