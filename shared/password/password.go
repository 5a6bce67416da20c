// Package password hashes and verifies passwords with argon2id, still verifies
// the hashes stored by the Django server this service replaces, and runs
// Django's default password validators with Django's messages.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// OWASP is the production setting: m=19 MiB (19456 KiB), t=2, p=1, 16-byte salt, 32-byte key.
var OWASP = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Cheap is for tests only: tiny memory, t=1.
var Cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// MaxLength is the longest password accepted, in bytes (argon2 and the validators are not run on more).
const MaxLength = 4096

// ErrMalformedHash is wrapped by every error Verify returns for an encoding it cannot parse or does not support.
var ErrMalformedHash = errors.New("password: malformed or unsupported hash")

var errTooLong = fmt.Errorf("password: longer than %d bytes", MaxLength)

// Limits on argon2 parameters. The lower ones are libargon2's (which produced
// Django's hashes), so we reject what it rejects; the upper ones keep a corrupt
// stored hash from costing gigabytes or minutes.
const (
	maxMemory  = 1 << 20 // KiB, i.e. 1 GiB
	maxTime    = 100
	minSaltLen = 8
	minKeyLen  = 4
	maxByteLen = 1024 // salt and key
)

// Hasher hashes with one set of argon2id parameters and verifies any supported
// encoding. It is safe for concurrent use.
type Hasher struct {
	params Params
	// dummy is a hash in our format with random salt and key: no password
	// matches it, yet checking one against it costs exactly a Verify.
	dummy string
	// idKey is argon2.IDKey; a field only so that tests can see the work done.
	idKey func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

// NewHasher returns a Hasher for p. It panics if p is outside the limits that
// Verify accepts, since that is a programming error.
func NewHasher(p Params) *Hasher {
	if err := checkParams(p); err != nil {
		panic("password: NewHasher: " + err.Error())
	}
	return &Hasher{
		params: p,
		dummy:  encodePHC(p, randomBytes(p.SaltLen), randomBytes(p.KeyLen)),
		idKey:  argon2.IDKey,
	}
}

// Hash returns a PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
// (standard base64, no padding, as the reference argon2 CLI / passlib produce).
// Its only error is for a password longer than MaxLength.
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > MaxLength {
		return "", errTooLong
	}
	p := h.params
	salt := randomBytes(p.SaltLen)
	key := h.idKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

// Verify checks password against encoded in constant time. It accepts our PHC argon2id format and Django's
// legacy formats: "pbkdf2_sha256$<iter>$<salt>$<b64 hash>", "bcrypt_sha256$$2b$12$...", "bcrypt$$2b$12$..." and
// "argon2$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>" (Django's Argon2PasswordHasher format; the argon2i
// variant that Django wrote before 3.2 is accepted too).
// needsUpgrade is true when ok and the encoding is not our PHC argon2id with h's params (so the caller re-hashes on login).
// A malformed or unknown encoding returns ok=false and a non-nil error wrapping ErrMalformedHash (never panics).
// Django's unusable password ("!..." from set_unusable_password) matches nothing, costs a Verify and is no error.
// A password longer than MaxLength matches nothing.
func (h *Hasher) Verify(password, encoded string) (ok, needsUpgrade bool, err error) {
	if len(password) > MaxLength {
		return false, false, nil
	}
	switch {
	case strings.HasPrefix(encoded, "$"):
		a, err := parseArgon2(encoded)
		if err != nil {
			return false, false, err
		}
		if a.variant != "argon2id" {
			return false, false, fmt.Errorf("%w: %s is not our format", ErrMalformedHash, a.variant)
		}
		ok = h.argon2Matches(password, a)
		return ok, ok && a.params != h.params, nil
	case strings.HasPrefix(encoded, "!"):
		h.VerifyDummy(password)
		return false, false, nil
	}
	algorithm, rest, _ := strings.Cut(encoded, "$")
	switch algorithm {
	case "argon2":
		a, err := parseArgon2("$" + rest)
		if err != nil {
			return false, false, err
		}
		ok = h.argon2Matches(password, a)
	case "pbkdf2_sha256":
		ok, err = verifyPBKDF2(password, rest)
	case "bcrypt_sha256":
		ok, err = verifyBcrypt(sha256Hex(password), rest)
	case "bcrypt":
		ok, err = verifyBcrypt(password, rest)
	default:
		return false, false, fmt.Errorf("%w: unknown algorithm %q", ErrMalformedHash, algorithm)
	}
	return ok, ok, err
}

// VerifyDummy spends the same work as Verify on a real hash of ours and always reports false,
// so an unknown e-mail costs the same time as a wrong password.
func (h *Hasher) VerifyDummy(password string) bool {
	_, _, _ = h.Verify(password, h.dummy)
	return false
}

// argon2Hash is a parsed argon2 PHC string.
type argon2Hash struct {
	variant string // "argon2id" or "argon2i"
	params  Params
	salt    []byte
	key     []byte
}

func (h *Hasher) argon2Matches(password string, a argon2Hash) bool {
	kdf := h.idKey
	if a.variant == "argon2i" {
		kdf = argon2.Key
	}
	p := a.params
	got := kdf([]byte(password), a.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, a.key) == 1
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// parseArgon2 parses "$<variant>$v=19$m=<m>,t=<t>,p=<p>$<salt>$<key>" as libargon2 writes it.
func parseArgon2(encoded string) (argon2Hash, error) {
	var a argon2Hash
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return a, fmt.Errorf("%w: argon2 hash needs 5 $-separated fields", ErrMalformedHash)
	}
	a.variant = fields[1]
	if a.variant != "argon2id" && a.variant != "argon2i" {
		return a, fmt.Errorf("%w: unsupported argon2 variant %q", ErrMalformedHash, a.variant)
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return a, fmt.Errorf("%w: unsupported argon2 version %q", ErrMalformedHash, fields[2])
	}
	costs := strings.Split(fields[3], ",")
	if len(costs) != 3 {
		return a, fmt.Errorf("%w: argon2 parameters must be m,t,p", ErrMalformedHash)
	}
	m, errM := parseUint(costs[0], "m=", 32)
	t, errT := parseUint(costs[1], "t=", 32)
	p, errP := parseUint(costs[2], "p=", 8)
	if err := errors.Join(errM, errT, errP); err != nil {
		return a, err
	}
	var errS, errK error
	a.salt, errS = decodeBase64(fields[4])
	a.key, errK = decodeBase64(fields[5])
	if err := errors.Join(errS, errK); err != nil {
		return a, err
	}
	a.params = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(p), SaltLen: uint32(len(a.salt)), KeyLen: uint32(len(a.key))}
	if err := checkParams(a.params); err != nil {
		return a, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return a, nil
}

func checkParams(p Params) error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 t=%d outside [1, %d]", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("argon2 p=0")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("argon2 m=%d outside [8*p, %d]", p.Memory, maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxByteLen:
		return fmt.Errorf("argon2 salt of %d bytes outside [%d, %d]", p.SaltLen, minSaltLen, maxByteLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxByteLen:
		return fmt.Errorf("argon2 key of %d bytes outside [%d, %d]", p.KeyLen, minKeyLen, maxByteLen)
	}
	return nil
}

// parseUint parses prefix followed by a decimal number of at most bits bits.
func parseUint(s, prefix string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, fmt.Errorf("%w: expected %s in %q", ErrMalformedHash, prefix, s)
	}
	n, err := strconv.ParseUint(digits, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return n, nil
}

// decodeBase64 decodes unpadded standard base64 exactly as written: Go's
// decoder skips CR and LF, which the length check catches.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodedLen(len(b)) != len(s) {
		return nil, fmt.Errorf("%w: bad base64 %q", ErrMalformedHash, s)
	}
	return b, nil
}

// randomBytes cannot fail: crypto/rand.Read never returns an error since Go 1.24.
func randomBytes(n uint32) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
