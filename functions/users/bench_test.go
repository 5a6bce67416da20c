package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/jwtauth/jwtauth/infra/bench/benchtest"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/password"
)

// BenchmarkRegister is POST /auth/users/ of a new account, its password hashed with the
// production argon2id parameters (make bench: "register").
func BenchmarkRegister(b *testing.B) {
	e := benchtest.New(b)
	h := newHandler(e.Deps, e.Store, password.NewHasher(password.OWASP))
	n := 0
	e.Run(b, http.StatusCreated, func() apitest.Response {
		n++
		body := registration("new"+strconv.Itoa(n)+"@example.com", "Alice", "Smith", goodPassword)
		return apitest.Do(h, http.MethodPost, "/auth/users/", body)
	})
}

// BenchmarkMe is GET /auth/users/me/ (make bench: "me").
func BenchmarkMe(b *testing.B) {
	e := benchtest.New(b)
	u := e.AddUser(b, "x")
	pair, err := e.Deps.Tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		b.Fatal(err)
	}
	h := newHandler(e.Deps, e.Store, password.NewHasher(password.OWASP))
	auth := apitest.Bearer(pair.Access)
	e.Run(b, http.StatusOK, func() apitest.Response {
		return apitest.Do(h, http.MethodGet, "/auth/users/me/", "", auth...)
	})
}
