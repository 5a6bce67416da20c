package password

import (
	"strings"
	"testing"
)

// Hashes made here by Django 3.2.25 itself (Debian's python3-django
// 3:3.2.25-0+deb12u7 with python3-bcrypt 3.2.2 and python3-argon2 21.1.0):
// make_password(password, hasher=...) with Django's default costs, except
// where a cost is named; each also checked with Django's check_password.
func TestVerifyDjango(t *testing.T) {
	long := strings.Repeat("x", 72) + "tail-one"
	tests := []struct {
		name     string
		encoded  string
		password string
		// also must match (true) or must not match (false), as in Django
		others map[string]bool
	}{
		{
			name:     "pbkdf2_sha256, 260000 iterations (Django 3.2)",
			encoded:  "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
			password: "lètmein",
			others:   map[string]bool{"letmein": false, "lètmeinz": false, "": false},
		},
		{
			name:     "pbkdf2_sha256, 216000 iterations (Django 3.1)",
			encoded:  "pbkdf2_sha256$216000$seasalt$youGZxOw6ZOcfrXv2i8/AhrnpZflJJ9EshS9XmUJTUg=",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
		{
			name:     "bcrypt_sha256, cost 12",
			encoded:  "bcrypt_sha256$$2b$12$alBz00celhTFrgnXjjazVuOZhhrBPfRvtJy0ZPm6LYLcXUoW1.Ho6",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
		{
			name:     "bcrypt, cost 12",
			encoded:  "bcrypt$$2b$12$5v8DVVepIXrWSyc9K1msBO2ZFhnV3SD8biBpwlGQHl9vNw8lujPZm",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
		{
			// bcrypt uses the first 72 bytes only.
			name:     "bcrypt, cost 4, 80-byte password",
			encoded:  "bcrypt$$2b$04$thdLQCsLJB5dISlM6gVc3.lYtfCl0msqLvGK5Wefz1lN4sX64MCwO",
			password: long,
			others: map[string]bool{
				strings.Repeat("x", 72) + "tail-two": true,
				strings.Repeat("x", 72):              true,
				strings.Repeat("x", 71):              false,
				// Python's bcrypt raises ValueError, so Django never accepted it.
				strings.Repeat("x", 72) + "\x00": false,
			},
		},
		{
			// bcrypt.hashpw with gensalt(4, prefix=b"2a"), "bcrypt$" prepended.
			name:     "bcrypt, $2a$ prefix",
			encoded:  "bcrypt$$2a$04$y2P8bfNhl.NlXWUr.xjKgu9y0RxmbJYXHUURF6VMiUGewtTakl/8W",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
		{
			// A $2b$ hash of "pw" relabelled $2y$, which Python's bcrypt accepts.
			name:     "bcrypt, $2y$ prefix",
			encoded:  "bcrypt$$2y$04$wJumxZX8Hr1B9xj0QqwjOOKyHncX4RWPH6xzhsY60AIIrPMXB4P0O",
			password: "pw",
			others:   map[string]bool{"pW": false},
		},
		{
			// The SHA-256 pre-hash makes all 80 bytes count.
			name:     "bcrypt_sha256, cost 4, 80-byte password",
			encoded:  "bcrypt_sha256$$2b$04$7mcdlqgWT1SsfGkWUhSs.e9fdUrZ6.pX4fu3kFL.zW.4A4rcd88lO",
			password: long,
			others: map[string]bool{
				strings.Repeat("x", 72) + "tail-two": false,
				strings.Repeat("x", 72):              false,
			},
		},
		{
			name:     "argon2 (argon2id, Django 3.2 defaults m=102400,t=2,p=8)",
			encoded:  "argon2$argon2id$v=19$m=102400,t=2,p=8$T1MyNDFtSnY5Y3FaSDVoQ1JaVDlxdA$qXBwaWRGWaRYvgnIn7MNXg",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
		{
			// Django before 3.2 used argon2i with m=512,t=2,p=2; made with
			// argon2.low_level.hash_secret(..., type=Type.I) and "argon2" prepended.
			name:     "argon2 (argon2i, Django 3.1 defaults)",
			encoded:  "argon2$argon2i$v=19$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$QallDq/1zpg73Bt1RKe/jA",
			password: "lètmein",
			others:   map[string]bool{"lètmeinz": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // bcrypt at cost 12 takes seconds under -race
			h := NewHasher(Cheap)
			ok, needsUpgrade, err := h.Verify(tt.password, tt.encoded)
			if !ok || !needsUpgrade || err != nil {
				t.Errorf("Verify(right password) = %v, %v, %v, want true, true, nil", ok, needsUpgrade, err)
			}
			for password, want := range tt.others {
				ok, needsUpgrade, err := h.Verify(password, tt.encoded)
				if ok != want || needsUpgrade != want || err != nil {
					t.Errorf("Verify(%q) = %v, %v, %v, want %v, %v, nil", password, ok, needsUpgrade, err, want, want)
				}
			}
		})
	}
}
