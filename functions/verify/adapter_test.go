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
	apitest.CheckTemplatePolicy(t, "VerifyFunction", f.env.DB.Calls())
}

func TestAdapterTemplateRoutes(t *testing.T) {
	deps := apitest.Deps(t, nil, apitest.NewClock(), nil)
	router, ok := newHandler(deps, deps.Store).(*api.Router)
	if !ok {
		t.Fatal("newHandler does not return an *api.Router")
	}
	apitest.CheckTemplateRoutes(t, "VerifyFunction", router)
}
