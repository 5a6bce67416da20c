package main

import (
	"net/http"
	"testing"

	"github.com/jwtauth/jwtauth/infra/bench/benchtest"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// BenchmarkVerify is POST /auth/jwt/verify/ with an access token (make bench: "verify").
func BenchmarkVerify(b *testing.B) {
	e := benchtest.New(b)
	u := e.AddUser(b, "x")
	pair, err := e.Deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		b.Fatal(err)
	}
	h := newHandler(e.Deps, e.Store)
	body := `{"token":"` + pair.Access + `"}`
	e.Run(b, http.StatusOK, func() apitest.Response {
		return apitest.Do(h, http.MethodPost, "/auth/jwt/verify/", body)
	})
}
