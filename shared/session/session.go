// Package session decides whether a token still opens a session: refresh-token rotation
// with a grace window and reuse detection, logout, and the checks the users endpoints run
// on access tokens. Its answers are already in simplejwt's wire shapes.
package session

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/token"
)

// Store is what the policy reads and writes.
type Store interface {
	User(ctx context.Context, id string) (store.User, error)
	UserAndSession(ctx context.Context, userID, sessionID string, now time.Time) (store.User, *store.Session, error)
	Rotate(ctx context.Context, r store.Rotation) (rotated bool, found *store.Session, err error)
	RevokeSession(ctx context.Context, sessionID, userID string, keepUntil time.Time) error
}

var _ Store = (*store.Store)(nil)

// Service applies the session rules.
type Service struct {
	store  Store
	tokens *token.Issuer
	// reuseInterval: a rotated token presented again this soon after it left the chain is
	// a concurrent request, not a theft.
	reuseInterval time.Duration
}

// New returns a Service.
func New(s Store, tokens *token.Issuer, reuseInterval time.Duration) *Service {
	return &Service{store: s, tokens: tokens, reuseInterval: reuseInterval}
}

// Principal is the authenticated caller of a users endpoint.
type Principal struct {
	User   store.User
	Claims *token.Claims
}

// Authenticate checks the Bearer access token of r as JWTAuthentication does, plus our
// revocations: one round trip reads the user and the token's session together.
func (s *Service) Authenticate(r *http.Request) (Principal, error) {
	raw, present, err := api.BearerToken(r)
	switch {
	case err != nil:
		return Principal{}, err
	case !present:
		return Principal{}, api.NotAuthenticated()
	}
	claims, err := s.tokens.Parse(raw, token.Access)
	if err != nil {
		return Principal{}, api.AccessTokenInvalid(err.Error())
	}
	userID, err := claims.CanonicalUserID()
	if err != nil {
		return Principal{}, api.TokenInvalid(err.Error())
	}
	api.SetUserID(r.Context(), userID)
	user, sess, err := s.store.UserAndSession(r.Context(), userID, claims.SessionID, s.tokens.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, api.UserNotFound()
	case err != nil:
		return Principal{}, err
	case !user.IsActive:
		return Principal{}, api.UserInactive()
	case !user.Allows(claims.Session(), claims.Generation) || (sess != nil && sess.Revoked):
		return Principal{}, api.AccessTokenInvalid(token.ErrRevoked.Error())
	}
	return Principal{User: user, Claims: claims}, nil
}

// parseRefresh verifies a refresh token and names its user.
func (s *Service) parseRefresh(ctx context.Context, raw string) (*token.Claims, string, error) {
	claims, err := s.tokens.Parse(raw, token.Refresh)
	if err != nil {
		return nil, "", api.TokenInvalid(err.Error())
	}
	userID, err := claims.CanonicalUserID()
	if err != nil {
		return nil, "", api.TokenInvalid(err.Error())
	}
	api.SetUserID(ctx, userID)
	return claims, userID, nil
}

func errRevoked() error { return api.TokenInvalid(token.ErrRevoked.Error()) }

// Refresh rotates a refresh token. The user read and the rotation write go out together
// (two round trips, one latency); exactly one rotation of a token wins. A token presented
// again gets its session's current token while its own successor is unused (a lost
// response, however late) or, once the chain moved on, while it left the chain less than
// the reuse interval ago (parallel requests). Anything else is reuse: the session dies.
func (s *Service) Refresh(ctx context.Context, raw string) (token.Pair, error) {
	claims, userID, err := s.parseRefresh(ctx, raw)
	if err != nil {
		return token.Pair{}, err
	}
	next := s.tokens.Successor(*claims)
	now := s.tokens.Now()
	type userResult struct {
		user store.User
		err  error
	}
	userCh := make(chan userResult, 1)
	go func() {
		u, err := s.store.User(ctx, userID)
		userCh <- userResult{u, err}
	}()
	rotated, found, rotateErr := s.store.Rotate(ctx, store.Rotation{
		SessionID: claims.Session(),
		UserID:    userID,
		From:      claims.ID,
		Origin:    claims.ID == claims.Session(),
		To:        store.Minted{JTI: next.ID, IssuedAt: next.IssuedAt.Unix(), ExpiresAt: next.ExpiresAt.Unix()},
		Now:       now,
		// The presented token may outlive its successor if the lifetimes were shortened.
		KeepUntil: latest(next.ExpiresAt.Time, claims.ExpiresAt.Time),
	})
	ur := <-userCh
	switch {
	case errors.Is(ur.err, store.ErrNotFound):
		return token.Pair{}, errRevoked()
	case ur.err != nil:
		return token.Pair{}, ur.err
	case !ur.user.IsActive || !ur.user.Allows(claims.Session(), claims.Generation):
		return token.Pair{}, errRevoked()
	case rotateErr != nil:
		return token.Pair{}, rotateErr
	case rotated:
		return s.tokens.PairFor(next)
	case found == nil || found.Revoked:
		return token.Pair{}, errRevoked()
	case found.PreviousJTI == claims.ID,
		!found.PreviousRotatedAt.IsZero() && now.Sub(found.PreviousRotatedAt) < s.reuseInterval:
		current := token.InChain(*claims, found.Current.JTI, time.Unix(found.Current.IssuedAt, 0), time.Unix(found.Current.ExpiresAt, 0))
		return s.tokens.PairFor(current)
	}
	if err := s.store.RevokeSession(ctx, claims.Session(), userID, now.Add(s.tokens.SessionLifetime())); err != nil {
		return token.Pair{}, err
	}
	return token.Pair{}, errRevoked()
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// VerifyRefresh answers /jwt/verify/ for a refresh token: only a session's current token
// of a user who may still sign in passes. It never changes anything.
func (s *Service) VerifyRefresh(ctx context.Context, claims *token.Claims) error {
	userID, err := claims.CanonicalUserID()
	if err != nil {
		return api.TokenInvalid(err.Error())
	}
	api.SetUserID(ctx, userID)
	user, sess, err := s.store.UserAndSession(ctx, userID, claims.Session(), s.tokens.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errRevoked()
	case err != nil:
		return err
	case !user.IsActive || !user.Allows(claims.Session(), claims.Generation):
		return errRevoked()
	case sess == nil && claims.ID == claims.Session():
		return nil
	case sess == nil || sess.Revoked || sess.Current.JTI != claims.ID:
		return errRevoked()
	}
	return nil
}

// Logout revokes the session of a refresh token; logging out twice is fine.
func (s *Service) Logout(ctx context.Context, raw string) error {
	claims, userID, err := s.parseRefresh(ctx, raw)
	if err != nil {
		return err
	}
	return s.store.RevokeSession(ctx, claims.Session(), userID, s.tokens.Now().Add(s.tokens.SessionLifetime()))
}
