package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// endpoint is one authenticated users endpoint, with a body that would otherwise pass.
type endpoint struct{ method, path, body string }

// authenticatedEndpoints lists every /auth/users/ endpoint that takes an access token;
// a revoked one must get the same 401 from each.
func authenticatedEndpoints(a account) []endpoint {
	pw := `"current_password":"` + a.Password + `"`
	return []endpoint{
		{http.MethodGet, "/auth/users/me/", ``},
		{http.MethodHead, "/auth/users/me/", ``},
		{http.MethodPatch, "/auth/users/me/", `{"first_name":"Revoked"}`},
		{http.MethodPut, "/auth/users/me/", `{"first_name":"Revoked","last_name":"R"}`},
		{http.MethodDelete, "/auth/users/me/", `{` + pw + `}`},
		{http.MethodPost, "/auth/users/set_password/", `{` + pw + `,"new_password":"Y3t-An0ther-Pw!"}`},
		{http.MethodPost, "/auth/users/set_email/", `{` + pw + `,"new_email":"revoked@example.com"}`},
		{http.MethodPost, "/auth/users/logout_all/", ``},
	}
}

// expectRevoked checks that access gets the blacklisted 401 everywhere and changed nothing.
func (f *fixture) expectRevoked(t *testing.T, a account, access string) {
	t.Helper()
	before := f.stored(t, a.ID)
	for _, e := range authenticatedEndpoints(a) {
		want := blacklistedAccess
		if e.method == http.MethodHead {
			want = ""
		}
		res := f.do(e.method, e.path, e.body, apitest.Bearer(access)...)
		if res.Status != http.StatusUnauthorized || res.Body != want {
			t.Errorf("%s %s: got %d %s, want 401 %s", e.method, e.path, res.Status, res.Body, want)
		}
		expectHeader(t, res, "WWW-Authenticate", `Bearer realm="api"`)
	}
	if after := f.stored(t, a.ID); after != before {
		t.Errorf("a revoked token changed the user: %+v, was %+v", after, before)
	}
}

// #117-#120, then the DESIGN fix for #121: every other session dies, the caller's stays.
func TestSetPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "pwchange@example.com")
	caller := f.login(t, a).Access
	others := []string{f.login(t, a).Access, f.login(t, a).Access}
	const newPassword = "An0ther-Passw0rd!"
	steps := []struct {
		name   string
		auth   []string
		body   string
		status int
		want   string
	}{
		{"#117 unauthenticated", nil, `{"current_password":"S3cure-Passw0rd!","new_password":"An0ther-Passw0rd!"}`, 401, notProvided},
		{"#118 wrong current_password", apitest.Bearer(caller), `{"current_password":"wrong","new_password":"An0ther-Passw0rd!"}`, 400, wrongPassword},
		{"#119 weak new password", apitest.Bearer(caller), `{"current_password":"S3cure-Passw0rd!","new_password":"123"}`, 400, `{"new_password":` + weakPassword + `}`},
		{"new password similar to the email", apitest.Bearer(caller), `{"current_password":"S3cure-Passw0rd!","new_password":"pwchange@example.com"}`, 400, `{"new_password":["The password is too similar to the email."]}`},
		{"wrong current and weak new: only current_password", apitest.Bearer(caller), `{"current_password":"wrong","new_password":"123"}`, 400, wrongPassword},
		{"missing both", apitest.Bearer(caller), `{}`, 400, `{"new_password":["This field is required."],"current_password":["This field is required."]}`},
		{"#120 ok", apitest.Bearer(caller), `{"current_password":"S3cure-Passw0rd!","new_password":"An0ther-Passw0rd!"}`, 204, ``},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			expect(t, f.do(http.MethodPost, "/auth/users/set_password/", s.body, s.auth...), s.status, s.want)
			changed := f.passwordIs(t, a.ID, newPassword)
			if want := s.status == http.StatusNoContent; changed != want {
				t.Errorf("password changed %v, want %v", changed, want)
			}
			if f.passwordIs(t, a.ID, goodPassword) == changed {
				t.Errorf("old password verifies %v after change %v", !changed, changed)
			}
		})
	}
	a.Password = newPassword
	t.Run("#121 the caller's session keeps working (DESIGN)", func(t *testing.T) {
		expect(t, f.me(caller), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
	})
	for _, access := range others {
		t.Run("#121 another session's access token is blacklisted (DESIGN)", func(t *testing.T) {
			expect(t, f.me(access), http.StatusUnauthorized, blacklistedAccess)
			f.expectRevoked(t, a, access)
		})
	}
	t.Run("a login after the change works", func(t *testing.T) {
		expect(t, f.me(f.login(t, a).Access), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
	})
	t.Run("the caller can change it again and keeps its session", func(t *testing.T) {
		expect(t, f.do(http.MethodPost, "/auth/users/set_password/", `{"current_password":"An0ther-Passw0rd!","new_password":"Th1rd-Passw0rd!"}`, apitest.Bearer(caller)...), http.StatusNoContent, ``)
		expect(t, f.me(caller), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
		expect(t, f.me(others[0]), http.StatusUnauthorized, blacklistedAccess)
	})
}

// #124, #125 and the case-insensitive uniqueness of the DESIGN.
func TestSetEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	taken := f.signUp(t, "alice@example.com")
	a := f.signUp(t, "pwchange@example.com")
	auth := apitest.Bearer(f.login(t, a).Access)
	body := func(current, email string) string {
		return `{"current_password":"` + current + `","new_email":"` + email + `"}`
	}
	steps := []struct {
		name   string
		auth   []string
		body   string
		status int
		want   string
		email  string // the user's e-mail afterwards
	}{
		{"unauthenticated", nil, body(goodPassword, "x@example.com"), 401, notProvided, "pwchange@example.com"},
		{"#125 taken", auth, body(goodPassword, "alice@example.com"), 400, `{"new_email":["user with this email already exists."]}`, "pwchange@example.com"},
		{"#125 taken in another case (DESIGN)", auth, body(goodPassword, " ALICE@Example.com "), 400, `{"new_email":["user with this email already exists."]}`, "pwchange@example.com"},
		{"wrong current_password", auth, body("wrong", "new@example.com"), 400, wrongPassword, "pwchange@example.com"},
		{"invalid new_email", auth, body(goodPassword, "not-an-email"), 400, `{"new_email":["Enter a valid email address."]}`, "pwchange@example.com"},
		{"missing both", auth, `{}`, 400, `{"new_email":["This field is required."],"current_password":["This field is required."]}`, "pwchange@example.com"},
		{"own address in another case is no change", auth, body(goodPassword, "PwChange@Example.com"), 204, ``, "pwchange@example.com"},
		{"#124 ok, stored canonical", auth, body(goodPassword, " PwChange2@Example.COM"), 204, ``, "pwchange2@example.com"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			expect(t, f.do(http.MethodPost, "/auth/users/set_email/", s.body, s.auth...), s.status, s.want)
			if got := f.stored(t, a.ID).Email; got != s.email {
				t.Errorf("stored e-mail %q, want %q", got, s.email)
			}
			if got := f.emailOwner(t, s.email); got != a.ID {
				t.Errorf("%s belongs to %q, want %q", s.email, got, a.ID)
			}
			if got := f.emailOwner(t, taken.Email); got != taken.ID {
				t.Errorf("%s belongs to %q, want still %q", taken.Email, got, taken.ID)
			}
		})
	}
	t.Run("#124 the old address is free, the session still works", func(t *testing.T) {
		if got := f.emailOwner(t, "pwchange@example.com"); got != "" {
			t.Errorf("old address belongs to %q, want free", got)
		}
		expect(t, f.do(http.MethodGet, "/auth/users/me/", "", auth...), http.StatusOK, meBody(a.First, a.Last, a.ID, "pwchange2@example.com"))
		f.signUp(t, "pwchange@example.com")
	})
}

// logout_all revokes every session of the user, exactly: tokens from the same second
// before it die, a login right after it works.
func TestLogoutAll(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "everywhere@example.com")
	bystander := f.signUp(t, "bystander@example.com")
	bystanderAccess := f.login(t, bystander).Access
	caller := f.login(t, a).Access
	sessions := []string{caller, f.login(t, a).Access, f.login(t, a).Access}
	expect(t, f.do(http.MethodPost, "/auth/users/logout_all/", "", apitest.Bearer(caller)...), http.StatusNoContent, ``)
	for n, access := range sessions {
		t.Run("access token issued before is blacklisted", func(t *testing.T) {
			expect(t, f.me(access), http.StatusUnauthorized, blacklistedAccess)
			if n == 0 {
				f.expectRevoked(t, a, access)
			}
		})
	}
	t.Run("a token minted after, in the same second, works", func(t *testing.T) {
		if got := f.stored(t, a.ID).Generation; got == 0 {
			t.Fatalf("generation still 0 after logout_all")
		}
		fresh := f.login(t, a).Access // at the new generation
		expect(t, f.me(fresh), http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
		t.Run("and logout_all with a JSON body revokes it too", func(t *testing.T) {
			expect(t, f.do(http.MethodPost, "/auth/users/logout_all/", `{}`, apitest.Bearer(fresh)...), http.StatusNoContent, ``)
			expect(t, f.me(fresh), http.StatusUnauthorized, blacklistedAccess)
		})
	})
	t.Run("another user's session is untouched", func(t *testing.T) {
		expect(t, f.me(bystanderAccess), http.StatusOK, meBody(bystander.First, bystander.Last, bystander.ID, bystander.Email))
	})
	t.Run("unauthenticated", func(t *testing.T) {
		expect(t, f.do(http.MethodPost, "/auth/users/logout_all/", ""), http.StatusUnauthorized, notProvided)
	})
}

// Wrong current passwords count towards the e-mail's throttle, as failed logins do: a
// stolen access token cannot guess the password at leisure.
func TestCurrentPasswordGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "guess@example.com")
	auth := apitest.Bearer(f.login(t, a).Access)
	for i := 0; i < 5; i++ {
		expect(t, f.do(http.MethodDelete, "/auth/users/me/", `{"current_password":"wrong"}`, auth...), 400, wrongPassword)
	}
	res := f.do(http.MethodPost, "/auth/users/set_email/", `{"current_password":"S3cure-Passw0rd!","new_email":"new@example.com"}`, auth...)
	if res.Status != 429 || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("6th guess, right password: got %d %s (Retry-After %q), want 429", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
	f.clock.Advance(2 * time.Second)
	expect(t, f.do(http.MethodPost, "/auth/users/set_email/", `{"current_password":"S3cure-Passw0rd!","new_email":"new@example.com"}`, auth...), 204, "")
}
