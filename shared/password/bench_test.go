package password

import "testing"

func BenchmarkHashOWASP(b *testing.B) {
	h := NewHasher(OWASP)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("An0ther-Passw0rd!"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOWASP(b *testing.B) {
	h := NewHasher(OWASP)
	encoded, err := h.Hash("An0ther-Passw0rd!")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, _ := h.Verify("An0ther-Passw0rd!", encoded); !ok {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	attrs := UserAttributes{Email: "alice@example.com", FirstName: "Alice", LastName: "Smith"}
	Validate("warm-up the common list", attrs)
	b.ReportAllocs()
	for b.Loop() {
		Validate("An0ther-Passw0rd!", attrs)
	}
}
