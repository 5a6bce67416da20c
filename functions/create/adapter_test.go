package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/token"
)

// The function once through the Lambda adapter, with the sample event sam local invoke uses.
func TestAdapterEvents(t *testing.T) {
	f := newFixture(t, nil)
	u := f.addUser(t, "alice@example.com", "An0ther-Passw0rd!", true) // events/create.json's credentials
	res := apitest.Invoke(t, f.h, apitest.Event(t, "create.json", nil))
	expect(t, res, http.StatusOK, "")
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	for field, typ := range map[string]token.Type{"access": token.Access, "refresh": token.Refresh} {
		claims, err := f.deps.Tokens.Parse(res.Field(t, field), typ)
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		if claims.UserID != u.ID {
			t.Errorf("%s: got user_id %s, want %s", field, claims.UserID, u.ID)
		}
	}
	wrong := apitest.Event(t, "create.json", map[string]string{"An0ther-Passw0rd!": "wrong-password"})
	expect(t, apitest.Invoke(t, f.h, wrong), http.StatusUnauthorized, badCredentials)
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store, nil).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "CreateFunction", router)
}

// Every DynamoDB action a login needs, on every path, is one the template allows, so no
// path that works on DynamoDB Local is AccessDenied on AWS, and the template allows no other.
func TestAdapterTemplatePolicy(t *testing.T) {
	f := newFixture(t, nil)
	// An argon2id hash with other parameters than ours: the login upgrades it.
	f.addUserWithHash(t, "alice@example.com", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", true)
	f.env.DB.Reset()
	expect(t, f.login(credentials("alice@example.com", "wrong-password")), http.StatusUnauthorized, badCredentials)
	expect(t, f.login(credentials("alice@example.com", "password")), http.StatusOK, "") // throttle reset, hash upgrade
	for i := 0; i < 5; i++ {
		expect(t, f.login(credentials("nobody@example.com", "wrong-password")), http.StatusUnauthorized, badCredentials)
	}
	if res := f.login(credentials("nobody@example.com", "wrong-password")); res.Status != http.StatusTooManyRequests {
		t.Errorf("got %d %s, want 429", res.Status, res.Body)
	}
	f.clock.Advance(25 * time.Hour) // the throttle item outlived its TTL: counting restarts
	expect(t, f.login(credentials("nobody@example.com", "wrong-password")), http.StatusUnauthorized, badCredentials)
	used := f.env.DB.Actions()
	for _, a := range []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:PutItem"} {
		if used[a] == 0 {
			t.Errorf("the logins needed no %s (%v): the scenario no longer covers every path", a, used)
		}
	}
	apitest.CheckTemplatePolicy(t, "CreateFunction", used)
}
