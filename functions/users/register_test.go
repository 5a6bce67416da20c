package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

// multipartBody encodes fields as a browser's FormData would.
func multipartBody(t *testing.T, fields ...string) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.FormDataContentType()
}

// checkCreated checks a register 201 against want, whose id is the placeholder <id>,
// and that the user was stored as answered, active, with a hash of pw.
func (f *fixture) checkCreated(t *testing.T, res apitest.Response, want, pw string) {
	t.Helper()
	if res.Status != http.StatusCreated {
		t.Fatalf("got %d %s, want 201 %s", res.Status, res.Body, want)
	}
	id := res.Field(t, "id")
	if !uuidV4.MatchString(id) {
		t.Errorf("got id %q, want a random UUID", id)
	}
	expect(t, res, http.StatusCreated, strings.Replace(want, "<id>", id, 1))
	u := f.stored(t, id)
	if got := meBody(u.FirstName, u.LastName, u.ID, u.Email); got != meBody(res.Field(t, "first_name"), res.Field(t, "last_name"), id, res.Field(t, "email")) {
		t.Errorf("stored %s, answered %s", got, res.Body)
	}
	if !u.IsActive {
		t.Errorf("stored user inactive, want active")
	}
	if got := f.emailOwner(t, u.Email); got != id {
		t.Errorf("e-mail %s belongs to %q, want %q", u.Email, got, id)
	}
	if !f.passwordIs(t, id, pw) {
		t.Errorf("stored hash does not verify %.20q…", pw)
	}
}

// maxBody is the largest body accepted (DESIGN: 413 beyond 16 KiB).
const maxBody = 16 << 10

func TestRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	long4096 := "Xy7#" + strings.Repeat("k", 4092)
	form, formType := multipartBody(t, "email", "multi@example.com", "password", goodPassword, "first_name", "M", "last_name", "P")
	pad := func(body string, size int) string { // an ignored field fills body up to size bytes
		return body[:len(body)-1] + `,"pad":"` + strings.Repeat("p", size-len(body)-9) + `"}`
	}
	exactly16K := pad(registration("big@example.com", "B", "G", goodPassword), maxBody)
	if len(exactly16K) != maxBody {
		t.Fatalf("test bug: the 16 KiB body has %d bytes", len(exactly16K))
	}
	cases := []struct {
		name     string
		path     string   // default /auth/users/
		headers  []string // default Content-Type: application/json
		body     string
		existing string // an e-mail registered before the request
		pw       string // the password the stored hash must verify (201); default goodPassword
		status   int
		want     string // <id> stands for the new user's id
	}{
		{name: "#1 ok", body: registration("alice@example.com", "Alice", "Smith", goodPassword),
			status: 201, want: `{"first_name":"Alice","last_name":"Smith","email":"alice@example.com","id":"<id>"}`},
		{name: "#2 duplicate email", existing: "dup@example.com", body: registration("dup@example.com", "Alice", "Smith", goodPassword),
			status: 400, want: emailTaken},
		{name: "#3 case of local part differs: duplicate (DESIGN)", existing: "carol@example.com", body: registration("Carol@example.com", "Alice", "Upper", goodPassword),
			status: 400, want: emailTaken},
		{name: "#4 case of domain differs: duplicate, not a bare list (DESIGN)", existing: "dan@example.com", body: registration("dan@EXAMPLE.com", "Alice", "Smith", goodPassword),
			status: 400, want: emailTaken},
		{name: "#5 upper-case domain stored lower-case", body: registration("bob@EXAMPLE.COM", "Bob", "Jones", goodPassword),
			status: 201, want: `{"first_name":"Bob","last_name":"Jones","email":"bob@example.com","id":"<id>"}`},
		{name: "#5 upper-case local part stored lower-case (DESIGN)", body: registration("Eve.Upper@Example.com", "Eve", "Upper", goodPassword),
			status: 201, want: `{"first_name":"Eve","last_name":"Upper","email":"eve.upper@example.com","id":"<id>"}`},
		{name: "#6 missing all fields", body: `{}`,
			status: 400, want: `{"first_name":["This field is required."],"last_name":["This field is required."],"email":["This field is required."],"password":["This field is required."]}`},
		{name: "#6 empty body is {}", body: ``,
			status: 400, want: `{"first_name":["This field is required."],"last_name":["This field is required."],"email":["This field is required."],"password":["This field is required."]}`},
		{name: "#7 missing first_name/last_name", body: `{"email":"carol7@example.com","password":"S3cure-Passw0rd!"}`,
			status: 400, want: `{"first_name":["This field is required."],"last_name":["This field is required."]}`},
		{name: "#8 blank strings", body: `{"email":"","password":"","first_name":"","last_name":""}`,
			status: 400, want: `{"first_name":["This field may not be blank."],"last_name":["This field may not be blank."],"email":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{name: "#8 whitespace-only strings are blank", body: `{"email":"  ","password":" \t","first_name":" ","last_name":"\n"}`,
			status: 400, want: `{"first_name":["This field may not be blank."],"last_name":["This field may not be blank."],"email":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{name: "#9 null values", body: `{"email":null,"password":null,"first_name":null,"last_name":null}`,
			status: 400, want: `{"first_name":["This field may not be null."],"last_name":["This field may not be null."],"email":["This field may not be null."],"password":["This field may not be null."]}`},
		{name: "#10 invalid email", body: registration("not-an-email", "Alice", "Smith", goodPassword),
			status: 400, want: `{"email":["Enter a valid email address."]}`},
		{name: "#11 email with surrounding spaces is trimmed", body: registration("  dave@example.com  ", "Dave", "D", goodPassword),
			status: 201, want: `{"first_name":"Dave","last_name":"D","email":"dave@example.com","id":"<id>"}`},
		{name: "#11 password with surrounding spaces is trimmed (DESIGN)", body: registration("spaces@example.com", "Sp", "Aces", "  "+goodPassword+"  "),
			status: 201, want: `{"first_name":"Sp","last_name":"Aces","email":"spaces@example.com","id":"<id>"}`},
		{name: "#12 weak password: too short", body: registration("weak1@example.com", "Alice", "Smith", "Xy7#kQ2"),
			status: 400, want: `{"password":["This password is too short. It must contain at least 8 characters."]}`},
		{name: "#13 weak password: all numeric", body: registration("weak2@example.com", "Alice", "Smith", "8302749165"),
			status: 400, want: `{"password":["This password is entirely numeric."]}`},
		{name: "#14 weak password: common", body: registration("weak3@example.com", "Alice", "Smith", "password123"),
			status: 400, want: `{"password":["This password is too common."]}`},
		{name: "#15 weak password: similar to email", body: registration("weak4@example.com", "Alice", "Smith", "weak4@example.com"),
			status: 400, want: `{"password":["The password is too similar to the email."]}`},
		{name: "#16 weak password: similar to first_name", body: registration("weak5@example.com", "Maximilian", "Smith", "Maximilian1"),
			status: 400, want: `{"password":["The password is too similar to the first name."]}`},
		{name: "#17 weak password: short, common and numeric", body: registration("weak6@example.com", "Alice", "Smith", "12345"),
			status: 400, want: `{"password":` + weakPassword + `}`},
		{name: "#18 weak password and invalid email: only the email error", body: registration("nope", "Alice", "Smith", "123"),
			status: 400, want: `{"email":["Enter a valid email address."]}`},
		{name: "#19 malformed JSON", body: `{"email": "x@example.com",`,
			status: 400, want: `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 27 (char 26)"}`},
		{name: "#20 JSON array body", body: `[]`,
			status: 400, want: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{name: "#20 JSON number body", body: `123`,
			status: 400, want: `{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}`},
		{name: "#20 JSON string body", body: `"x"`,
			status: 400, want: `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
		{name: "#20 JSON bool body", body: `true`,
			status: 400, want: `{"non_field_errors":["Invalid data. Expected a dictionary, but got bool."]}`},
		{name: "#20 JSON null body", body: `null`,
			status: 400, want: `{"non_field_errors":["No data provided"]}`},
		{name: "#21 text/plain", headers: []string{"Content-Type", "text/plain"}, body: registration("plain@example.com", "P", "T", goodPassword),
			status: 415, want: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{name: "#22 form-encoded", headers: []string{"Content-Type", "application/x-www-form-urlencoded"},
			body:   "email=form%40example.com&password=S3cure-Passw0rd%21&first_name=F&last_name=E",
			status: 201, want: `{"first_name":"F","last_name":"E","email":"form@example.com","id":"<id>"}`},
		{name: "#22 form-encoded with charset, repeated field keeps the last", headers: []string{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"},
			body:   "email=first%40example.com&email=form2%40example.com&password=S3cure-Passw0rd%21&first_name=F&last_name=E",
			status: 201, want: `{"first_name":"F","last_name":"E","email":"form2@example.com","id":"<id>"}`},
		{name: "#22 multipart/form-data (DESIGN)", headers: []string{"Content-Type", formType}, body: form,
			status: 201, want: `{"first_name":"M","last_name":"P","email":"multi@example.com","id":"<id>"}`},
		{name: "#22 JSON with charset", headers: []string{"Content-Type", "application/json; charset=utf-8"}, body: registration("charset@example.com", "C", "S", goodPassword),
			status: 201, want: `{"first_name":"C","last_name":"S","email":"charset@example.com","id":"<id>"}`},
		{name: "#23 extra fields ignored, user active",
			body:   `{"email":"extra@example.com","password":"S3cure-Passw0rd!","first_name":"E","last_name":"X","id":"00000000-0000-0000-0000-000000000001","is_staff":true,"is_superuser":true,"is_active":false}`,
			status: 201, want: `{"first_name":"E","last_name":"X","email":"extra@example.com","id":"<id>"}`},
		{name: "#24 first_name of 151 characters", body: registration("long@example.com", strings.Repeat("A", 151), "Smith", goodPassword),
			status: 400, want: `{"first_name":["Ensure this field has no more than 150 characters."]}`},
		{name: "#24 first_name of 150 characters", body: registration("long150@example.com", strings.Repeat("é", 150), "Smith", goodPassword),
			status: 201, want: `{"first_name":"` + strings.Repeat("é", 150) + `","last_name":"Smith","email":"long150@example.com","id":"<id>"}`},
		{name: "#25 without trailing slash (DESIGN)", path: "/auth/users", body: registration("noslash@example.com", "No", "Slash", goodPassword),
			status: 201, want: `{"first_name":"No","last_name":"Slash","email":"noslash@example.com","id":"<id>"}`},
		{name: "stale Authorization header is ignored (DESIGN)", headers: []string{"Authorization", "Bearer garbage"}, body: registration("stale@example.com", "St", "Ale", goodPassword),
			status: 201, want: `{"first_name":"St","last_name":"Ale","email":"stale@example.com","id":"<id>"}`},
		{name: "duplicate keys: the last wins", body: `{"email":"first@example.com","email":"dupkey@example.com","password":"S3cure-Passw0rd!","first_name":"D","last_name":"K"}`,
			status: 201, want: `{"first_name":"D","last_name":"K","email":"dupkey@example.com","id":"<id>"}`},
		{name: "numbers are taken as their text (DESIGN)", body: `{"email":"num@example.com","password":"S3cure-Passw0rd!","first_name":123,"last_name":1.5}`,
			status: 201, want: `{"first_name":"123","last_name":"1.5","email":"num@example.com","id":"<id>"}`},
		{name: "booleans, lists and objects are not strings (DESIGN)", body: `{"email":["a@example.com"],"password":{},"first_name":true,"last_name":false}`,
			status: 400, want: `{"first_name":["Not a valid string."],"last_name":["Not a valid string."],"email":["Not a valid string."],"password":["Not a valid string."]}`},
		{name: "password of 4096 bytes", body: registration("pw4096@example.com", "Alice", "Smith", long4096), pw: long4096,
			status: 201, want: `{"first_name":"Alice","last_name":"Smith","email":"pw4096@example.com","id":"<id>"}`},
		{name: "password of 4097 characters", body: registration("pw4097@example.com", "Alice", "Smith", long4096+"k"),
			status: 400, want: `{"password":["Ensure this field has no more than 4096 characters."]}`},
		{name: "password of 4098 bytes in 2049 characters", body: registration("pw4098@example.com", "Alice", "Smith", strings.Repeat("é", 2049)),
			status: 400, want: `{"password":["This password is too long. It must contain at most 4096 bytes."]}`},
		{name: "body of exactly 16 KiB", body: exactly16K,
			status: 201, want: `{"first_name":"B","last_name":"G","email":"big@example.com","id":"<id>"}`},
		{name: "body over 16 KiB", body: pad(registration("huge@example.com", "H", "G", goodPassword), maxBody+1),
			status: 413, want: `{"detail":"Request body too large."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var owner string
			if c.existing != "" {
				owner = f.signUp(t, c.existing).ID
			}
			path := c.path
			if path == "" {
				path = "/auth/users/"
			}
			res := f.do(http.MethodPost, path, c.body, c.headers...)
			switch {
			case c.status == http.StatusCreated:
				pw := c.pw
				if pw == "" {
					pw = goodPassword
				}
				f.checkCreated(t, res, c.want, pw)
			default:
				expect(t, res, c.status, c.want)
			}
			if owner != "" {
				if got := f.emailOwner(t, c.existing); got != owner {
					t.Errorf("e-mail %s now belongs to %q, want still %q", c.existing, got, owner)
				}
			}
		})
	}
}

// Bodies the gateway or a client can send that the table's defaults do not cover.
func TestRegisterUnusualBodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	req := func(body, contentType string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/auth/users/", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return r
	}
	t.Run("non-empty body without Content-Type: 415 (DESIGN)", func(t *testing.T) {
		res := f.serve(req(registration("noct@example.com", "N", "C", goodPassword), ""))
		expect(t, res, http.StatusUnsupportedMediaType, `{"detail":"Unsupported media type \"\" in request."}`)
		if got := f.emailOwner(t, "noct@example.com"); got != "" {
			t.Errorf("user %s created, want none", got)
		}
	})
	t.Run("empty body without Content-Type is {} (DESIGN)", func(t *testing.T) {
		res := f.serve(req("", ""))
		expect(t, res, http.StatusBadRequest, `{"first_name":["This field is required."],"last_name":["This field is required."],"email":["This field is required."],"password":["This field is required."]}`)
	})
	for _, body := range []string{"\xff\xfe{}", `{"email":"` + "\xc3\x28" + `@example.com"}`, "{\"email\":\"a\xe2\x82@example.com\"}"} {
		t.Run(fmt.Sprintf("non-UTF-8 body %q: JSON parse error without Go's text", body), func(t *testing.T) {
			res := f.serve(req(body, "application/json"))
			if res.Status != http.StatusBadRequest || !strings.HasPrefix(res.Body, `{"detail":"JSON parse error - `) {
				t.Fatalf("got %d %s, want 400 {\"detail\":\"JSON parse error - …", res.Status, res.Body)
			}
			for _, goText := range []string{"invalid character", "unexpected end", "json:", "utf8", "UTF-8 encoding", "\\ufffd", "�"} {
				if strings.Contains(res.Body, goText) {
					t.Errorf("got %s, want no Go error text (%q)", res.Body, goText)
				}
			}
		})
	}
}

// Eight parallel registrations of one address in different cases: exactly one wins, every
// other gets the field error (never the reference's bare list, never a 5xx).
func TestRegisterRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for round := 0; round < 50; round++ {
		variants := []string{
			"Race%d@Example.com", "race%d@example.COM", "RACE%d@EXAMPLE.COM", "race%d@example.com",
			" race%d@Example.Com ", "rAce%d@example.com", "race%d@EXAMPLE.com", "Race%d@example.com",
		}
		results := make([]apitest.Response, len(variants))
		var wg sync.WaitGroup
		for i, v := range variants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = f.do(http.MethodPost, "/auth/users/", registration(fmt.Sprintf(v, round), "R", "C", goodPassword))
			}()
		}
		wg.Wait()
		email := fmt.Sprintf("race%d@example.com", round)
		var winner string
		for i, res := range results {
			switch {
			case res.Status == http.StatusCreated && winner == "":
				winner = res.Field(t, "id")
				if want := `{"first_name":"R","last_name":"C","email":"` + email + `","id":"` + winner + `"}`; res.Body != want {
					t.Errorf("round %d: got %s, want %s", round, res.Body, want)
				}
			case res.Status != http.StatusBadRequest || res.Body != emailTaken:
				t.Errorf("round %d, request %d (%q): got %d %s, want 400 %s (or the single 201)", round, i, variants[i], res.Status, res.Body, emailTaken)
			}
		}
		if winner == "" {
			t.Fatalf("round %d: no 201, want exactly one", round)
		}
		if got := f.emailOwner(t, email); got != winner {
			t.Fatalf("round %d: %s belongs to %q, want the winner %q", round, email, got, winner)
		}
	}
}

func TestRegisterOneTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := registration("trips@example.com", "T", "R", goodPassword)
	for _, want := range []int{http.StatusCreated, http.StatusBadRequest} { // then a duplicate
		f.env.DB.Reset()
		res := f.do(http.MethodPost, "/auth/users/", body)
		calls := f.env.DB.Calls()
		if res.Status != want {
			t.Fatalf("got %d %s, want %d", res.Status, res.Body, want)
		}
		if len(calls) != 1 || calls["TransactWriteItems"] != 1 {
			t.Errorf("%d: got DynamoDB calls %v, want exactly one TransactWriteItems", want, calls)
		}
	}
}
