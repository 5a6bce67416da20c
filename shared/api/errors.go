// Package api holds what every function's HTTP layer shares: request decoding with DRF's
// rules, the djoser/simplejwt error shapes, the router (CORS, 404/405, HEAD, OPTIONS),
// Authorization parsing and configuration.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an answer for the client. Handlers return it; Router renders it. Anything else
// a handler returns is hidden behind a generic answer and logged.
type Error struct {
	Status int
	body   []byte
	header http.Header
}

func (e *Error) Error() string { return fmt.Sprintf("api: %d %s", e.Status, e.body) }

// Body is the JSON the client receives.
func (e *Error) Body() []byte { return e.body }

func newError(status int, body []byte) *Error {
	e := &Error{Status: status, body: body, header: http.Header{}}
	if status == http.StatusUnauthorized {
		e.header.Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	return e
}

// Detail is DRF's {"detail": msg}.
func Detail(status int, msg string) *Error {
	return newError(status, mustJSON(struct {
		Detail string `json:"detail"`
	}{msg}))
}

// DetailCode is simplejwt's {"detail": msg, "code": code}.
func DetailCode(status int, msg, code string) *Error {
	return newError(status, mustJSON(struct {
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}{msg, code}))
}

// TokenInvalid is simplejwt's answer for a bad token at the jwt endpoints.
func TokenInvalid(msg string) *Error {
	return DetailCode(http.StatusUnauthorized, msg, "token_not_valid")
}

// AccessTokenInvalid is JWTAuthentication's answer on the users endpoints.
func AccessTokenInvalid(msg string) *Error {
	type message struct {
		TokenClass string `json:"token_class"`
		TokenType  string `json:"token_type"`
		Message    string `json:"message"`
	}
	return newError(http.StatusUnauthorized, mustJSON(struct {
		Detail   string    `json:"detail"`
		Code     string    `json:"code"`
		Messages []message `json:"messages"`
	}{"Given token not valid for any token type", "token_not_valid", []message{{"AccessToken", "access", msg}}}))
}

// NotAuthenticated answers a users endpoint called without credentials of ours.
func NotAuthenticated() *Error {
	return Detail(http.StatusUnauthorized, "Authentication credentials were not provided.")
}

// BadCredentials answers every failed login alike: unknown e-mail, wrong password, inactive.
func BadCredentials() *Error {
	return Detail(http.StatusUnauthorized, "No active account found with the given credentials")
}

// UserNotFound and UserInactive are JWTAuthentication's answers for a valid token.
func UserNotFound() *Error {
	return DetailCode(http.StatusUnauthorized, "User not found", "user_not_found")
}

func UserInactive() *Error {
	return DetailCode(http.StatusUnauthorized, "User is inactive", "user_inactive")
}

// NotFound is API Gateway's own answer for a path no route serves.
func NotFound() *Error {
	return newError(http.StatusNotFound, []byte(`{"message":"Not Found"}`))
}

// MethodNotAllowed is DRF's 405; the router adds Allow.
func MethodNotAllowed(method string) *Error {
	return Detail(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", method))
}

// Throttled is DRF's 429 with Retry-After.
func Throttled(seconds int) *Error {
	unit := "seconds"
	if seconds == 1 {
		unit = "second"
	}
	e := Detail(http.StatusTooManyRequests, fmt.Sprintf("Request was throttled. Expected available in %d %s.", seconds, unit))
	e.header.Set("Retry-After", strconv.Itoa(seconds))
	return e
}

// Unavailable answers when DynamoDB cannot be reached: retrying later is safe.
func Unavailable() *Error {
	e := Detail(http.StatusServiceUnavailable, "Service temporarily unavailable, try again later.")
	e.header.Set("Retry-After", "1")
	return e
}

// internalError hides a bug's cause from the client.
func internalError() *Error {
	return Detail(http.StatusInternalServerError, "A server error occurred.")
}

// FieldErrors collects DRF validation messages per field, in the serializer's field order.
type FieldErrors struct {
	fields []string
	msgs   map[string][]string
}

// Add records msg for field.
func (f *FieldErrors) Add(field string, msgs ...string) {
	if f.msgs == nil {
		f.msgs = map[string][]string{}
	}
	if _, seen := f.msgs[field]; !seen {
		f.fields = append(f.fields, field)
	}
	f.msgs[field] = append(f.msgs[field], msgs...)
}

// Empty reports whether nothing was added.
func (f *FieldErrors) Empty() bool { return len(f.fields) == 0 }

// Err returns the 400 for the collected errors, or nil when there are none.
func (f *FieldErrors) Err() error {
	if f.Empty() {
		return nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for n, field := range f.fields {
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(field))
		b.WriteByte(':')
		b.Write(mustJSON(f.msgs[field]))
	}
	b.WriteByte('}')
	return newError(http.StatusBadRequest, b.Bytes())
}

// FieldError is a 400 for one field.
func FieldError(field string, msgs ...string) error {
	var f FieldErrors
	f.Add(field, msgs...)
	return f.Err()
}

func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("api: encode %T: %v", v, err)) // only our own types reach here
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
