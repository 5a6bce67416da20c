package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer mints and verifies tokens with one key set and one clock.
type Issuer struct {
	keys            *keyRing
	accessLifetime  time.Duration
	refreshLifetime time.Duration
	sessionCap      time.Duration // 0: sessions slide forever, as simplejwt's
	now             func() time.Time
	parser          *jwt.Parser
}

// Options configure an Issuer.
type Options struct {
	Keys KeySet
	// KeySource, when set, is read every few minutes and on an unknown kid.
	KeySource       KeySource
	AccessLifetime  time.Duration
	RefreshLifetime time.Duration
	SessionCap      time.Duration
	// Now is the clock; nil means time.Now. Tests inject one so expiry never sleeps.
	Now func() time.Time
}

// NewIssuer checks the options and builds an Issuer.
func NewIssuer(o Options) (*Issuer, error) {
	if o.Keys.Empty() {
		return nil, errors.New("token: no signing key")
	}
	if o.AccessLifetime < time.Second || o.RefreshLifetime < time.Second {
		return nil, errors.New("token: lifetimes must be at least 1s")
	}
	if o.SessionCap < 0 {
		return nil, errors.New("token: session cap must not be negative")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Issuer{
		keys:            newKeyRing(o.Keys, o.KeySource, now),
		accessLifetime:  o.AccessLifetime,
		refreshLifetime: o.RefreshLifetime,
		sessionCap:      o.SessionCap,
		now:             now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			// iat is checked by Parse with its own skew: WithIssuedAt would share the
			// leeway with exp, and exp has none (simplejwt's LEEWAY = 0).
			jwt.WithTimeFunc(now),
		),
	}, nil
}

// Now is the issuer's clock.
func (i *Issuer) Now() time.Time { return i.now() }

// SessionLifetime is the longest a session can last: the cap when set, otherwise a
// revocation marker must outlive the newest refresh token, which lives RefreshLifetime.
func (i *Issuer) SessionLifetime() time.Duration {
	if i.sessionCap > 0 && i.sessionCap < i.refreshLifetime {
		return i.sessionCap
	}
	return i.refreshLifetime
}

// Pair is a login's or a rotation's answer.
type Pair struct {
	Access, Refresh string
	RefreshClaims   Claims
	AccessClaims    Claims
}

// NewSession mints the first pair of a session: the refresh token's jti names the session.
func (i *Issuer) NewSession(userID string, generation int64) (Pair, error) {
	now := i.now().Truncate(time.Second)
	jti := NewJTI()
	refresh := Claims{
		TokenType:  Refresh,
		ExpiresAt:  i.refreshExpiry(now, now),
		IssuedAt:   jwt.NewNumericDate(now),
		ID:         jti,
		UserID:     userID,
		SessionID:  jti,
		Generation: generation,
		AuthTime:   now.Unix(),
	}
	return i.pair(refresh, now)
}

// Successor returns the claims of the refresh token that replaces prev in its session:
// a fresh jti, iat and a full lifetime (sliding, bounded by the session cap).
func (i *Issuer) Successor(prev Claims) Claims {
	now := i.now().Truncate(time.Second)
	return InChain(prev, NewJTI(), now, i.refreshExpiry(now, prev.SessionStart()).Time)
}

// InChain returns the claims of a refresh token of prev's session: everything but jti,
// iat and exp is shared by the whole chain, so a stored (jti, iat, exp) signs again to the
// very same token.
func InChain(prev Claims, jti string, issuedAt, expiresAt time.Time) Claims {
	return Claims{
		TokenType:  Refresh,
		ExpiresAt:  jwt.NewNumericDate(expiresAt),
		IssuedAt:   jwt.NewNumericDate(issuedAt),
		ID:         jti,
		UserID:     prev.UserID,
		SessionID:  prev.Session(),
		Generation: prev.Generation,
		AuthTime:   prev.SessionStart().Unix(),
	}
}

// PairFor signs refresh (minted by Successor, possibly earlier: the same claims sign to
// the same bytes) and a fresh access token of the same session.
func (i *Issuer) PairFor(refresh Claims) (Pair, error) {
	return i.pair(refresh, i.now().Truncate(time.Second))
}

func (i *Issuer) pair(refresh Claims, now time.Time) (Pair, error) {
	access := Claims{
		TokenType:  Access,
		ExpiresAt:  jwt.NewNumericDate(now.Add(i.accessLifetime)),
		IssuedAt:   jwt.NewNumericDate(now),
		ID:         NewJTI(),
		UserID:     refresh.UserID,
		SessionID:  refresh.SessionID,
		Generation: refresh.Generation,
	}
	a, err := i.sign(access)
	if err != nil {
		return Pair{}, err
	}
	r, err := i.sign(refresh)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Access: a, Refresh: r, RefreshClaims: refresh, AccessClaims: access}, nil
}

func (i *Issuer) refreshExpiry(now, sessionStart time.Time) *jwt.NumericDate {
	exp := now.Add(i.refreshLifetime)
	if i.sessionCap > 0 {
		if limit := sessionStart.Add(i.sessionCap); limit.Before(exp) {
			exp = limit
		}
	}
	return jwt.NewNumericDate(exp)
}

func (i *Issuer) sign(c Claims) (string, error) {
	kid, key := i.keys.current().signingKey()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, &c)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return s, nil
}

// Parse verifies signature, algorithm, exp, iat and jti, and, unless want is "", the
// token type. Errors are this package's sentinels, in simplejwt's order of checks.
func (i *Issuer) Parse(raw string, want Type) (*Claims, error) {
	if raw == "" || len(raw) > MaxLength {
		return nil, ErrInvalid
	}
	claims := &Claims{}
	_, err := i.parser.ParseWithClaims(raw, claims, i.keyFor)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// the signature was good: only exp can be missing (the one claim the parser requires)
		return nil, ErrNoExp
	default:
		return nil, ErrInvalid
	}
	if claims.IssuedAt != nil && claims.IssuedAt.Time.After(i.now().Add(issuedAtSkew)) {
		return nil, ErrInvalid
	}
	if claims.TokenType == Refresh && claims.IssuedAt == nil {
		// a session starts at its first token's iat; simplejwt always sets one
		return nil, ErrInvalid
	}
	if claims.ID == "" {
		return nil, ErrNoID
	}
	if want != "" {
		switch claims.TokenType {
		case "":
			return nil, ErrNoType
		case want:
		default:
			return nil, ErrWrongType
		}
	}
	if claims.TokenType == Refresh && i.sessionCap > 0 && !i.now().Before(claims.SessionStart().Add(i.sessionCap)) {
		return nil, ErrSessionCap
	}
	return claims, nil
}

// keyFor picks the verification key by kid only: jku, x5u and jwk headers are ignored, so
// a token can never point us at a key of its choosing.
func (i *Issuer) keyFor(t *jwt.Token) (any, error) {
	keys := i.keys.current()
	kid, present := t.Header["kid"]
	if !present {
		return jwt.VerificationKeySet{Keys: toKeys(keys.all())}, nil
	}
	name, ok := kid.(string)
	if !ok || name == "" {
		return nil, ErrInvalid
	}
	key, ok := keys.lookup(name)
	if !ok {
		// a key added since we last read the secret: read it again, rate-limited
		key, ok = i.keys.afterUnknownKid().lookup(name)
	}
	if !ok {
		return nil, ErrInvalid
	}
	return key, nil
}

func toKeys(keys [][]byte) []jwt.VerificationKey {
	out := make([]jwt.VerificationKey, len(keys))
	for n, k := range keys {
		out[n] = k
	}
	return out
}
