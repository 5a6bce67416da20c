package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// argon2Call records the parameters of one argon2id computation.
type argon2Call struct {
	time, memory uint32
	threads      uint8
	saltLen      int
	keyLen       uint32
}

// recordArgon2 makes h record every argon2id computation it performs.
func recordArgon2(h *Hasher) *[]argon2Call {
	var calls []argon2Call
	kdf := h.idKey
	h.idKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		calls = append(calls, argon2Call{time, memory, threads, len(salt), keyLen})
		return kdf(password, salt, time, memory, threads, keyLen)
	}
	return &calls
}

func TestHashFormat(t *testing.T) {
	tests := []struct {
		name   string
		params Params
		want   *regexp.Regexp
	}{
		{"cheap", Cheap, regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)},
		{"owasp", OWASP, regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewHasher(tt.params).Hash("lètmein")
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if !tt.want.MatchString(got) {
				t.Errorf("Hash = %q, want match for %s", got, tt.want)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := NewHasher(Cheap)
	first, _ := h.Hash("lètmein")
	second, _ := h.Hash("lètmein")
	if first == second {
		t.Errorf("two hashes of one password are both %q, want random salts", first)
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := NewHasher(Cheap)
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "correct horse"},
		{"non-ascii", "lètmein"},
		{"empty", ""},
		{"NUL byte", "a\x00b"},
		{"MaxLength bytes", strings.Repeat("é", MaxLength/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := h.Hash(tt.password)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			for _, c := range []struct {
				password string
				want     bool
			}{{tt.password, true}, {tt.password + "x", false}, {strings.ToUpper(tt.password) + "X", false}} {
				ok, needsUpgrade, err := h.Verify(c.password, encoded)
				if ok != c.want || needsUpgrade || err != nil {
					t.Errorf("Verify(%.20q) = %v, %v, %v, want %v, false, nil", c.password, ok, needsUpgrade, err, c.want)
				}
			}
		})
	}
}

func TestTooLong(t *testing.T) {
	h := NewHasher(Cheap)
	password := strings.Repeat("a", MaxLength+1)
	if got, err := h.Hash(password); err == nil {
		t.Errorf("Hash(%d bytes) = %q, nil, want an error", len(password), got)
	}
	encoded, _ := h.Hash(password[:MaxLength])
	// Only MaxLength bytes could ever have been hashed, so longer never matches.
	if ok, needsUpgrade, err := h.Verify(password, encoded); ok || needsUpgrade || err != nil {
		t.Errorf("Verify(%d bytes) = %v, %v, %v, want false, false, nil", len(password), ok, needsUpgrade, err)
	}
}

// Reference vector from libargon2 (argon2-cffi 21.1.0, Debian python3-argon2):
// argon2.low_level.hash_secret(b"password", b"somesalt", time_cost=2,
// memory_cost=256, parallelism=2, hash_len=32, type=Type.ID).
const libargon2Vector = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"

func TestNeedsUpgrade(t *testing.T) {
	cheap, _ := NewHasher(Cheap).Hash("lètmein")
	vectorParams := Params{Memory: 256, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 32}
	tests := []struct {
		name     string
		params   Params
		encoded  string
		password string
		want     bool
	}{
		{"our params", Cheap, cheap, "lètmein", false},
		{"other memory", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, cheap, "lètmein", true},
		{"other time", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, cheap, "lètmein", true},
		{"other threads", Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, cheap, "lètmein", true},
		{"other salt length", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, cheap, "lètmein", true},
		{"other key length", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 16}, cheap, "lètmein", true},
		{"production params", OWASP, cheap, "lètmein", true},
		{"libargon2 hash, same params", vectorParams, libargon2Vector, "password", false},
		{"libargon2 hash, other params", Cheap, libargon2Vector, "password", true},
		{"our hash in Django's argon2 format", Cheap, "argon2" + cheap, "lètmein", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsUpgrade, err := NewHasher(tt.params).Verify(tt.password, tt.encoded)
			if !ok || needsUpgrade != tt.want || err != nil {
				t.Errorf("Verify = %v, %v, %v, want true, %v, nil", ok, needsUpgrade, err, tt.want)
			}
			ok, needsUpgrade, err = NewHasher(tt.params).Verify(tt.password+"!", tt.encoded)
			if ok || needsUpgrade || err != nil {
				t.Errorf("Verify(wrong) = %v, %v, %v, want false, false, nil", ok, needsUpgrade, err)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	const (
		salt = "c29tZXNhbHQ"                                 // "somesalt"
		key  = "bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc" // 32 bytes
		bc   = "$2b$04$thdLQCsLJB5dISlM6gVc3.lYtfCl0msqLvGK5Wefz1lN4sX64MCwO"
	)
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "lètmein"},
		{"unknown algorithm", "md5$seasalt$0123456789abcdef0123456789abcdef"},
		{"bare bcrypt", bc},
		{"argon2 too few fields", "$argon2id$v=19$m=256,t=2,p=2$" + salt},
		{"argon2 too many fields", "$argon2id$v=19$m=256,t=2,p=2$" + salt + "$" + key + "$"},
		{"argon2 no leading $", "argon2id$v=19$m=256,t=2,p=2$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=256,t=2,p=2$" + salt + "$" + key},
		{"argon2i is not our format", "$argon2i$v=19$m=256,t=2,p=2$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=256,t=2,p=2$" + salt + "$" + key},
		{"no version", "$argon2id$m=256,t=2,p=2$" + salt + "$" + key + "$"},
		{"params out of order", "$argon2id$v=19$t=2,m=256,p=2$" + salt + "$" + key},
		{"missing param", "$argon2id$v=19$m=256,t=2$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=256,t=2,p=2,keyid=1$" + salt + "$" + key},
		{"signed number", "$argon2id$v=19$m=+256,t=2,p=2$" + salt + "$" + key},
		{"space in params", "$argon2id$v=19$m=256, t=2,p=2$" + salt + "$" + key},
		{"m=4294967295", "$argon2id$v=19$m=4294967295,t=2,p=2$" + salt + "$" + key},
		{"m overflows uint32", "$argon2id$v=19$m=4294967296,t=2,p=2$" + salt + "$" + key},
		{"m just over 1 GiB", "$argon2id$v=19$m=1048577,t=2,p=2$" + salt + "$" + key},
		{"m below 8 per thread", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"t=0", "$argon2id$v=19$m=256,t=0,p=2$" + salt + "$" + key},
		{"t=4294967295", "$argon2id$v=19$m=256,t=4294967295,p=2$" + salt + "$" + key},
		{"t just over cap", "$argon2id$v=19$m=256,t=101,p=2$" + salt + "$" + key},
		{"p=0", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key},
		{"p overflows uint8", "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=256,t=2,p=2$!!!!!!!!!!!$" + key},
		{"salt padded", "$argon2id$v=19$m=256,t=2,p=2$" + salt + "=$" + key},
		{"salt with newline", "$argon2id$v=19$m=256,t=2,p=2$c29tZXN\nhbHQ$" + key},
		{"salt non-canonical last character", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHR$" + key},
		{"key in url-safe alphabet", "$argon2id$v=19$m=256,t=2,p=2$" + salt + "$" + strings.ReplaceAll(key, "/", "_")},
		{"salt too short", "$argon2id$v=19$m=256,t=2,p=2$c29tZQ$" + key},
		{"key too short", "$argon2id$v=19$m=256,t=2,p=2$" + salt + "$bQk"},
		{"empty key", "$argon2id$v=19$m=256,t=2,p=2$" + salt + "$"},
		{"django argon2 without fields", "argon2$"},
		{"django argon2 with huge m", "argon2$argon2id$v=19$m=4294967295,t=2,p=8$" + salt + "$" + key},
		{"django argon2d", "argon2$argon2d$v=19$m=256,t=2,p=2$" + salt + "$" + key},
		{"pbkdf2 too few fields", "pbkdf2_sha256$260000$seasalt"},
		{"pbkdf2 too many fields", "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=$"},
		{"pbkdf2 zero iterations", "pbkdf2_sha256$0$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 negative iterations", "pbkdf2_sha256$-1$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 iterations not a number", "pbkdf2_sha256$many$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 leading zero", "pbkdf2_sha256$0260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 iterations over cap", "pbkdf2_sha256$10000001$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 iterations overflow", "pbkdf2_sha256$99999999999999999999$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2 empty salt", "pbkdf2_sha256$260000$$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="},
		{"pbkdf2_sha1 unsupported", "pbkdf2_sha1$260000$seasalt$hash"},
		{"bcrypt empty", "bcrypt$"},
		{"bcrypt_sha256 empty", "bcrypt_sha256$"},
		{"bcrypt too short", "bcrypt$" + bc[:59]},
		{"bcrypt too long", "bcrypt$" + bc + "O"},
		{"bcrypt unknown minor version", "bcrypt$$2x$" + bc[4:]},
		{"bcrypt major version 3", "bcrypt$$3b$" + bc[4:]},
		{"bcrypt cost 31", "bcrypt$$2b$31$" + bc[7:]},
		{"bcrypt cost over cap", "bcrypt$$2b$17$" + bc[7:]},
		{"bcrypt cost 3", "bcrypt$$2b$03$" + bc[7:]},
		{"bcrypt cost not a number", "bcrypt$$2b$xx$" + bc[7:]},
		{"bcrypt salt not base64", "bcrypt$$2b$04$!!!!!!!!!!!!!!!!!!!!!!" + bc[29:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHasher(Cheap)
			calls := recordArgon2(h)
			ok, needsUpgrade, err := h.Verify("password", tt.encoded)
			if ok || needsUpgrade || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, %v, %v, want false, false, ErrMalformedHash", tt.encoded, ok, needsUpgrade, err)
			}
			if len(*calls) != 0 {
				t.Errorf("Verify(%q) ran argon2 %v, want no work for a malformed hash", tt.encoded, *calls)
			}
		})
	}
}

func TestVerifyUnusable(t *testing.T) {
	// Django's set_unusable_password: "!" and 40 random characters.
	const encoded = "!Q2cPyHuYBq9NxBTmOsDRW1nd0o1WOgmCDrX4yYnv"
	h := NewHasher(Cheap)
	calls := recordArgon2(h)
	ok, needsUpgrade, err := h.Verify("", encoded)
	if ok || needsUpgrade || err != nil {
		t.Errorf("Verify = %v, %v, %v, want false, false, nil", ok, needsUpgrade, err)
	}
	// Like Django's check_password, an unusable password costs a real check.
	if len(*calls) != 1 {
		t.Errorf("Verify ran argon2 %d times, want 1", len(*calls))
	}
}

func TestVerifyDummy(t *testing.T) {
	h := NewHasher(Cheap)
	calls := recordArgon2(h)
	encoded, _ := h.Hash("lètmein")
	*calls = nil
	if h.VerifyDummy("lètmein") {
		t.Error("VerifyDummy = true, want false")
	}
	want := []argon2Call{{time: Cheap.Time, memory: Cheap.Memory, threads: Cheap.Threads, saltLen: int(Cheap.SaltLen), keyLen: Cheap.KeyLen}}
	if got := *calls; len(got) != 1 || got[0] != want[0] {
		t.Errorf("VerifyDummy ran argon2 %v, want %v", got, want)
	}
	*calls = nil
	if ok, _, _ := h.Verify("lètmein", encoded); !ok {
		t.Fatal("Verify = false, want true")
	}
	if got := *calls; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Verify ran argon2 %v, want the same work as VerifyDummy: %v", got, want)
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	tests := []struct {
		name   string
		params Params
	}{
		{"zero", Params{}},
		{"no threads", Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"no time", Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"memory over 1 GiB", Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"memory under 8 per thread", Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}},
		{"short salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 7, KeyLen: 32}},
		{"short key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 3}},
		{"huge key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", tt.params)
				}
			}()
			NewHasher(tt.params)
		})
	}
}
