package main

import (
	"net/http"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/session"
	"github.com/jwtauth/jwtauth/shared/token"
)

type handler struct {
	tokens   *token.Issuer
	sessions *session.Service
}

// tokenVerifyMetadata is simplejwt's answer to OPTIONS.
var tokenVerifyMetadata = api.Metadata{
	Name:        "Token Verify",
	Description: "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.",
	Method:      http.MethodPost,
	Fields:      []api.MetaField{{Name: "token", Type: "string", Required: true, Label: "Token"}},
}

// newHandler routes simplejwt's verify endpoint.
func newHandler(deps api.Deps, s session.Store) http.Handler {
	h := &handler{tokens: deps.Tokens, sessions: session.New(s, deps.Tokens, deps.Config.ReuseInterval)}
	return api.NewRouter(deps.CORS, deps.Log,
		api.Route{Path: "/auth/jwt/verify", Methods: map[string]api.HandlerFunc{http.MethodPost: h.verify}, Metadata: tokenVerifyMetadata},
	)
}

// verify accepts an access token on its signature alone (no round trip, as simplejwt,
// Supabase and Cognito do) and a refresh token only while it is its session's current one.
func (h *handler) verify(w http.ResponseWriter, r *http.Request) error {
	data, err := api.ReadData(r)
	if err != nil {
		return err
	}
	var errs api.FieldErrors
	raw, _ := data.String(&errs, "token", api.FieldRule{})
	if err := errs.Err(); err != nil {
		return err
	}
	claims, err := h.tokens.Parse(raw, "")
	if err != nil {
		return api.TokenInvalid(err.Error())
	}
	switch claims.TokenType {
	case token.Access:
	case token.Refresh:
		if err := h.sessions.VerifyRefresh(r.Context(), claims); err != nil {
			return err
		}
	case "":
		return api.TokenInvalid(token.ErrNoType.Error())
	default:
		return api.TokenInvalid(token.ErrWrongType.Error())
	}
	return api.JSON(w, http.StatusOK, struct{}{})
}
