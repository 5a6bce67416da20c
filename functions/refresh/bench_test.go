package main

import (
	"net/http"
	"testing"

	"github.com/jwtauth/jwtauth/infra/bench/benchtest"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// BenchmarkRefresh is POST /auth/jwt/refresh/ as a mobile client calls it: each request
// presents the refresh token the previous one returned (make bench: "refresh").
func BenchmarkRefresh(b *testing.B) {
	e := benchtest.New(b)
	u := e.AddUser(b, "x")
	pair, err := e.Deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		b.Fatal(err)
	}
	h := newHandler(e.Deps, e.Store)
	current := pair.Refresh
	e.Run(b, http.StatusOK, func() apitest.Response {
		res := apitest.Do(h, http.MethodPost, "/auth/jwt/refresh/", `{"refresh":"`+current+`"}`)
		if res.Status == http.StatusOK {
			current = res.Field(b, "refresh")
		}
		return res
	})
}
