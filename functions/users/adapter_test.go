package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/password"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

// The function once through the Lambda adapter, with the sample events sam local invoke
// uses: register, then GET me with an access token of the new account.
func TestAdapterEvents(t *testing.T) {
	env := storetest.New(t)
	deps := apitest.Deps(t, env.Store, apitest.NewClock(), nil)
	h := newHandler(deps, env.Store, password.NewHasher(password.Cheap))
	email := "adapter-" + token.NewJTI()[:12] + "@example.com"
	register := apitest.Event(t, "users-register.json", map[string]string{"alice@example.com": email})

	res := apitest.Invoke(t, h, register)
	id := ""
	if res.Status == http.StatusCreated {
		id = res.Field(t, "id")
	}
	if want := `{"first_name":"Alice","last_name":"Smith","email":"` + email + `","id":"` + id + `"}`; res.Status != http.StatusCreated || res.Body != want || id == "" {
		t.Fatalf("register: got %d %s, want 201 %s", res.Status, res.Body, want)
	}
	res = apitest.Invoke(t, h, register)
	if want := `{"email":["user with this email already exists."]}`; res.Status != http.StatusBadRequest || res.Body != want {
		t.Errorf("register again: got %d %s, want 400 %s", res.Status, res.Body, want)
	}

	calls := env.DB.Calls() // the function's calls; the test's own reads below are not counted
	u, err := env.Store.User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		t.Fatal(err)
	}
	env.DB.Reset()
	res = apitest.Invoke(t, h, apitest.Event(t, "users-me.json", map[string]string{"REPLACE_WITH_ACCESS_TOKEN": pair.Access}))
	if want := `{"first_name":"Alice","last_name":"Smith","id":"` + id + `","email":"` + email + `"}`; res.Status != http.StatusOK || res.Body != want {
		t.Errorf("me: got %d %s, want 200 %s", res.Status, res.Body, want)
	}
	if got := res.Header.Get("Allow"); got != "GET, PUT, PATCH, DELETE, HEAD, OPTIONS" {
		t.Errorf("me: got Allow %q", got)
	}
	res = apitest.Invoke(t, h, apitest.Event(t, "users-me.json", map[string]string{"REPLACE_WITH_ACCESS_TOKEN": pair.Refresh}))
	if want := `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token has wrong type"}]}`; res.Status != http.StatusUnauthorized || res.Body != want {
		t.Errorf("me with a refresh token: got %d %s, want 401 %s", res.Status, res.Body, want)
	}
	for op, n := range env.DB.Calls() {
		calls[op] += n
	}
	apitest.CheckTemplatePolicy(t, "UsersFunction", calls)
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store, nil).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "UsersFunction", router)
}
