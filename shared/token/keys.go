package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
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

// KeySource reads the key set again (from Secrets Manager), so a rotation reaches warm
// functions without a redeploy.
type KeySource func(ctx context.Context) (KeySet, error)

// How often a key source is read: every keyRefreshInterval, and on a token with an unknown
// kid, at most once per unknownKidInterval (a stream of forged kids must not become a
// stream of Secrets Manager calls).
const (
	keyRefreshInterval = 5 * time.Minute
	unknownKidInterval = 30 * time.Second
	keyReadTimeout     = 2 * time.Second
)

// keyRing holds the key set in use and refreshes it from its source.
type keyRing struct {
	mu      sync.Mutex
	set     KeySet
	source  KeySource
	now     func() time.Time
	fetched time.Time
}

func newKeyRing(set KeySet, source KeySource, now func() time.Time) *keyRing {
	return &keyRing{set: set, source: source, now: now, fetched: now()}
}

// current returns the key set, re-read when it is older than keyRefreshInterval.
func (k *keyRing) current() KeySet {
	return k.refreshIfOlder(keyRefreshInterval)
}

// afterUnknownKid returns the key set, re-read unless it was read very recently.
func (k *keyRing) afterUnknownKid() KeySet {
	return k.refreshIfOlder(unknownKidInterval)
}

func (k *keyRing) refreshIfOlder(age time.Duration) KeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.source == nil || k.now().Sub(k.fetched) < age {
		return k.set
	}
	k.fetched = k.now()
	ctx, cancel := context.WithTimeout(context.Background(), keyReadTimeout)
	defer cancel()
	// A failed read keeps the keys we have: an outage of Secrets Manager must not stop sign-in.
	if set, err := k.source(ctx); err == nil && !set.Empty() {
		k.set = set
	}
	return k.set
}
