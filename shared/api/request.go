package api

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBodyBytes is the largest request body accepted (413 beyond).
const MaxBodyBytes = 16 << 10

// Data is a decoded request body: a JSON object, or form fields (strings).
type Data map[string]any

// ReadData decodes the body as DRF does for JSON, form-encoded and multipart requests.
// An empty body is {}; everything a client can get wrong becomes an *Error.
func ReadData(r *http.Request) (Data, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, Detail(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(body) > MaxBodyBytes {
		return nil, Detail(http.StatusRequestEntityTooLarge, "Request body too large.")
	}
	if len(body) == 0 {
		return Data{}, nil
	}
	contentType := r.Header.Get("Content-Type")
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/json":
		return readJSON(body)
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, Detail(http.StatusBadRequest, "Malformed form data.")
		}
		return formData(values), nil
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(MaxBodyBytes)
		if err != nil {
			return nil, Detail(http.StatusBadRequest, "Multipart form parse error.")
		}
		defer form.RemoveAll()
		return formData(form.Value), nil
	default:
		return nil, Detail(http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type %q in request.", contentType))
	}
}

func readJSON(body []byte) (Data, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, Detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
	}
	switch v := v.(type) {
	case map[string]any:
		return Data(v), nil
	case nil:
		return nil, FieldError("non_field_errors", "No data provided")
	default:
		return nil, FieldError("non_field_errors", fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonTypeName(v)))
	}
}

// formData keeps the last value of a repeated field, as Django's QueryDict does.
func formData(values map[string][]string) Data {
	d := make(Data, len(values))
	for k, vs := range values {
		if len(vs) > 0 {
			d[k] = vs[len(vs)-1]
		}
	}
	return d
}

// Field rules, as DRF's CharField applies them.
type FieldRule struct {
	// Optional: a missing field is not an error (PATCH).
	Optional bool
	// MaxLength in characters; 0 means none.
	MaxLength int
	// Email validates the value with Django's EmailValidator.
	Email bool
	// KeepSpace keeps surrounding whitespace (DRF trims by default).
	KeepSpace bool
}

// String reads field as DRF's CharField does and records any error in errs. present is
// false when the field is missing or invalid.
func (d Data) String(errs *FieldErrors, field string, rule FieldRule) (value string, present bool) {
	raw, ok := d[field]
	if !ok {
		if !rule.Optional {
			errs.Add(field, "This field is required.")
		}
		return "", false
	}
	switch v := raw.(type) {
	case nil:
		errs.Add(field, "This field may not be null.")
		return "", false
	case string:
		value = v
	case jsonNumber:
		value = string(v)
	default:
		errs.Add(field, "Not a valid string.")
		return "", false
	}
	if !rule.KeepSpace {
		value = strings.TrimFunc(value, unicode.IsSpace)
	}
	switch {
	case value == "":
		errs.Add(field, "This field may not be blank.")
		return "", false
	case strings.ContainsRune(value, 0):
		errs.Add(field, "Null characters are not allowed.")
		return "", false
	}
	var msgs []string
	if rule.MaxLength > 0 && utf8.RuneCountInString(value) > rule.MaxLength {
		msgs = append(msgs, fmt.Sprintf("Ensure this field has no more than %d characters.", rule.MaxLength))
	}
	if rule.Email && !ValidEmail(value) {
		msgs = append(msgs, "Enter a valid email address.")
	}
	if len(msgs) > 0 {
		errs.Add(field, msgs...)
		return "", false
	}
	return value, true
}

// Django's EmailValidator (3.2), ASCII part: user part dot-atom or quoted, domain labels
// with a 2..63 character TLD, or localhost, or an IP literal.
var (
	emailUser    = regexp.MustCompile(`(?i)^(?:[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$`)
	emailDomain  = regexp.MustCompile(`(?i)^(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+[A-Z0-9-]{2,63}$`)
	emailLiteral = regexp.MustCompile(`(?i)^\[(?:[0-9.]+|IPv6:[0-9a-f:.]+)\]$`)
)

// ValidEmail reports whether Django's EmailValidator accepts s.
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, "\n\r") {
		return false
	}
	user, domain := s[:at], s[at+1:]
	if !emailUser.MatchString(user) {
		return false
	}
	if domain == "localhost" || emailLiteral.MatchString(domain) {
		return true
	}
	return emailDomain.MatchString(domain) && !strings.HasSuffix(domain, "-")
}

// MaxEmailLength is Django's EmailField limit; it also keeps e-mail keys far below
// DynamoDB's key size limit.
const MaxEmailLength = 254

// CanonicalEmail is the form used for uniqueness, login and storage.
func CanonicalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// BearerToken extracts the token as simplejwt's JWTAuthentication does. ok is false when
// the request carries no credentials of ours (no header, or another scheme).
func BearerToken(r *http.Request) (raw string, ok bool, err error) {
	header := r.Header.Get("Authorization")
	parts := strings.Fields(header)
	if len(parts) == 0 || (parts[0] != "Bearer" && parts[0] != "JWT") {
		return "", false, nil
	}
	if len(parts) != 2 {
		return "", true, DetailCode(http.StatusUnauthorized, "Authorization header must contain two space-delimited values", "bad_authorization_header")
	}
	return parts[1], true, nil
}
