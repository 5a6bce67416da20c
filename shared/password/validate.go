package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// UserAttributes are the fields the similarity validator compares against.
type UserAttributes struct{ Email, FirstName, LastName string }

// Django 3.2's messages, word for word.
const (
	msgTooSimilar = "The password is too similar to the %s."
	msgTooShort   = "This password is too short. It must contain at least 8 characters."
	msgTooCommon  = "This password is too common."
	msgNumeric    = "This password is entirely numeric."
)

// Django has no upper limit and so no message; this one follows msgTooShort.
var msgTooLong = fmt.Sprintf("This password is too long. It must contain at most %d bytes.", MaxLength)

const (
	minLength     = 8
	maxSimilarity = 0.7
)

// Validate runs Django's four default validators in Django's default order and returns every failure message
// (nil when the password passes): UserAttributeSimilarityValidator, MinimumLengthValidator(8), CommonPasswordValidator, NumericPasswordValidator.
// A password longer than MaxLength gets one message of ours instead.
func Validate(password string, attrs UserAttributes) []string {
	if len(password) > MaxLength {
		return []string{msgTooLong}
	}
	var failures []string
	if name := similarAttribute(password, attrs); name != "" {
		failures = append(failures, fmt.Sprintf(msgTooSimilar, name))
	}
	if utf8.RuneCountInString(password) < minLength { // Python's len counts code points
		failures = append(failures, msgTooShort)
	}
	if _, ok := commonPasswords()[strings.TrimFunc(pyLower(password), pyIsSpace)]; ok {
		failures = append(failures, msgTooCommon)
	}
	if pyIsDigit(password) {
		failures = append(failures, msgNumeric)
	}
	return failures
}

// similarAttribute is Django 3.2.25's UserAttributeSimilarityValidator.validate:
// it returns the verbose name of the first attribute, in Django's order
// (username, first_name, last_name, email; we have no username), that the
// password is too similar to, or "".
func similarAttribute(password string, attrs UserAttributes) string {
	pw := []rune(pyLower(password))
	for _, attr := range []struct{ name, value string }{
		{"first name", attrs.FirstName},
		{"last name", attrs.LastName},
		{"email", attrs.Email},
	} {
		if attr.value == "" {
			continue
		}
		value := pyLower(attr.value)
		// re.split(r'\W+', value_lower) + [value_lower]
		for _, part := range append(splitNonWord(value), value) {
			p := []rune(part)
			if exceedsMaximumLengthRatio(len(pw), len(p)) {
				continue
			}
			if quickRatio(pw, p) >= maxSimilarity {
				return attr.name
			}
		}
	}
	return ""
}

// exceedsMaximumLengthRatio is Django's guard (CVE-2021-45115) that skips
// values far shorter than the password, which could never be similar enough.
func exceedsMaximumLengthRatio(pwdLen, valueLen int) bool {
	return pwdLen >= 10*valueLen && float64(valueLen) < maxSimilarity/2*float64(pwdLen)
}

// common-passwords.txt.gz is django/contrib/auth/common-passwords.txt.gz from
// Debian's python3-django 3:3.2.25-0+deb12u7 (Django 3.2.25, BSD-3-Clause):
// 19,727 lower-cased entries, one a line.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is loaded on first use, so cold starts that never validate a
// password do not pay for it.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("password: embedded common-passwords list: " + err.Error())
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		panic("password: embedded common-passwords list: " + err.Error())
	}
	set := make(map[string]struct{}, 20000)
	for line := range strings.Lines(string(text)) {
		set[strings.TrimFunc(line, pyIsSpace)] = struct{}{} // Django strips each line
	}
	return set
})
