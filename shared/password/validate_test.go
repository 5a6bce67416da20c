package password

import (
	"slices"
	"strings"
	"testing"
)

const (
	similarEmail     = "The password is too similar to the email."
	similarFirstName = "The password is too similar to the first name."
	similarLastName  = "The password is too similar to the last name."
)

// Expected messages are what Django 3.2.25's validate_password (Debian's
// python3-django, default AUTH_PASSWORD_VALIDATORS) returned here for a user
// with these attributes and verbose names "email", "first name", "last name".
func TestValidate(t *testing.T) {
	ann := UserAttributes{Email: "ann.lee@example.com", FirstName: "Ann", LastName: "Lee"}
	tests := []struct {
		name     string
		password string
		attrs    UserAttributes
		want     []string
	}{
		{"observed: short, common and numeric", "12345", ann, []string{msgTooShort, msgTooCommon, msgNumeric}},
		{"observed: common", "password123", ann, []string{msgTooCommon}},
		{"observed: the email itself", "weak4@example.com", UserAttributes{Email: "weak4@example.com"}, []string{similarEmail}},
		{"passes", "correct horse battery staple", ann, nil},
		{"first name", "Jonathan1!", UserAttributes{Email: "jb@example.com", FirstName: "Jonathan", LastName: "Brown"}, []string{similarFirstName}},
		{"last name", "Smithson99", UserAttributes{Email: "jb@example.com", FirstName: "Jon", LastName: "Smithson"}, []string{similarLastName}},
		{"first similar attribute only, then the rest in order", "weak", UserAttributes{Email: "weak@example.com", FirstName: "Weak", LastName: "Weak"}, []string{similarFirstName, msgTooShort}},
		{"part of the email", "example.com", UserAttributes{Email: "x@example.com"}, []string{similarEmail}},
		{"email parts reordered", "lee.ann.example", ann, []string{similarEmail}},
		{"similar but long enough to be skipped", strings.Repeat("a", 20), UserAttributes{Email: "a@a.aa"}, nil},
		{"leading separator gives an empty part", "", UserAttributes{FirstName: "-Ann"}, []string{similarFirstName, msgTooShort}},
		{"empty password against a plain email", "", UserAttributes{Email: "ann@example.com"}, []string{msgTooShort}},
		{"non-ascii letters", "Żółć gęślą jaźń", UserAttributes{Email: "zolc@example.com", FirstName: "Żółć", LastName: "Jaźń"}, nil},
		{"non-ascii letters similar", "jaźń1234", UserAttributes{Email: "zolc@example.com", FirstName: "Żółć", LastName: "Jaźń"}, nil},
		{"dotted capital I lowers to two code points", "İİİİİİİİ", UserAttributes{FirstName: "iiiiiiii"}, nil},
		{"dotted capital I", "İstanbul", UserAttributes{Email: "ist@example.com", FirstName: "İstanbul"}, []string{similarFirstName}},
		{"word-final sigma lowers to ς", "ΣΟΦΙΑΣ123", UserAttributes{Email: "sofia@example.com", FirstName: "Σοφιας"}, []string{similarFirstName}},
		{"sigma in name lowers to ς", "σοφιασ123", UserAttributes{FirstName: "Σοφιασ"}, []string{similarFirstName}},
		{"common after lower and strip", "  PASSWORD123 ", ann, []string{msgTooCommon}},
		{"Python strips U+001C..U+001F", "\x1cpassword\x1f", ann, []string{msgTooCommon}},
		{"common one-letter", "x", UserAttributes{Email: "a@b.c", FirstName: "-Ann"}, []string{msgTooShort, msgTooCommon}},
		{"common and numeric", "1234567890", ann, []string{msgTooCommon, msgNumeric}},
		{"Arabic-Indic digits", "١٢٣٤٥٦٧٨٩", ann, []string{msgNumeric}},
		{"superscript digits", "²³⁴⁵⁶⁷⁸⁹", ann, []string{msgNumeric}},
		{"circled digits", "①②③④⑤⑥⑦⑧", ann, []string{msgNumeric}},
		{"fractions are numeric but not digits", "½½½½½½½½", ann, nil},
		{"length in code points", "pässwörd", ann, nil},
		{"MaxLength bytes of one letter", strings.Repeat("a", MaxLength), UserAttributes{Email: "a@a.aa"}, nil},
		{"MaxLength bytes mixed", strings.Repeat("Ab1!", MaxLength/4), ann, nil},
		{"MaxLength bytes of digits", strings.Repeat("1", MaxLength), ann, []string{msgNumeric}},
		{"MaxLength bytes similar to a long name", strings.Repeat("Ab1!", MaxLength/4), UserAttributes{FirstName: strings.Repeat("Ab1!", 700)}, []string{similarFirstName}},
		// Ours: Django has no upper limit.
		{"over MaxLength", strings.Repeat("a", MaxLength+1), ann, []string{msgTooLong}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Validate(tt.password, tt.attrs); !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%.30q, %+v) = %q, want %q", tt.password, tt.attrs, got, tt.want)
			}
		})
	}
}

func TestSplitNonWord(t *testing.T) {
	// Expected values are CPython 3.11's re.split(r'\W+', s).
	tests := []struct {
		s    string
		want []string
	}{
		{"", []string{""}},
		{"ann", []string{"ann"}},
		{"ann.lee@example.com", []string{"ann", "lee", "example", "com"}},
		{"-ann", []string{"", "ann"}},
		{"ann-", []string{"ann", ""}},
		{"--", []string{"", ""}},
		{"a__b+-c", []string{"a__b", "c"}},
		{"żółć jaźń", []string{"żółć", "jaźń"}},
		{"a½b²c", []string{"a½b²c"}},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := splitNonWord(tt.s); !slices.Equal(got, tt.want) {
				t.Errorf("splitNonWord(%q) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}

func TestCommonPasswordsList(t *testing.T) {
	list := commonPasswords()
	if got, want := len(list), 19727; got != want {
		t.Errorf("list has %d entries, want %d", got, want)
	}
	// Django's test_validate_django_supplied_file: lower-cased, as the
	// comparison lower-cases the password.
	for password := range list {
		if password != pyLower(password) || password != strings.TrimFunc(password, pyIsSpace) || password == "" {
			t.Errorf("entry %q is not lower-cased and stripped", password)
		}
	}
}
