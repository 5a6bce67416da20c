// Package token mints and verifies the HS256 JWTs simplejwt issues, so tokens stay
// interchangeable with a Django backend that shares the key.
package token

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Type is the token_type claim.
type Type string

const (
	Access  Type = "access"
	Refresh Type = "refresh"
)

// MaxLength bounds what the parser will look at; our tokens are about 300 bytes.
const MaxLength = 4096

// issuedAtSkew is how far in the future an iat may be before a token is refused: other
// issuers' clocks drift a little, ours never mint future tokens.
const issuedAtSkew = 5 * time.Second

// Errors carry simplejwt's wording: handlers put Error() into the response as it is.
var (
	ErrInvalid    = errors.New("Token is invalid or expired")
	ErrNoExp      = errors.New("Token has no 'exp' claim")
	ErrNoID       = errors.New("Token has no id")
	ErrNoType     = errors.New("Token has no type")
	ErrWrongType  = errors.New("Token has wrong type")
	ErrNoUser     = errors.New("Token contained no recognizable user identification")
	ErrRevoked    = errors.New("Token is blacklisted")
	ErrSessionCap = ErrInvalid // a session past its absolute lifetime reads as expired
)

// Claims are simplejwt's claims, in its order, plus the session fields our revocation
// needs. Tokens minted by simplejwt lack the extra fields and are still accepted.
type Claims struct {
	TokenType Type             `json:"token_type,omitempty"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	ID        string           `json:"jti,omitempty"`
	UserID    string           `json:"user_id,omitempty"`
	// SessionID names the refresh-token family; the first refresh token's jti.
	SessionID string `json:"sid,omitempty"`
	// Generation is the user's revocation generation when the session started.
	Generation int64 `json:"gen,omitempty"`
	// AuthTime is when the session started (login), for the absolute session cap.
	AuthTime int64 `json:"auth_time,omitempty"`
}

// UnmarshalJSON reads the claims; a user_id that is not a string is read as none, so the
// answer is "no recognizable user identification" (as for a string that is not a UUID),
// not a broken token.
func (c *Claims) UnmarshalJSON(b []byte) error {
	type plain Claims
	var raw struct {
		plain
		UserID json.RawMessage `json:"user_id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = Claims(raw.plain)
	c.UserID = ""
	_ = json.Unmarshal(raw.UserID, &c.UserID) // anything but a string leaves it empty
	return nil
}

func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *Claims) GetIssuer() (string, error)                   { return "", nil }
func (c *Claims) GetSubject() (string, error)                  { return "", nil }
func (c *Claims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Session returns the session the token belongs to. simplejwt's tokens have none: their
// jti starts one, so a migrated refresh token is adopted as the origin of a session.
func (c *Claims) Session() string {
	if c.SessionID != "" {
		return c.SessionID
	}
	return c.ID
}

// SessionStart is when the session began; migrated tokens only know their own iat.
func (c *Claims) SessionStart() time.Time {
	if c.AuthTime != 0 {
		return time.Unix(c.AuthTime, 0)
	}
	return c.IssuedAt.Time
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// CanonicalUserID returns user_id in the hyphenated lower-case form our keys use, or
// ErrNoUser when it is not a UUID (simplejwt crashes with a 500 there).
func (c *Claims) CanonicalUserID() (string, error) {
	id := c.UserID
	if !uuidPattern.MatchString(id) {
		return "", ErrNoUser
	}
	raw, _ := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	return FormatUUID(raw), nil
}

// FormatUUID writes 16 bytes as a hyphenated lower-case UUID.
func FormatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewUUID returns a random (version 4) UUID, as Django's uuid4 user ids.
func NewUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// NewJTI returns 32 lowercase hex characters, as uuid4().hex.
func NewJTI() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms; continuing would mint guessable ids.
		panic(fmt.Sprintf("token: crypto/rand: %v", err))
	}
	return b
}
