package session

import (
	"context"
	"math"
	"time"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/store"
)

// Password throttling per e-mail (known or unknown alike), for logins and for the users
// endpoints that check a current password: after freeAttempts consecutive failures an
// e-mail waits 2^(n-5) seconds after each further failure, up to maxBackoff; the count is
// forgotten after throttleMemory without failures.
const (
	freeAttempts   = 5
	maxBackoff     = 15 * time.Minute
	throttleMemory = 24 * time.Hour
)

// ThrottleStore keeps the throttle state.
type ThrottleStore interface {
	RecordFailure(ctx context.Context, email string, now time.Time, keep time.Duration) (store.Throttle, error)
	ResetThrottle(ctx context.Context, email string) error
	ClaimAttempt(ctx context.Context, email string, seen store.Throttle, now time.Time) (bool, error)
}

var _ ThrottleStore = (*store.Store)(nil)

// Throttle applies the policy; the caller reads the state (a login reads it together
// with the e-mail's owner).
type Throttle struct {
	store ThrottleStore
}

// NewThrottle returns the policy over s.
func NewThrottle(s ThrottleStore) *Throttle { return &Throttle{store: s} }

// window is how long an e-mail with n failures waits after the last one.
func window(n int) time.Duration {
	if n < freeAttempts {
		return 0
	}
	if exp := n - freeAttempts; exp < 20 {
		return min(time.Duration(1<<exp)*time.Second, maxBackoff)
	}
	return maxBackoff
}

// Admit lets an attempt check a password, or answers 429. Past freeAttempts it lets one
// attempt per window through, claimed with a conditional write so parallel attempts
// cannot all pass.
func (t *Throttle) Admit(ctx context.Context, email string, state store.Throttle, now time.Time) error {
	if wait := state.LastFailure.Add(window(state.Failures)).Sub(now); state.Failures >= freeAttempts && wait > 0 {
		return throttled(wait)
	}
	if state.Failures < freeAttempts {
		return nil
	}
	won, err := t.store.ClaimAttempt(ctx, email, state, now)
	switch {
	case err != nil:
		return err
	case !won: // another attempt took this window
		return throttled(window(state.Failures))
	}
	return nil
}

// Failed counts a wrong password.
func (t *Throttle) Failed(ctx context.Context, email string, now time.Time) error {
	_, err := t.store.RecordFailure(ctx, email, now, throttleMemory)
	return err
}

// Succeeded forgets earlier failures (one write, only when there were any).
func (t *Throttle) Succeeded(ctx context.Context, email string, state store.Throttle) error {
	if state.Failures == 0 {
		return nil
	}
	return t.store.ResetThrottle(ctx, email)
}

func throttled(wait time.Duration) error {
	return api.Throttled(int(math.Ceil(wait.Seconds())))
}
