package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

// now is the wall clock: DynamoDB Local's TTL deletion would remove items stamped with a
// past date while a test reads them.
var now = time.Now().Truncate(time.Second)

func newUser(id, email string) store.User {
	return store.User{ID: id, Email: email, FirstName: "A", LastName: "B", PasswordHash: "h", IsActive: true, DateJoined: now}
}

func TestCreateUserUniqueEmail(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	if err := env.Store.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.CreateUser(ctx, newUser("u2", "a@example.com")); !errors.Is(err, store.ErrEmailTaken) {
		t.Fatalf("got %v, want ErrEmailTaken", err)
	}
	if _, err := env.Store.User(ctx, "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the losing registration left its user item: %v", err)
	}
	got, err := env.Store.User(ctx, "u1")
	if err != nil || got.Email != "a@example.com" || !got.IsActive || got.DateJoined != now {
		t.Errorf("got %+v, %v", got, err)
	}
}

// replayingDB sends every write twice, as the SDK does when the first response is lost.
type replayingDB struct{ store.DB }

func (r replayingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if _, err := r.DB.TransactWriteItems(ctx, in, o...); err != nil {
		return nil, err
	}
	return r.DB.TransactWriteItems(ctx, in, o...)
}

func (r replayingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if _, err := r.DB.UpdateItem(ctx, in, o...); err != nil {
		return nil, err
	}
	return r.DB.UpdateItem(ctx, in, o...)
}

func TestRetriedWritesAreRecognisedAsOurs(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	s := store.New(replayingDB{env.DB}, env.Users, env.Black)
	if err := s.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
		t.Fatalf("replayed registration: got %v, want success", err)
	}
	rotated, _, err := s.Rotate(ctx, store.Rotation{SessionID: "s1", UserID: "u1", From: "s1", Origin: true, To: store.Minted{JTI: "j2", IssuedAt: 1, ExpiresAt: 2}, Now: now, KeepUntil: now.Add(time.Hour)})
	if err != nil || !rotated {
		t.Fatalf("replayed rotation: got rotated=%v err=%v, want rotated", rotated, err)
	}
	for n := 1; n <= 2; n++ {
		th, err := s.RecordFailure(ctx, "x@example.com", now, time.Hour)
		if err != nil || th.Failures != n {
			t.Fatalf("replayed failure %d: got %+v %v, want it counted once", n, th, err)
		}
	}
	seen, _ := env.Store.LoginState(ctx, "x@example.com", now)
	if won, err := s.ClaimAttempt(ctx, "x@example.com", seen.Throttle, now.Add(time.Second)); err != nil || !won {
		t.Fatalf("replayed claim: got won=%v err=%v, want won", won, err)
	}
	if won, _ := env.Store.ClaimAttempt(ctx, "x@example.com", seen.Throttle, now.Add(2*time.Second)); won {
		t.Error("a second claim of the same state won too")
	}
}

func TestRotateOnce(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	r := store.Rotation{SessionID: "s1", UserID: "u1", From: "s1", Origin: true, To: store.Minted{JTI: "j2", IssuedAt: 10, ExpiresAt: 20}, Now: now, KeepUntil: now.Add(time.Hour)}
	if ok, _, err := env.Store.Rotate(ctx, r); !ok || err != nil {
		t.Fatalf("first rotation: %v %v", ok, err)
	}
	second := r
	second.To.JTI = "j3"
	ok, found, err := env.Store.Rotate(ctx, second)
	if err != nil || ok {
		t.Fatalf("second rotation of the same token: got rotated=%v err=%v, want refused", ok, err)
	}
	if found == nil || found.Current.JTI != "j2" || found.PreviousJTI != "s1" || found.Current.IssuedAt != 10 || !found.PreviousRotatedAt.IsZero() {
		t.Fatalf("got found %+v, want the session at j2", found)
	}
	later := store.Rotation{SessionID: "s1", UserID: "u1", From: "j2", To: store.Minted{JTI: "j3"}, Now: now.Add(time.Minute), KeepUntil: now.Add(time.Hour)}
	if ok, _, err := env.Store.Rotate(ctx, later); !ok || err != nil {
		t.Fatalf("second rotation: %v %v", ok, err)
	}
	again := later
	again.To.JTI = "j4"
	if _, found, _ := env.Store.Rotate(ctx, again); found == nil || !found.PreviousRotatedAt.Equal(now) || found.PreviousJTI != "j2" {
		t.Fatalf("got %+v, want j2 as previous, whose predecessor left the chain at %v", found, now)
	}
	if err := env.Store.RevokeSession(ctx, "s1", "u1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	next := store.Rotation{SessionID: "s1", UserID: "u1", From: "j3", To: store.Minted{JTI: "j5"}, Now: now, KeepUntil: now.Add(time.Hour)}
	if ok, found, err := env.Store.Rotate(ctx, next); ok || err != nil || found == nil || !found.Revoked {
		t.Fatalf("rotation of a revoked session: got %v %+v %v", ok, found, err)
	}
}

func TestExpiredSessionItemIsIgnored(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	if err := env.Store.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.RevokeSession(ctx, "s1", "u1", now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	env.DB.Reset()
	u, sess, err := env.Store.UserAndSession(ctx, "u1", "s1", now)
	if err != nil || u.ID != "u1" || sess != nil {
		t.Fatalf("got %+v %+v %v, want the user and no session (its TTL passed)", u, sess, err)
	}
	if got := env.DB.Calls(); got["BatchGetItem"] != 1 || env.DB.Total() != 1 {
		t.Errorf("got calls %v, want one BatchGetItem", got)
	}
}

func TestChangeEmailIsAtomic(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	a, b := newUser("u1", "a@example.com"), newUser("u2", "b@example.com")
	for _, u := range []store.User{a, b} {
		if err := env.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Store.ChangeEmail(ctx, a, "b@example.com"); !errors.Is(err, store.ErrEmailTaken) {
		t.Fatalf("taken: got %v", err)
	}
	if got, _ := env.Store.User(ctx, "u1"); got.Email != "a@example.com" {
		t.Fatalf("a refused change altered the user: %q", got.Email)
	}
	if err := env.Store.ChangeEmail(ctx, a, "c@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.CreateUser(ctx, newUser("u3", "a@example.com")); err != nil {
		t.Errorf("the old address was not freed: %v", err)
	}
	if err := env.Store.CreateUser(ctx, newUser("u4", "c@example.com")); !errors.Is(err, store.ErrEmailTaken) {
		t.Errorf("the new address is not taken: %v", err)
	}
	l, err := env.Store.LoginState(ctx, "c@example.com", now)
	if err != nil || l.UserID != "u1" {
		t.Errorf("login state: got %+v %v", l, err)
	}
}

func TestDeleteUserRemovesBothItems(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	u := newUser("u1", "a@example.com")
	if err := env.Store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.ChangeEmail(ctx, u, "b@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.DeleteUser(ctx, u); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with a stale e-mail: got %v, want ErrConflict", err)
	}
	if _, err := env.Store.User(ctx, "u1"); err != nil {
		t.Fatalf("a refused delete removed the user: %v", err)
	}
	u.Email = "b@example.com"
	if err := env.Store.DeleteUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.DeleteUser(ctx, u); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: got %v, want ErrNotFound", err)
	}
	if _, err := env.Store.User(ctx, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user: got %v, want ErrNotFound", err)
	}
	if l, _ := env.Store.LoginState(ctx, "b@example.com", now); l.UserID != "" {
		t.Errorf("e-mail marker left behind: %+v", l)
	}
}

func TestGenerations(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	if err := env.Store.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.SetPassword(ctx, "u1", "new", "keep", 0, 0); err != nil {
		t.Fatal(err)
	}
	// a caller authenticated before that change may not keep its session over it
	if err := env.Store.SetPassword(ctx, "u1", "newer", "other", 0, 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("set_password against a stale generation: got %v, want ErrConflict", err)
	}
	u, _ := env.Store.User(ctx, "u1")
	if u.PasswordHash != "new" || u.Generation != 1 || !u.Allows("keep", 0) || u.Allows("other", 0) || !u.Allows("other", 1) {
		t.Fatalf("after set_password: %+v", u)
	}
	if err := env.Store.RevokeAll(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	u, _ = env.Store.User(ctx, "u1")
	if u.Generation != 2 || u.Allows("keep", 1) || !u.Allows("any", 2) {
		t.Fatalf("after revoke all: %+v", u)
	}
	if err := env.Store.RevokeAll(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke all of a missing user: got %v", err)
	}
	if err := env.Store.UpgradePassword(ctx, "u1", "stale", "x"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("upgrade over a changed hash: got %v, want ErrConflict", err)
	}
}

func TestThrottle(t *testing.T) {
	ctx := context.Background()
	env := storetest.New(t)
	for n := 1; n <= 3; n++ {
		env.DB.Reset()
		th, err := env.Store.RecordFailure(ctx, "x@example.com", now, time.Hour)
		if err != nil || th.Failures != n || !th.LastFailure.Equal(now) {
			t.Fatalf("failure %d: got %+v %v", n, th, err)
		}
		if env.DB.Total() != 1 {
			t.Errorf("failure %d took %v, want one UpdateItem", n, env.DB.Calls())
		}
	}
	if l, _ := env.Store.LoginState(ctx, "x@example.com", now); l.Throttle.Failures != 3 {
		t.Errorf("got %+v", l)
	}
	later := now.Add(2 * time.Hour) // the state expired; DynamoDB may not have deleted it yet
	if th, err := env.Store.RecordFailure(ctx, "x@example.com", later, time.Hour); err != nil || th.Failures != 1 {
		t.Errorf("after expiry: got %+v %v, want counting from 1", th, err)
	}
	if err := env.Store.ResetThrottle(ctx, "x@example.com"); err != nil {
		t.Fatal(err)
	}
	if l, _ := env.Store.LoginState(ctx, "x@example.com", later); l.Throttle.Failures != 0 {
		t.Errorf("after reset: got %+v", l)
	}
}
