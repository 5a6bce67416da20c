package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/password"
	"github.com/jwtauth/jwtauth/shared/session"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/token"
)

// userStore is what the users endpoints need from the store.
type userStore interface {
	session.Store
	session.ThrottleStore
	ThrottleState(ctx context.Context, email string, now time.Time) (store.Throttle, error)
	CreateUser(ctx context.Context, u store.User) error
	UpdateProfile(ctx context.Context, id string, p store.Profile) (store.User, error)
	SetPassword(ctx context.Context, id, hash, keep string, keepGeneration, seenGeneration int64) error
	RevokeAll(ctx context.Context, id string) error
	DeleteUser(ctx context.Context, u store.User) error
	ChangeEmail(ctx context.Context, u store.User, newEmail string) error
}

var _ userStore = (*store.Store)(nil)

type handler struct {
	store    userStore
	sessions *session.Service
	throttle *session.Throttle
	hasher   *password.Hasher
	tokens   *token.Issuer
}

// newHandler routes djoser's /auth/users/ endpoints.
func newHandler(deps api.Deps, s userStore, hasher *password.Hasher) http.Handler {
	h := &handler{
		store:    s,
		sessions: session.New(s, deps.Tokens, deps.Config.ReuseInterval),
		throttle: session.NewThrottle(s),
		hasher:   hasher,
		tokens:   deps.Tokens,
	}
	return api.NewRouter(deps.CORS, deps.Log,
		api.Route{Path: "/auth/users", Methods: map[string]api.HandlerFunc{
			http.MethodPost:    h.register,
			http.MethodOptions: h.metadata(registerMetadata),
		}},
		api.Route{Path: "/auth/users/me", Methods: map[string]api.HandlerFunc{
			http.MethodGet:     h.authenticated(h.me),
			http.MethodPut:     h.authenticated(h.updateMe(false)),
			http.MethodPatch:   h.authenticated(h.updateMe(true)),
			http.MethodDelete:  h.authenticated(h.deleteMe),
			http.MethodOptions: h.metadata(meMetadata),
		}},
		api.Route{Path: "/auth/users/set_password", Methods: map[string]api.HandlerFunc{
			http.MethodPost:    h.authenticated(h.setPassword),
			http.MethodOptions: h.metadata(setPasswordMetadata),
		}},
		api.Route{Path: "/auth/users/set_email", Methods: map[string]api.HandlerFunc{
			http.MethodPost:    h.authenticated(h.setEmail),
			http.MethodOptions: h.metadata(setEmailMetadata),
		}},
		api.Route{Path: "/auth/users/logout_all", Methods: map[string]api.HandlerFunc{
			http.MethodPost:    h.authenticated(h.logoutAll),
			http.MethodOptions: h.metadata(api.Metadata{Name: "Logout all"}),
		}},
	)
}

// DRF's OPTIONS answers for djoser's views (their fields as its serializers declare them).
var (
	firstNameField       = api.MetaField{Name: "first_name", Type: "string", Required: true, Label: "First name", MaxLength: 150}
	lastNameField        = api.MetaField{Name: "last_name", Type: "string", Required: true, Label: "Last name", MaxLength: 150}
	idField              = api.MetaField{Name: "id", Type: "field", ReadOnly: true, Label: "ID"}
	currentPasswordField = api.MetaField{Name: "current_password", Type: "string", Required: true, Label: "Current password"}

	registerMetadata = api.Metadata{Name: "User List", Method: http.MethodPost, Fields: []api.MetaField{
		firstNameField, lastNameField,
		{Name: "email", Type: "email", Required: true, Label: "Email", MaxLength: api.MaxEmailLength},
		idField,
		{Name: "password", Type: "string", Required: true, Label: "Password"},
	}}
	meMetadata = api.Metadata{Name: "Me", Method: http.MethodPut, Fields: []api.MetaField{
		firstNameField, lastNameField, idField,
		{Name: "email", Type: "email", ReadOnly: true, Label: "Email", MaxLength: api.MaxEmailLength},
	}}
	setPasswordMetadata = api.Metadata{Name: "Set password", Method: http.MethodPost, Fields: []api.MetaField{
		{Name: "new_password", Type: "string", Required: true, Label: "New password"}, currentPasswordField,
	}}
	setEmailMetadata = api.Metadata{Name: "Set username", Method: http.MethodPost, Fields: []api.MetaField{
		{Name: "new_email", Type: "email", Required: true, Label: "Email", MaxLength: api.MaxEmailLength}, currentPasswordField,
	}}
)

// metadata answers OPTIONS as DRF does on djoser's views: for an authenticated caller
// only (the reference answers 401 without credentials).
func (h *handler) metadata(m api.Metadata) api.HandlerFunc {
	return h.authenticated(func(w http.ResponseWriter, _ *http.Request, _ session.Principal) error {
		return api.WriteMetadata(w, m)
	})
}

type authedFunc func(w http.ResponseWriter, r *http.Request, p session.Principal) error

// authenticated runs f for a caller with a valid, unrevoked access token.
func (h *handler) authenticated(f authedFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.sessions.Authenticate(r)
		if err != nil {
			return err
		}
		return f(w, r, p)
	}
}

// Field limits of the Django user model the reference uses.
var (
	nameRule     = api.FieldRule{MaxLength: 150}
	emailRule    = api.FieldRule{MaxLength: api.MaxEmailLength, Email: true}
	passwordRule = api.FieldRule{MaxLength: password.MaxLength}
)

func (h *handler) register(w http.ResponseWriter, r *http.Request) error {
	data, err := api.ReadData(r)
	if err != nil {
		return err
	}
	var errs api.FieldErrors // djoser's field order: REQUIRED_FIELDS, email, password
	first, _ := data.String(&errs, "first_name", nameRule)
	last, _ := data.String(&errs, "last_name", nameRule)
	email, _ := data.String(&errs, "email", emailRule)
	pw, _ := data.String(&errs, "password", passwordRule)
	if err := errs.Err(); err != nil {
		return err
	}
	email = api.CanonicalEmail(email)
	if msgs := password.Validate(pw, password.UserAttributes{Email: email, FirstName: first, LastName: last}); len(msgs) > 0 {
		return api.FieldError("password", msgs...)
	}
	hash, err := h.hasher.Hash(pw)
	if err != nil {
		return err
	}
	u := store.User{
		ID: token.NewUUID(), Email: email, FirstName: first, LastName: last,
		PasswordHash: hash, IsActive: true, DateJoined: h.tokens.Now(),
	}
	api.SetUserID(r.Context(), u.ID)
	// The transaction is the uniqueness check: no read before it can race.
	if err := h.store.CreateUser(r.Context(), u); errors.Is(err, store.ErrEmailTaken) {
		return api.FieldError("email", "user with this email already exists.")
	} else if err != nil {
		return err
	}
	return api.JSON(w, http.StatusCreated, struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Email     string `json:"email"`
		ID        string `json:"id"`
	}{u.FirstName, u.LastName, u.Email, u.ID})
}

// userBody is djoser's UserSerializer, in its field order.
func userBody(u store.User) any {
	return struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		ID        string `json:"id"`
		Email     string `json:"email"`
	}{u.FirstName, u.LastName, u.ID, u.Email}
}

func (h *handler) me(w http.ResponseWriter, _ *http.Request, p session.Principal) error {
	return api.JSON(w, http.StatusOK, userBody(p.User))
}

// updateMe is PUT (every editable field required) or PATCH (partial); email is read-only.
func (h *handler) updateMe(partial bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p session.Principal) error {
		data, err := api.ReadData(r)
		if err != nil {
			return err
		}
		rule := nameRule
		rule.Optional = partial
		var errs api.FieldErrors
		var profile store.Profile
		if v, ok := data.String(&errs, "first_name", rule); ok {
			profile.FirstName = &v
		}
		if v, ok := data.String(&errs, "last_name", rule); ok {
			profile.LastName = &v
		}
		if err := errs.Err(); err != nil {
			return err
		}
		u, err := h.store.UpdateProfile(r.Context(), p.User.ID, profile)
		if errors.Is(err, store.ErrNotFound) {
			return api.UserNotFound()
		} else if err != nil {
			return err
		}
		return api.JSON(w, http.StatusOK, userBody(u))
	}
}

// checkCurrentPassword reads current_password and records "Invalid password." as djoser's
// field validator does. Guesses count towards the e-mail's throttle as failed logins do, so
// a stolen access token cannot guess the password at leisure; the error is a 429 or a
// store failure.
func (h *handler) checkCurrentPassword(ctx context.Context, data api.Data, errs *api.FieldErrors, u store.User) error {
	current, ok := data.String(errs, "current_password", passwordRule)
	if !ok {
		return nil
	}
	now := h.tokens.Now()
	state, err := h.store.ThrottleState(ctx, u.Email, now)
	if err != nil {
		return err
	}
	if err := h.throttle.Admit(ctx, u.Email, state, now); err != nil {
		return err
	}
	if valid, _, _ := h.hasher.Verify(current, u.PasswordHash); !valid {
		errs.Add("current_password", "Invalid password.")
		return h.throttle.Failed(ctx, u.Email, now)
	}
	return h.throttle.Succeeded(ctx, u.Email, state)
}

// readConfirmed reads field and current_password, in djoser's order (the new value first),
// and checks the password.
func (h *handler) readConfirmed(r *http.Request, u store.User, field string, rule api.FieldRule) (string, error) {
	data, err := api.ReadData(r)
	if err != nil {
		return "", err
	}
	var errs api.FieldErrors
	value, _ := data.String(&errs, field, rule)
	if err := h.checkCurrentPassword(r.Context(), data, &errs, u); err != nil {
		return "", err
	}
	return value, errs.Err()
}

func (h *handler) deleteMe(w http.ResponseWriter, r *http.Request, p session.Principal) error {
	data, err := api.ReadData(r)
	if err != nil {
		return err
	}
	var errs api.FieldErrors
	if err := h.checkCurrentPassword(r.Context(), data, &errs, p.User); err != nil {
		return err
	}
	if err := errs.Err(); err != nil {
		return err
	}
	err = h.store.DeleteUser(r.Context(), p.User)
	if errors.Is(err, store.ErrConflict) { // its e-mail changed meanwhile: delete what is there now
		var u store.User
		if u, err = h.store.User(r.Context(), p.User.ID); err == nil {
			err = h.store.DeleteUser(r.Context(), u)
		}
	}
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound):
		return api.NoContent(w)
	case errors.Is(err, store.ErrConflict):
		return errAccountChanged()
	}
	return err
}

func (h *handler) setPassword(w http.ResponseWriter, r *http.Request, p session.Principal) error {
	newPassword, err := h.readConfirmed(r, p.User, "new_password", passwordRule)
	if err != nil {
		return err
	}
	u := p.User
	if msgs := password.Validate(newPassword, password.UserAttributes{Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}); len(msgs) > 0 {
		return api.FieldError("new_password", msgs...)
	}
	hash, err := h.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	// The caller's session survives; every other session of the user ends. A revocation
	// since authentication (logout_all, another password change) revoked the caller too.
	switch err := h.store.SetPassword(r.Context(), u.ID, hash, p.Claims.SessionID, p.Claims.Generation, u.Generation); {
	case errors.Is(err, store.ErrConflict):
		return api.AccessTokenInvalid(token.ErrRevoked.Error())
	case err != nil:
		return err
	}
	return api.NoContent(w)
}

func (h *handler) setEmail(w http.ResponseWriter, r *http.Request, p session.Principal) error {
	newEmail, err := h.readConfirmed(r, p.User, "new_email", emailRule)
	if err != nil {
		return err
	}
	newEmail = api.CanonicalEmail(newEmail)
	if newEmail == p.User.Email {
		return api.NoContent(w)
	}
	switch err := h.store.ChangeEmail(r.Context(), p.User, newEmail); {
	case errors.Is(err, store.ErrEmailTaken):
		return api.FieldError("new_email", "user with this email already exists.")
	case errors.Is(err, store.ErrConflict):
		return errAccountChanged()
	case err != nil:
		return err
	}
	return api.NoContent(w)
}

func (h *handler) logoutAll(w http.ResponseWriter, r *http.Request, p session.Principal) error {
	if _, err := api.ReadData(r); err != nil {
		return err
	}
	if err := h.store.RevokeAll(r.Context(), p.User.ID); err != nil {
		return notFoundAsUser(err)
	}
	return api.NoContent(w)
}

// errAccountChanged answers a write that lost a race with another change of the account.
func errAccountChanged() error {
	return api.Detail(http.StatusConflict, "The account changed meanwhile; try again.")
}

// notFoundAsUser answers for a user deleted between authentication and the write.
func notFoundAsUser(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return api.UserNotFound()
	}
	return err
}
