package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// KeySet holds the HMAC keys: one signs, all verify, so a key can be rotated in two phases.
type KeySet struct {
	current string
	keys    map[string][]byte
	// order lists the kids to try for a token without kid: current first, then the rest.
	order []string
}

// minKeyLength rejects keys an attacker could brute-force from one token.
const minKeyLength = 32

// ParseKeySet reads either a plain key (one key, tokens without kid, as simplejwt signs
// with SECRET_KEY) or JSON {"current":"<kid>","keys":{"<kid>":"<key>"}}.
func ParseKeySet(secret string) (KeySet, error) {
	trimmed := strings.TrimSpace(secret)
	if !strings.HasPrefix(trimmed, "{") {
		if len(secret) < minKeyLength {
			return KeySet{}, fmt.Errorf("token: signing key must be at least %d bytes", minKeyLength)
		}
		return KeySet{keys: map[string][]byte{"": []byte(secret)}, order: []string{""}}, nil
	}
	var doc struct {
		Current string            `json:"current"`
		Keys    map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(trimmed), &doc); err != nil {
		return KeySet{}, errors.New("token: signing keys: not valid JSON")
	}
	if _, ok := doc.Keys[doc.Current]; !ok || doc.Current == "" {
		return KeySet{}, errors.New(`token: signing keys: "current" must name one of "keys"`)
	}
	ks := KeySet{current: doc.Current, keys: make(map[string][]byte, len(doc.Keys)), order: []string{doc.Current}}
	others := make([]string, 0, len(doc.Keys))
	for kid, key := range doc.Keys {
		if len(key) < minKeyLength {
			return KeySet{}, fmt.Errorf("token: signing key %q must be at least %d bytes", kid, minKeyLength)
		}
		ks.keys[kid] = []byte(key)
		if kid != doc.Current {
			others = append(others, kid)
		}
	}
	sort.Strings(others)
	ks.order = append(ks.order, others...)
	return ks, nil
}

// signingKey returns the current kid ("" for a plain key) and its key.
func (ks KeySet) signingKey() (string, []byte) { return ks.current, ks.keys[ks.current] }

// lookup returns the key for kid, or false.
func (ks KeySet) lookup(kid string) ([]byte, bool) {
	k, ok := ks.keys[kid]
	return k, ok
}

// all returns every key, current first, for tokens that carry no kid.
func (ks KeySet) all() [][]byte {
	out := make([][]byte, 0, len(ks.order))
	for _, kid := range ks.order {
		out = append(out, ks.keys[kid])
	}
	return out
}

// Empty reports whether no key is configured.
func (ks KeySet) Empty() bool { return len(ks.keys) == 0 }
