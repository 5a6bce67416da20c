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

	u, err := env.Store.User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		t.Fatal(err)
	}
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
}

// The template grants the users function exactly the DynamoDB actions its endpoints use,
// on every path: register, profile reads and updates, set_email, set_password, logout_all
// and delete.
func TestAdapterTemplatePolicy(t *testing.T) {
	f := newFixture(t)
	used := map[string]int{}
	// record keeps the function's actions so far; the test's own store reads are not its.
	record := func() {
		for a, n := range f.env.DB.Actions() {
			used[a] += n
		}
		f.env.DB.Reset()
	}
	login := func(a account) []string {
		record()
		defer f.env.DB.Reset()
		return apitest.Bearer(f.login(t, a).Access)
	}
	f.env.DB.Reset()
	a := f.signUp(t, "policy@example.com") // a transaction of two Puts
	expect(t, f.do(http.MethodPost, "/auth/users/", registration(a.Email, "A", "B", goodPassword)), http.StatusBadRequest, emailTaken)
	auth := login(a)
	expect(t, f.do(http.MethodGet, "/auth/users/me/", "", auth...), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))     // BatchGetItem
	expect(t, f.do(http.MethodPatch, "/auth/users/me/", `{}`, auth...), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email)) // nothing to update: GetItem
	expect(t, f.do(http.MethodPut, "/auth/users/me/", `{"first_name":"Ann","last_name":"Lee"}`, auth...), http.StatusOK, meBody("Ann", "Lee", a.ID, a.Email))
	// Put the new marker, Delete the old one, Update the user.
	expect(t, f.do(http.MethodPost, "/auth/users/set_email/", `{"current_password":"`+goodPassword+`","new_email":"policy2@example.com"}`, auth...), http.StatusNoContent, "")
	const newPassword = "An0ther-Passw0rd!"
	expect(t, f.do(http.MethodPost, "/auth/users/set_password/", `{"current_password":"`+goodPassword+`","new_password":"`+newPassword+`"}`, auth...), http.StatusNoContent, "")
	expect(t, f.do(http.MethodPost, "/auth/users/logout_all/", "", auth...), http.StatusNoContent, "")
	auth = login(a)
	expect(t, f.do(http.MethodDelete, "/auth/users/me/", `{"current_password":"`+newPassword+`"}`, auth...), http.StatusNoContent, "") // Deletes both items
	record()
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} {
		if used[action] == 0 {
			t.Errorf("the journeys needed no %s (%v): they no longer cover every path", action, used)
		}
	}
	apitest.CheckTemplatePolicy(t, "UsersFunction", used)
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store, nil).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "UsersFunction", router)
}
