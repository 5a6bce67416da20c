package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const testKey = "test-signing-key-0123456789abcdef0123456789"

var start = time.Unix(1796329875, 0)

func newIssuer(t *testing.T, now *time.Time, keys string) *Issuer {
	t.Helper()
	ks, err := ParseKeySet(keys)
	if err != nil {
		t.Fatal(err)
	}
	i, err := NewIssuer(Options{Keys: ks, AccessLifetime: 5 * time.Minute, RefreshLifetime: 4320 * time.Hour, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// sign makes a token with any header and claims, as an attacker or another issuer would.
func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(overrides map[string]any, drop ...string) jwt.MapClaims {
	c := jwt.MapClaims{
		"token_type": "access", "exp": start.Add(5 * time.Minute).Unix(), "iat": start.Unix(),
		"jti": "67244ea739a242f889f3c5232ca2c6e2", "user_id": "5e3b7bad-be57-466c-98b1-fdc08896b8a5",
	}
	for k, v := range overrides {
		c[k] = v
	}
	for _, k := range drop {
		delete(c, k)
	}
	return c
}

func TestNewSessionMatchesSimplejwt(t *testing.T) {
	now := start
	i := newIssuer(t, &now, testKey)
	p, err := i.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		raw      string
		typ      string
		lifetime int64
	}{{p.Access, "access", 300}, {p.Refresh, "refresh", 15552000}} {
		parts := strings.Split(c.raw, ".")
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if string(header) != `{"alg":"HS256","typ":"JWT"}` {
			t.Errorf("got header %s", header)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if !strings.HasPrefix(string(payload), `{"token_type":"`+c.typ+`","exp":`) {
			t.Errorf("got payload %s, want simplejwt's key order", payload)
		}
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		if got := int64(m["exp"].(float64) - m["iat"].(float64)); got != c.lifetime {
			t.Errorf("%s: got exp-iat %d, want %d", c.typ, got, c.lifetime)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(m["jti"].(string)) {
			t.Errorf("got jti %v, want 32 lowercase hex", m["jti"])
		}
	}
}

func TestParseAttacks(t *testing.T) {
	now := start
	i := newIssuer(t, &now, testKey)
	key := []byte(testKey)
	valid := sign(t, jwt.SigningMethodHS256, key, nil, claims(nil))
	parts := strings.Split(valid, ".")
	laterExp, _ := json.Marshal(claims(map[string]any{"exp": start.Add(time.Hour).Unix()}))
	noneToken := parts[0][:0] + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	cases := []struct {
		name string
		raw  string
		want error
	}{
		{"valid", valid, nil},
		{"garbage", "garbage", ErrInvalid},
		{"empty", "", ErrInvalid},
		{"alg none", noneToken, ErrInvalid},
		{"HS512 with the real key", sign(t, jwt.SigningMethodHS512, key, nil, claims(nil)), ErrInvalid},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte("another-key-0123456789abcdef0123456789"), nil, claims(nil)), ErrInvalid},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(laterExp) + "." + parts[2], ErrInvalid},
		{"tampered signature", valid[:len(valid)-3] + "abc", ErrInvalid},
		{"expired", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"exp": start.Unix() - 1})), ErrInvalid},
		{"expires this second", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"exp": start.Unix()})), ErrInvalid},
		{"no exp", sign(t, jwt.SigningMethodHS256, key, nil, claims(nil, "exp")), ErrNoExp},
		{"no jti", sign(t, jwt.SigningMethodHS256, key, nil, claims(nil, "jti")), ErrNoID},
		{"no type", sign(t, jwt.SigningMethodHS256, key, nil, claims(nil, "token_type")), ErrNoType},
		{"refresh as access", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"token_type": "refresh"})), ErrWrongType},
		{"iat 6 s in the future", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"iat": start.Unix() + 6})), ErrInvalid},
		{"iat 5 s in the future", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"iat": start.Unix() + 5})), nil},
		{"too long", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"pad": strings.Repeat("x", MaxLength)})), ErrInvalid},
		{"unknown kid", sign(t, jwt.SigningMethodHS256, key, map[string]any{"kid": "other"}, claims(nil)), ErrInvalid},
		{"jku is ignored", sign(t, jwt.SigningMethodHS256, key, map[string]any{"jku": "https://evil.example/jwks", "x5u": "https://evil.example/x5u"}, claims(nil)), nil},
		{"refresh without iat", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"token_type": "refresh"}, "iat")), ErrInvalid},
		{"user_id of the wrong type is read as none", sign(t, jwt.SigningMethodHS256, key, nil, claims(map[string]any{"user_id": 7})), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := i.Parse(c.raw, Access)
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestNonStringUserIDIsUnrecognizable(t *testing.T) {
	now := start
	i := newIssuer(t, &now, testKey)
	for _, v := range []any{7, 12345678901234567890123456789012.0, true, []string{"x"}, map[string]any{}} {
		c, err := i.Parse(sign(t, jwt.SigningMethodHS256, []byte(testKey), nil, claims(map[string]any{"user_id": v})), Access)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if _, err := c.CanonicalUserID(); !errors.Is(err, ErrNoUser) {
			t.Errorf("user_id %v: got %v, want ErrNoUser", v, err)
		}
	}
}

func TestCanonicalUserID(t *testing.T) {
	for raw, want := range map[string]error{
		"5e3b7bad-be57-466c-98b1-fdc08896b8a5": nil,
		"5E3B7BADBE57466C98B1FDC08896B8A5":     nil,
		"not-a-uuid":                           ErrNoUser,
		"":                                     ErrNoUser,
	} {
		c := Claims{UserID: raw}
		got, err := c.CanonicalUserID()
		if !errors.Is(err, want) {
			t.Errorf("%q: got %v, want %v", raw, err, want)
		}
		if err == nil && got != "5e3b7bad-be57-466c-98b1-fdc08896b8a5" {
			t.Errorf("%q: got %q", raw, got)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	now := start
	old := newIssuer(t, &now, testKey)
	legacy, err := old.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 0)
	if err != nil {
		t.Fatal(err)
	}
	rotated := newIssuer(t, &now, `{"current":"k2","keys":{"k2":"second-key-0123456789abcdef0123456789","k1":"`+testKey+`"}}`)
	if _, err := rotated.Parse(legacy.Access, Access); err != nil {
		t.Errorf("token without kid signed by a previous key: got %v, want valid", err)
	}
	fresh, err := rotated.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Parse(fresh.Access, Access); !errors.Is(err, ErrInvalid) {
		t.Errorf("token with kid k2 at an issuer without it: got %v, want invalid", err)
	}
	removed := newIssuer(t, &now, `{"current":"k2","keys":{"k2":"second-key-0123456789abcdef0123456789"}}`)
	if _, err := removed.Parse(legacy.Access, Access); !errors.Is(err, ErrInvalid) {
		t.Errorf("token of a removed key: got %v, want invalid", err)
	}
}

func TestInChainSignsIdentically(t *testing.T) {
	now := start
	i := newIssuer(t, &now, testKey)
	p, _ := i.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 3)
	next := i.Successor(p.RefreshClaims)
	first, _ := i.PairFor(next)
	now = now.Add(time.Hour)
	again, _ := i.PairFor(InChain(p.RefreshClaims, next.ID, next.IssuedAt.Time, next.ExpiresAt.Time))
	if first.Refresh != again.Refresh {
		t.Errorf("re-signed successor differs:\n%s\n%s", first.Refresh, again.Refresh)
	}
}

func TestParseKeySetRejectsWeakKeys(t *testing.T) {
	for _, s := range []string{"short", `{"current":"a","keys":{"a":"short"}}`, `{"current":"b","keys":{"a":"` + testKey + `"}}`, `{bad json`} {
		if _, err := ParseKeySet(s); err == nil {
			t.Errorf("%q: got no error", s)
		}
	}
}

func TestKeySourceIsReadAgain(t *testing.T) {
	now := start
	first, _ := ParseKeySet(`{"current":"k1","keys":{"k1":"` + testKey + `"}}`)
	second, _ := ParseKeySet(`{"current":"k1","keys":{"k1":"` + testKey + `","k2":"second-key-0123456789abcdef0123456789"}}`)
	reads := 0
	source := func(context.Context) (KeySet, error) {
		reads++
		if reads == 1 {
			return KeySet{}, errors.New("secrets manager is down")
		}
		return second, nil
	}
	i, err := NewIssuer(Options{Keys: first, KeySource: source, AccessLifetime: time.Minute, RefreshLifetime: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	newKey := sign(t, jwt.SigningMethodHS256, []byte("second-key-0123456789abcdef0123456789"), map[string]any{"kid": "k2"}, claims(nil))
	if _, err := i.Parse(newKey, Access); !errors.Is(err, ErrInvalid) || reads != 0 {
		t.Fatalf("unknown kid right after start: got %v after %d reads, want invalid without a read", err, reads)
	}
	now = now.Add(31 * time.Second)
	if _, err := i.Parse(newKey, Access); !errors.Is(err, ErrInvalid) || reads != 1 {
		t.Fatalf("unknown kid while the source fails: got %v after %d reads", err, reads)
	}
	if _, err := i.Parse(sign(t, jwt.SigningMethodHS256, []byte(testKey), map[string]any{"kid": "k1"}, claims(nil)), Access); err != nil {
		t.Fatalf("a failed read dropped the keys we had: %v", err)
	}
	now = now.Add(31 * time.Second)
	if _, err := i.Parse(newKey, Access); err != nil || reads != 2 {
		t.Fatalf("unknown kid after the rotation: got %v after %d reads, want valid", err, reads)
	}
	for n := 0; n < 10; n++ {
		i.Parse(sign(t, jwt.SigningMethodHS256, []byte(testKey), map[string]any{"kid": "forged"}, claims(nil)), Access)
	}
	if reads != 2 {
		t.Errorf("forged kids caused %d more reads, want none inside the interval", reads-2)
	}
}
