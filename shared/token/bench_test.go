package token

import (
	"testing"
	"time"
)

func benchIssuer(b *testing.B) *Issuer {
	ks, err := ParseKeySet(testKey)
	if err != nil {
		b.Fatal(err)
	}
	i, err := NewIssuer(Options{Keys: ks, AccessLifetime: 5 * time.Minute, RefreshLifetime: 4320 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	return i
}

func BenchmarkNewSession(b *testing.B) {
	i := benchIssuer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAccess(b *testing.B) {
	i := benchIssuer(b)
	p, err := i.NewSession("5e3b7bad-be57-466c-98b1-fdc08896b8a5", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Parse(p.Access, Access); err != nil {
			b.Fatal(err)
		}
	}
}
