package main

import (
	"net/http"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/session"
)

type handler struct {
	sessions *session.Service
}

// simplejwt's answers to OPTIONS.
var (
	tokenRefreshMetadata = api.Metadata{
		Name:        "Token Refresh",
		Description: "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.",
		Method:      http.MethodPost,
		Fields: []api.MetaField{
			{Name: "refresh", Type: "string", Required: true, Label: "Refresh"},
			{Name: "access", Type: "string", ReadOnly: true, Label: "Access"},
		},
	}
	tokenBlacklistMetadata = api.Metadata{
		Name:        "Token Blacklist",
		Description: "Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.",
		Method:      http.MethodPost,
		Fields:      []api.MetaField{{Name: "refresh", Type: "string", Required: true, Label: "Refresh"}},
	}
)

// newHandler routes simplejwt's refresh and blacklist (logout) endpoints.
func newHandler(deps api.Deps, s session.Store) http.Handler {
	h := &handler{sessions: session.New(s, deps.Tokens, deps.Config.ReuseInterval)}
	return api.NewRouter(deps.CORS, deps.Log,
		api.Route{Path: "/auth/jwt/refresh", Methods: map[string]api.HandlerFunc{http.MethodPost: h.refresh}, Metadata: tokenRefreshMetadata},
		api.Route{Path: "/auth/jwt/blacklist", Methods: map[string]api.HandlerFunc{http.MethodPost: h.blacklist}, Metadata: tokenBlacklistMetadata},
	)
}

// refreshToken reads the "refresh" field as simplejwt's serializers do.
func refreshToken(r *http.Request) (string, error) {
	data, err := api.ReadData(r)
	if err != nil {
		return "", err
	}
	var errs api.FieldErrors
	raw, _ := data.String(&errs, "refresh", api.FieldRule{})
	return raw, errs.Err()
}

func (h *handler) refresh(w http.ResponseWriter, r *http.Request) error {
	raw, err := refreshToken(r)
	if err != nil {
		return err
	}
	pair, err := h.sessions.Refresh(r.Context(), raw)
	if err != nil {
		return err
	}
	return api.JSON(w, http.StatusOK, struct {
		Access  string `json:"access"`
		Refresh string `json:"refresh"`
	}{pair.Access, pair.Refresh})
}

func (h *handler) blacklist(w http.ResponseWriter, r *http.Request) error {
	raw, err := refreshToken(r)
	if err != nil {
		return err
	}
	if err := h.sessions.Logout(r.Context(), raw); err != nil {
		return err
	}
	return api.JSON(w, http.StatusOK, struct{}{})
}
