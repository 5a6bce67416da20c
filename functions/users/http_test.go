package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jwtauth/jwtauth/shared/api/apitest"
)

const (
	allowUsers = "POST, OPTIONS"
	allowMe    = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
)

// #136-#139 for the users routes: 405 with the route's Allow header.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := apitest.Bearer(f.login(t, f.signUp(t, "alice@example.com")).Access)
	cases := []struct {
		name, method, path, allow string
	}{
		{"#138 DELETE /auth/users/", http.MethodDelete, "/auth/users/", allowUsers},
		{"GET /auth/users/ has no list (DESIGN)", http.MethodGet, "/auth/users/", allowUsers},
		{"PUT /auth/users", http.MethodPut, "/auth/users", allowUsers},
		{"#139 GET /auth/users/set_password/", http.MethodGet, "/auth/users/set_password/", allowUsers},
		{"GET /auth/users/set_email/", http.MethodGet, "/auth/users/set_email/", allowUsers},
		{"DELETE /auth/users/logout_all", http.MethodDelete, "/auth/users/logout_all", allowUsers},
		{"POST /auth/users/me/", http.MethodPost, "/auth/users/me/", allowMe},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.do(c.method, c.path, "", auth...)
			expect(t, res, http.StatusMethodNotAllowed, `{"detail":"Method \"`+c.method+`\" not allowed."}`)
			expectHeader(t, res, "Allow", c.allow)
		})
	}
}

// Successful answers carry their route's Allow header too, as DRF's do.
func TestAllowOnSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.do(http.MethodPost, "/auth/users/", registration("allow@example.com", "A", "L", goodPassword))
	expectHeader(t, res, "Allow", allowUsers)
	a := account{ID: res.Field(t, "id"), Email: "allow@example.com"}
	expectHeader(t, f.me(f.login(t, a).Access), "Allow", allowMe)
}

// #142 and #144 answered 500 in the reference.
func TestHeadAndOptionsMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := apitest.Bearer(f.login(t, f.signUp(t, "alice@example.com")).Access)
	cases := []struct {
		name, method string
		auth         []string
		status       int
		want         string
	}{
		{"#144 HEAD me authenticated (DESIGN)", http.MethodHead, auth, 200, ``},
		{"HEAD me unauthenticated", http.MethodHead, nil, 401, ``},
		{"HEAD me with garbage", http.MethodHead, apitest.Bearer("garbage"), 401, ``},
		{"#142 OPTIONS me authenticated: DRF's metadata (DESIGN)", http.MethodOptions, auth, 200, `{"name":"Me","description":"","renders":["application/json","text/html"],` +
			`"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"PUT":{` +
			`"first_name":{"type":"string","required":true,"read_only":false,"label":"First name","max_length":150},` +
			`"last_name":{"type":"string","required":true,"read_only":false,"label":"Last name","max_length":150},` +
			`"id":{"type":"field","required":false,"read_only":true,"label":"ID"},` +
			`"email":{"type":"email","required":false,"read_only":true,"label":"Email","max_length":254}}}}`},
		{"OPTIONS me unauthenticated, as #141", http.MethodOptions, nil, 401, notProvided},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.do(c.method, "/auth/users/me/", "", c.auth...)
			expect(t, res, c.status, c.want)
			expectHeader(t, res, "Allow", allowMe)
		})
	}
}

// Unrouted paths get API Gateway's 404, never another route's answer.
func TestNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "alice@example.com")
	auth := apitest.Bearer(f.login(t, a).Access)
	for _, path := range []string{
		"/auth/users/me/x", "/auth/usersXYZ", "/auth/users/meXYZ/", "/auth/users//", "/auth/users/me//",
		"/auth/users/" + a.ID + "/", "/auth/users/activation/", "/auth/users/reset_password/",
		"/auth/users/me.json", "/auth/", "/",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+" "+path, func(t *testing.T) {
				res := f.do(method, path, `{"email":"nf@example.com","password":"S3cure-Passw0rd!","first_name":"N","last_name":"F"}`, auth...)
				expect(t, res, http.StatusNotFound, notFound)
				if res.Header.Get("Allow") != "" {
					t.Errorf("got Allow %q on a 404, want none", res.Header.Get("Allow"))
				}
			})
		}
	}
	if got := f.emailOwner(t, "nf@example.com"); got != "" {
		t.Errorf("a 404 path registered user %s", got)
	}
}

// accessControl returns the response's Access-Control-* headers.
func accessControl(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

// The functions answer CORS themselves (DESIGN: no CorsConfiguration in the template).
func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "cors@example.com")
	preflight := func(path, origin, method string) apitest.Response {
		return f.do(http.MethodOptions, path, "", "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", "authorization,content-type")
	}
	allowed := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin":  origin,
			"Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
			"Access-Control-Allow-Headers": "authorization, content-type",
			"Access-Control-Max-Age":       "600",
		}
	}
	decorated := func(origin string) map[string]string {
		return map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "Retry-After"}
	}
	cases := []struct {
		name   string
		res    func() apitest.Response
		status int
		want   string
		cors   map[string]string // exactly these Access-Control-* headers
	}{
		{"preflight register from Ionic's dev server", func() apitest.Response { return preflight("/auth/users/", "http://localhost:8100", "POST") },
			204, ``, allowed("http://localhost:8100")},
		{"preflight me from Capacitor", func() apitest.Response { return preflight("/auth/users/me/", "capacitor://localhost", "GET") },
			204, ``, allowed("capacitor://localhost")},
		{"preflight from Capacitor 6 on Android", func() apitest.Response { return preflight("/auth/users/set_password", "https://localhost", "POST") },
			204, ``, allowed("https://localhost")},
		{"preflight from an origin not allowed", func() apitest.Response { return preflight("/auth/users/", "https://evil.example", "POST") },
			204, ``, map[string]string{}},
		{"preflight from a look-alike origin", func() apitest.Response {
			return preflight("/auth/users/", "http://localhost:8100.evil.example", "POST")
		},
			204, ``, map[string]string{}},
		{"register from an allowed origin", func() apitest.Response {
			return f.do(http.MethodPost, "/auth/users/", `{}`, "Origin", "http://localhost:8100")
		}, 400, `{"first_name":["This field is required."],"last_name":["This field is required."],"email":["This field is required."],"password":["This field is required."]}`, decorated("http://localhost:8100")},
		{"401 from an allowed origin is readable", func() apitest.Response {
			return f.do(http.MethodGet, "/auth/users/me/", "", "Origin", "capacitor://localhost")
		}, 401, notProvided, decorated("capacitor://localhost")},
		{"me from Capacitor", func() apitest.Response {
			return f.do(http.MethodGet, "/auth/users/me/", "", "Origin", "capacitor://localhost", "Authorization", "Bearer "+f.login(t, a).Access)
		}, 200, meBody(a.First, a.Last, a.ID, a.Email), decorated("capacitor://localhost")},
		{"request from an origin not allowed", func() apitest.Response {
			return f.do(http.MethodGet, "/auth/users/me/", "", "Origin", "https://evil.example")
		}, 401, notProvided, map[string]string{}},
		{"OPTIONS without Access-Control-Request-Method is no preflight (#141)", func() apitest.Response {
			return f.do(http.MethodOptions, "/auth/users/", "", "Origin", "http://localhost:8100")
		}, 401, notProvided, decorated("http://localhost:8100")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.res()
			expect(t, res, c.status, c.want)
			got := accessControl(res.Header)
			if len(got) != len(c.cors) {
				t.Errorf("got Access-Control headers %v, want %v", got, c.cors)
			}
			for k, v := range c.cors {
				if got[k] != v {
					t.Errorf("got %s %q, want %q", k, got[k], v)
				}
			}
			if len(c.cors) > 0 {
				expectHeader(t, res, "Vary", "Origin")
			}
		})
	}
}

// DESIGN round-trip budget: GET me reads the user and its session in one BatchGetItem.
func TestMeOneRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "trips@example.com")
	access := f.login(t, a).Access
	f.env.DB.Reset()
	res := f.me(access)
	calls := f.env.DB.Calls()
	expect(t, res, http.StatusOK, meBody(a.First, a.Last, a.ID, a.Email))
	if len(calls) != 1 || calls["BatchGetItem"] != 1 {
		t.Errorf("got DynamoDB calls %v, want exactly one BatchGetItem", calls)
	}
}
