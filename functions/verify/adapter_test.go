package main

import (
	"net/http"
	"testing"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// The function once through the Lambda adapter, with the sample event sam local invoke uses.
func TestAdapterEvents(t *testing.T) {
	f := newFixture(t, nil)
	pair := f.login(t, f.user)
	f.env.DB.Reset()
	cases := []struct {
		name, token string
		status      int
		want        string
	}{
		{"access", pair.Access, http.StatusOK, valid},
		{"refresh", pair.Refresh, http.StatusOK, valid},
		{"tampered", tamperSignature(pair.Access), http.StatusUnauthorized, invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := apitest.Event(t, "verify.json", map[string]string{"REPLACE_WITH_TOKEN": c.token})
			expect(t, apitest.Invoke(t, f.h, ev), c.status, c.want)
		})
	}
}

// The template grants the verify function exactly the DynamoDB actions its paths use: none
// for an access token, one read of user and session for a refresh token, current or not.
func TestAdapterTemplatePolicy(t *testing.T) {
	f := newFixture(t, nil)
	pair := f.login(t, f.user)
	rotated := pair.Refresh
	current := f.rotate(t, rotated)
	f.env.DB.Reset()
	expect(t, f.verify(pair.Access), http.StatusOK, valid)
	expect(t, f.verify(current), http.StatusOK, valid)
	expect(t, f.verify(rotated), http.StatusUnauthorized, blacklisted)
	used := f.env.DB.Actions()
	if used["dynamodb:BatchGetItem"] == 0 {
		t.Errorf("the journeys needed no dynamodb:BatchGetItem (%v): they no longer cover every path", used)
	}
	apitest.CheckTemplatePolicy(t, "VerifyFunction", used)
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "VerifyFunction", router)
}
