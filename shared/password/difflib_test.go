package password

import (
	"strings"
	"testing"
)

// Expected values are CPython 3.11.7's
// difflib.SequenceMatcher(a=a, b=b).quick_ratio(), printed with repr().
func TestQuickRatio(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want float64
	}{
		{"both empty", "", "", 1.0},
		{"empty b", "a", "", 0.0},
		{"empty a", "", "a", 0.0},
		{"shifted", "abcd", "bcde", 0.75},
		{"one in ten", "A", strings.Repeat("A", 10), 0.18181818181818182},
		{"one in hundred", "A", strings.Repeat("A", 100), 0.019801980198019802},
		{"one in thousand", "A", strings.Repeat("A", 1000), 0.001998001998001998},
		{"one letter off", "password", "passwort", 0.875},
		{"email part", "weak4@example.com", "weak4", 0.45454545454545453},
		{"email domain", "weak4@example.com", "example", 0.5833333333333334},
		{"identical", "weak4@example.com", "weak4@example.com", 1.0},
		{"accent is another code point", "lètmein", "letmein", 0.8571428571428571},
		{"greek final sigma", "σοφιας123", "σοφιας", 0.8},
		{"greek medial sigma", "σοφιασ123", "σοφιας", 0.6666666666666666},
		{"repeats in a count once per b", "aaab", "ab", 0.6666666666666666},
		{"repeats in b", "ab", "aaab", 0.6666666666666666},
		// b has 300 elements, so autojunk marks 'a' and 'b' popular: ratio()
		// drops to 0.0033 (0.17 with autojunk=False) but quick_ratio() is
		// the same either way.
		{"popular elements", strings.Repeat("ab", 150), strings.Repeat("a", 250) + strings.Repeat("b", 50), 0.6666666666666666},
		{"long b", strings.Repeat("x", 300), strings.Repeat("x", 201) + "y", 0.8007968127490039},
		{"astral code points", "🔑🔑pass", "pass🔑", 0.9090909090909091},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quickRatio([]rune(tt.a), []rune(tt.b)); got != tt.want {
				t.Errorf("quickRatio(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
