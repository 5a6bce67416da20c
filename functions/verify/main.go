// Command verify serves POST /auth/jwt/verify/ as a Lambda function.
package main

import (
	"net/http"

	"github.com/jwtauth/jwtauth/shared/api"
)

func main() {
	api.Start(func(d api.Deps) http.Handler { return newHandler(d, d.Store) })
}
