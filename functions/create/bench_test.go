package main

import (
	"net/http"
	"testing"

	"github.com/jwtauth/jwtauth/infra/bench/benchtest"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/password"
)

// BenchmarkLogin is POST /auth/jwt/create/ with the right password, hashed with the
// production argon2id parameters (make bench: "login").
func BenchmarkLogin(b *testing.B) {
	e := benchtest.New(b)
	hasher := password.NewHasher(password.OWASP)
	hash, err := hasher.Hash(goodPassword)
	if err != nil {
		b.Fatal(err)
	}
	u := e.AddUser(b, hash)
	h := newHandler(e.Deps, e.Store, hasher)
	body := credentials(u.Email, goodPassword)
	e.Run(b, http.StatusOK, func() apitest.Response {
		return apitest.Do(h, http.MethodPost, "/auth/jwt/create/", body)
	})
}
