package password

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Django 3.2 wrote 260000 PBKDF2 iterations and bcrypt cost 12; the caps stop a
// corrupt stored hash from costing minutes.
const (
	maxPBKDF2Iterations = 10_000_000
	maxBcryptCost       = 16
	bcryptHashLen       = 60 // "$2b$12$" + 22 salt + 31 hash characters
	bcryptMaxPassword   = 72 // bcrypt only uses this many bytes
)

// verifyPBKDF2 checks "<iterations>$<salt>$<base64 hash>", the part after
// "pbkdf2_sha256$". Like Django, it recomputes the base64 hash and compares
// the strings.
func verifyPBKDF2(password, rest string) (bool, error) {
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return false, fmt.Errorf("%w: pbkdf2_sha256 hash needs 4 $-separated fields", ErrMalformedHash)
	}
	iterations, salt, want := fields[0], fields[1], fields[2]
	n, err := strconv.Atoi(iterations)
	// Django compares the whole re-encoded string, so a non-canonical count
	// such as "0260000" could never match.
	if err != nil || n < 1 || n > maxPBKDF2Iterations || strconv.Itoa(n) != iterations {
		return false, fmt.Errorf("%w: pbkdf2_sha256 iterations %q", ErrMalformedHash, iterations)
	}
	if salt == "" { // Django asserts a non-empty salt
		return false, fmt.Errorf("%w: pbkdf2_sha256 empty salt", ErrMalformedHash)
	}
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), n, sha256.Size)
	if err != nil {
		return false, err
	}
	got := base64.StdEncoding.EncodeToString(key)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1, nil
}

// verifyBcrypt checks a bcrypt hash, the part after "bcrypt$" or
// "bcrypt_sha256$", as Django 3.2 with the bcrypt package of its time did.
func verifyBcrypt(password, hash string) (bool, error) {
	if len(hash) != bcryptHashLen {
		// x/crypto/bcrypt ignores characters past the 60th; Django compares them.
		return false, fmt.Errorf("%w: bcrypt hash of %d characters", ErrMalformedHash, len(hash))
	}
	switch hash[:4] {
	case "$2a$", "$2b$", "$2y$": // the prefixes the Python bcrypt package accepts
	default:
		return false, fmt.Errorf("%w: bcrypt prefix %q", ErrMalformedHash, hash[:4])
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d above %d", ErrMalformedHash, cost, maxBcryptCost)
	}
	secret := []byte(password)
	// Python's bcrypt raises ValueError on a NUL byte, so Django never let
	// such a password in.
	if bytes.IndexByte(secret, 0) >= 0 {
		return false, nil
	}
	// Python's bcrypt cuts the password at 72 bytes, where x/crypto/bcrypt
	// refuses longer passwords when hashing.
	secret = secret[:min(len(secret), bcryptMaxPassword)]
	switch err := bcrypt.CompareHashAndPassword([]byte(hash), secret); {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
}

// sha256Hex is what Django's bcrypt_sha256 feeds bcrypt: the lower-case hex
// SHA-256 of the UTF-8 password, so bcrypt's 72-byte cut never bites.
func sha256Hex(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}
