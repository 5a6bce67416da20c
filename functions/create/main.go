// Command create serves simplejwt's login, POST /auth/jwt/create/, as a Lambda function.
package main

import (
	"net/http"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/password"
)

func main() {
	api.Start(func(d api.Deps) http.Handler {
		return newHandler(d, d.Store, password.NewHasher(password.OWASP))
	})
}
