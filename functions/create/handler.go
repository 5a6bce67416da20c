package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/password"
	"github.com/jwtauth/jwtauth/shared/session"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/token"
)

// loginStore is what login needs from the store.
type loginStore interface {
	session.ThrottleStore
	LoginState(ctx context.Context, email string, now time.Time) (store.Login, error)
	User(ctx context.Context, id string) (store.User, error)
	UpgradePassword(ctx context.Context, id, oldHash, newHash string) error
}

var _ loginStore = (*store.Store)(nil)

// unknownUserID is read when an e-mail has no account, so both paths make the same calls.
const unknownUserID = "00000000-0000-0000-0000-000000000000"

// passwordHasher is the part of *password.Hasher login uses; tests count its verifications to
// show an unknown e-mail costs the same work as a wrong password.
type passwordHasher interface {
	Hash(password string) (string, error)
	Verify(password, encoded string) (ok, needsUpgrade bool, err error)
	VerifyDummy(password string) bool
}

var _ passwordHasher = (*password.Hasher)(nil)

type handler struct {
	store    loginStore
	throttle *session.Throttle
	hasher   passwordHasher
	tokens   *token.Issuer
	log      *slog.Logger
}

// tokenObtainMetadata is simplejwt's answer to OPTIONS (reference #140).
var tokenObtainMetadata = api.Metadata{
	Name:        "Token Obtain Pair",
	Description: "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.",
	Method:      http.MethodPost,
	Fields: []api.MetaField{
		{Name: "email", Type: "string", Required: true, Label: "Email"},
		{Name: "password", Type: "string", Required: true, Label: "Password"},
	},
}

// newHandler routes simplejwt's TokenObtainPairView.
func newHandler(deps api.Deps, s loginStore, hasher passwordHasher) http.Handler {
	h := &handler{store: s, throttle: session.NewThrottle(s), hasher: hasher, tokens: deps.Tokens, log: deps.Log}
	return api.NewRouter(deps.CORS, deps.Log,
		api.Route{Path: "/auth/jwt/create", Methods: map[string]api.HandlerFunc{http.MethodPost: h.login}, Metadata: tokenObtainMetadata},
	)
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) error {
	data, err := api.ReadData(r)
	if err != nil {
		return err
	}
	var errs api.FieldErrors
	email, _ := data.String(&errs, "email", api.FieldRule{})
	pw, _ := data.String(&errs, "password", api.FieldRule{MaxLength: password.MaxLength})
	if err := errs.Err(); err != nil {
		return err
	}
	ctx := r.Context()
	email = api.CanonicalEmail(email)
	if utf8.RuneCountInString(email) > api.MaxEmailLength {
		// no account can have it, and its key would not fit DynamoDB's limit
		h.hasher.VerifyDummy(pw)
		return api.BadCredentials()
	}
	now := h.tokens.Now()
	state, err := h.store.LoginState(ctx, email, now)
	if err != nil {
		return err
	}
	if err := h.throttle.Admit(ctx, email, state.Throttle, now); err != nil {
		return err
	}
	userID := state.UserID
	if userID == "" {
		userID = unknownUserID
	}
	u, err := h.store.User(ctx, userID)
	ok, upgrade := false, false
	switch {
	case err == nil:
		ok, upgrade, _ = h.hasher.Verify(pw, u.PasswordHash)
	case errors.Is(err, store.ErrNotFound):
		h.hasher.VerifyDummy(pw)
	default:
		return err
	}
	if !ok || !u.IsActive {
		if err := h.throttle.Failed(ctx, email, now); err != nil {
			return err
		}
		return api.BadCredentials()
	}
	if err := h.throttle.Succeeded(ctx, email, state.Throttle); err != nil {
		return err
	}
	if upgrade {
		h.upgradeHash(ctx, u, pw)
	}
	api.SetUserID(ctx, u.ID)
	pair, err := h.tokens.NewSession(u.ID, u.Generation)
	if err != nil {
		return err
	}
	return api.JSON(w, http.StatusOK, struct {
		Refresh string `json:"refresh"`
		Access  string `json:"access"`
	}{pair.Refresh, pair.Access})
}

// upgradeHash re-hashes a legacy (Django) or weaker hash with ours. A failure costs only
// the upgrade, never the login: the old hash still verifies next time.
func (h *handler) upgradeHash(ctx context.Context, u store.User, pw string) {
	hash, err := h.hasher.Hash(pw)
	if err == nil {
		err = h.store.UpgradePassword(ctx, u.ID, u.PasswordHash, hash)
	}
	if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict: the password changed meanwhile
		h.log.WarnContext(ctx, "password hash upgrade failed; the next login retries", "user_id", u.ID, "error", err)
	}
}
