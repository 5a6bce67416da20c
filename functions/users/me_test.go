package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// GET /auth/users/me/ with every kind of credentials the reference was probed with.
func TestMeAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "alice@example.com")
	pair := f.login(t, a)
	key := []byte(apitest.Key)
	now := f.clock.Now().Unix()
	signed := func(edit func(jwt.MapClaims)) string { // HS256 with the real key: only the claims are wrong
		c := f.accessClaims(a.ID)
		edit(c)
		return forge(t, jwt.SigningMethodHS256, key, c)
	}
	ok := meBody("Alice", "Smith", a.ID, "alice@example.com")
	invalid := accessInvalid("Token is invalid or expired")
	cases := []struct {
		name   string
		auth   string // the Authorization header; "" sends none
		status int
		want   string
	}{
		{"#69 Bearer", "Bearer " + pair.Access, 200, ok},
		{"#70 JWT prefix", "JWT " + pair.Access, 200, ok},
		{"extra spaces after the prefix (DESIGN)", "Bearer   " + pair.Access + " ", 200, ok},
		{"#71 lower-case bearer", "bearer " + pair.Access, 401, notProvided},
		{"#72 Token prefix", "Token " + pair.Access, 401, notProvided},
		{"#73 bare token", pair.Access, 401, notProvided},
		{"#74 Bearer and no token", "Bearer", 401, badHeader},
		{"#75 Bearer a b", "Bearer " + pair.Access + " extra", 401, badHeader},
		{"#76 refresh token as access", "Bearer " + pair.Refresh, 401, accessInvalid("Token has wrong type")},
		{"#77 garbage", "Bearer garbage", 401, invalid},
		{"#78 tampered signature", "Bearer " + tamper(pair.Access), 401, invalid},
		{"#79 no Authorization header", "", 401, notProvided},
		{"#61 alg none", "Bearer " + forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, f.accessClaims(a.ID)), 401, invalid},
		{"#62 HS512 with the real key", "Bearer " + forge(t, jwt.SigningMethodHS512, key, f.accessClaims(a.ID)), 401, invalid},
		{"#63 HS256 with a wrong key", "Bearer " + forge(t, jwt.SigningMethodHS256, []byte("wrong-"+apitest.Key), f.accessClaims(a.ID)), 401, invalid},
		{"#64 no jti", "Bearer " + signed(func(c jwt.MapClaims) { delete(c, "jti") }), 401, accessInvalid("Token has no id")},
		{"#65 no exp", "Bearer " + signed(func(c jwt.MapClaims) { delete(c, "exp") }), 401, accessInvalid("Token has no 'exp' claim")},
		{"#66 no token_type", "Bearer " + signed(func(c jwt.MapClaims) { delete(c, "token_type") }), 401, accessInvalid("Token has no type")},
		{"#80 user that does not exist", "Bearer " + signed(func(c jwt.MapClaims) { c["user_id"] = "11111111-2222-4333-8444-555555555555" }), 401, userNotFound},
		{"#81 user_id not a UUID (DESIGN)", "Bearer " + signed(func(c jwt.MapClaims) { c["user_id"] = "not-a-uuid" }), 401, noUserID},
		{"user_id a number", "Bearer " + signed(func(c jwt.MapClaims) { c["user_id"] = 42 }), 401, noUserID},
		{"#82 no user_id", "Bearer " + signed(func(c jwt.MapClaims) { delete(c, "user_id") }), 401, noUserID},
		{"user_id upper-case without hyphens is the same UUID", "Bearer " + signed(func(c jwt.MapClaims) { c["user_id"] = strings.ToUpper(strings.ReplaceAll(a.ID, "-", "")) }), 200, ok},
		{"simplejwt's own token (no session claims) (DESIGN migration)", "Bearer " + signed(func(jwt.MapClaims) {}), 200, ok},
		{"iat 5 s in the future is tolerated (DESIGN)", "Bearer " + signed(func(c jwt.MapClaims) { c["iat"] = now + 5 }), 200, ok},
		{"iat 6 s in the future (DESIGN)", "Bearer " + signed(func(c jwt.MapClaims) { c["iat"] = now + 6 }), 401, invalid},
		{"token over 4 KiB (DESIGN)", "Bearer " + signed(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("p", 4096) }), 401, invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.auth != "" {
				headers = []string{"Authorization", c.auth}
			}
			res := f.do(http.MethodGet, "/auth/users/me/", "", headers...)
			expect(t, res, c.status, c.want)
			expectHeader(t, res, "Allow", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS")
		})
	}
}

// #150: an access token is valid until its exp, not at it (whole seconds, no leeway).
func TestMeExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "expiry@example.com")
	access := f.login(t, a).Access
	f.clock.Advance(5*time.Minute - time.Second)
	expect(t, f.me(access), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
	f.clock.Advance(time.Second)
	expect(t, f.me(access), http.StatusUnauthorized, accessInvalid("Token is invalid or expired"))
}

// #40: an access token issued before deactivation.
func TestMeInactiveUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "inactive@example.com")
	access := f.login(t, a).Access
	expect(t, f.me(access), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
	if err := f.env.Store.SetActive(context.Background(), a.ID, false); err != nil {
		t.Fatal(err)
	}
	expect(t, f.me(access), http.StatusUnauthorized, userInactive)
	expect(t, f.do(http.MethodPatch, "/auth/users/me/", `{"first_name":"X"}`, apitest.Bearer(access)...), http.StatusUnauthorized, userInactive)
	if got := f.stored(t, a.ID).FirstName; got != a.First {
		t.Errorf("inactive user's PATCH stored first_name %q, want %q unchanged", got, a.First)
	}
}

// #87-#90: PUT and PATCH me, in the reference's order; each answer must also be what GET
// me reads afterwards.
func TestMeUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "alice@example.com")
	auth := apitest.Bearer(f.login(t, a).Access)
	steps := []struct {
		name    string
		method  string
		headers []string
		body    string
		status  int
		want    string // for 200 also the stored profile
	}{
		{"#87 PATCH first_name", http.MethodPatch, nil, `{"first_name":"Alicia"}`, 200, meBody("Alicia", "Smith", a.ID, a.Email)},
		{"#88 PATCH email is read-only", http.MethodPatch, nil, `{"email":"changed@example.com"}`, 200, meBody("Alicia", "Smith", a.ID, a.Email)},
		{"#89 PUT with only first_name", http.MethodPut, nil, `{"first_name":"Alice"}`, 400, `{"last_name":["This field is required."]}`},
		{"#90 PUT complete", http.MethodPut, nil, `{"first_name":"Alice","last_name":"Smith"}`, 200, meBody("Alice", "Smith", a.ID, a.Email)},
		{"PUT with nothing", http.MethodPut, nil, ``, 400, `{"first_name":["This field is required."],"last_name":["This field is required."]}`},
		{"PATCH with nothing", http.MethodPatch, nil, ``, 200, meBody("Alice", "Smith", a.ID, a.Email)},
		{"PATCH last_name trimmed", http.MethodPatch, nil, `{"last_name":"  Smyth "}`, 200, meBody("Alice", "Smyth", a.ID, a.Email)},
		{"PATCH first_name of 151 characters", http.MethodPatch, nil, `{"first_name":"` + strings.Repeat("A", 151) + `"}`, 400, `{"first_name":["Ensure this field has no more than 150 characters."]}`},
		{"PATCH first_name null", http.MethodPatch, nil, `{"first_name":null}`, 400, `{"first_name":["This field may not be null."]}`},
		{"PATCH first_name blank", http.MethodPatch, nil, `{"first_name":""}`, 400, `{"first_name":["This field may not be blank."]}`},
		{"PATCH form-encoded", http.MethodPatch, []string{"Content-Type", "application/x-www-form-urlencoded"}, `first_name=Form`, 200, meBody("Form", "Smyth", a.ID, a.Email)},
		{"PATCH text/plain", http.MethodPatch, []string{"Content-Type", "text/plain"}, `{"first_name":"Plain"}`, 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{"PATCH JSON list", http.MethodPatch, nil, `[]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
	}
	current := meBody(a.First, a.Last, a.ID, a.Email)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			expect(t, f.do(s.method, "/auth/users/me/", s.body, slices.Concat(auth, s.headers)...), s.status, s.want)
			if s.status == http.StatusOK {
				current = s.want
			}
			expect(t, f.do(http.MethodGet, "/auth/users/me/", "", auth...), http.StatusOK, current)
		})
	}
	if got := f.emailOwner(t, "changed@example.com"); got != "" {
		t.Errorf("changed@example.com belongs to %q after a read-only PATCH, want free", got)
	}
}

// #126-#129: DELETE me needs the current password, then the user, its e-mail and every
// token of it are gone (the reference answered 500 and deleted nothing).
func TestDeleteMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "deleter@example.com")
	caller := apitest.Bearer(f.login(t, a).Access)
	other := f.login(t, a).Access
	steps := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"#126 no body", ``, 400, `{"current_password":["This field is required."]}`},
		{"#126 without current_password", `{}`, 400, `{"current_password":["This field is required."]}`},
		{"#127 wrong current_password", `{"current_password":"wrong"}`, 400, wrongPassword},
		{"#127 blank current_password", `{"current_password":""}`, 400, `{"current_password":["This field may not be blank."]}`},
		{"#128 ok (DESIGN)", `{"current_password":"` + goodPassword + `"}`, 204, ``},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			expect(t, f.do(http.MethodDelete, "/auth/users/me/", s.body, caller...), s.status, s.want)
			exists := f.emailOwner(t, a.Email) == a.ID
			if want := s.status != http.StatusNoContent; exists != want {
				t.Errorf("after %d: user exists %v, want %v", s.status, exists, want)
			}
		})
	}
	t.Run("#129 GET me with the caller's token", func(t *testing.T) {
		expect(t, f.do(http.MethodGet, "/auth/users/me/", "", caller...), http.StatusUnauthorized, userNotFound)
	})
	t.Run("#129 GET me with another session's token", func(t *testing.T) {
		expect(t, f.me(other), http.StatusUnauthorized, userNotFound)
	})
	t.Run("DELETE again", func(t *testing.T) {
		expect(t, f.do(http.MethodDelete, "/auth/users/me/", `{"current_password":"`+goodPassword+`"}`, caller...), http.StatusUnauthorized, userNotFound)
	})
	t.Run("the user item is gone", func(t *testing.T) {
		if u, err := f.env.Store.User(context.Background(), a.ID); err == nil {
			t.Errorf("got user %+v, want none", u)
		}
	})
	t.Run("the e-mail is free again, for a new user", func(t *testing.T) {
		b := f.signUp(t, a.Email)
		if b.ID == a.ID {
			t.Fatalf("got the deleted id %s again", b.ID)
		}
		expect(t, f.do(http.MethodGet, "/auth/users/me/", "", caller...), http.StatusUnauthorized, userNotFound)
	})
}
