package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// The function once through the Lambda adapter, with the sample events sam local invoke
// uses: rotate, log out, and the logged-out token is refused.
func TestAdapterEvents(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	f.env.DB.Reset()
	res := apitest.Invoke(t, f.h, apitest.Event(t, "refresh.json", map[string]string{"REPLACE_WITH_REFRESH_TOKEN": r0}))
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Body, `{"access":"`) {
		t.Fatalf("refresh: got %d %s, want 200 {\"access\":...,\"refresh\":...}", res.Status, res.Body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	r1 := res.Field(t, "refresh")
	if _, err := f.tokens.Parse(r1, "refresh"); err != nil || r1 == r0 {
		t.Fatalf("refresh: got a successor %q (%v), want a new valid refresh token", r1, err)
	}
	res = apitest.Invoke(t, f.h, apitest.Event(t, "blacklist.json", map[string]string{"REPLACE_WITH_REFRESH_TOKEN": r1}))
	if res.Status != http.StatusOK || res.Body != `{}` {
		t.Fatalf("blacklist: got %d %s, want 200 {}", res.Status, res.Body)
	}
	res = apitest.Invoke(t, f.h, apitest.Event(t, "refresh.json", map[string]string{"REPLACE_WITH_REFRESH_TOKEN": r1}))
	if res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Errorf("refresh after logout: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
	}
	if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="api"` {
		t.Errorf("got WWW-Authenticate %q, want %q", got, `Bearer realm="api"`)
	}
}

// The template grants the refresh function exactly the DynamoDB actions its paths use:
// rotation, a retried rotation, logout, and reuse detection.
func TestAdapterTemplatePolicy(t *testing.T) {
	f := newFixture(t, nil)
	r0 := f.login(t).Refresh
	f.env.DB.Reset()
	res := f.refresh(r0) // reads the user, rotates
	r1 := res.Field(t, "refresh")
	if res.Status != http.StatusOK || r1 == "" {
		t.Fatalf("refresh: got %d %s, want 200", res.Status, res.Body)
	}
	if again := f.refresh(r0); again.Status != http.StatusOK || again.Field(t, "refresh") != r1 {
		t.Errorf("retried refresh: got %d %s, want 200 with the same successor", again.Status, again.Body)
	}
	r2 := f.refresh(r1).Field(t, "refresh")
	f.clock.Advance(time.Minute) // past the reuse interval: r0 again is reuse
	if res := f.refresh(r0); res.Status != http.StatusUnauthorized || res.Body != blacklisted {
		t.Errorf("reuse: got %d %s, want 401 %s", res.Status, res.Body, blacklisted)
	}
	r := apitest.Do(f.h, http.MethodPost, "/auth/jwt/blacklist/", `{"refresh":"`+r2+`"}`)
	if r.Status != http.StatusOK {
		t.Errorf("blacklist: got %d %s, want 200", r.Status, r.Body)
	}
	used := f.env.DB.Actions()
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:UpdateItem"} {
		if used[action] == 0 {
			t.Errorf("the journeys needed no %s (%v): they no longer cover every path", action, used)
		}
	}
	apitest.CheckTemplatePolicy(t, "RefreshFunction", used)
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "RefreshFunction", router)
}
