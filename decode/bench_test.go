package decode

import (
	"os"
	"testing"
)

// BenchmarkDecode measures the whole decode of a typical access token:
// extraction, base64, ordered JSON, times and diagnostics.
//
//	go test ./decode -run '^$' -bench . -benchmem
func BenchmarkDecode(b *testing.B) { benchDecode(b, "access.jwt", 1) }

// BenchmarkDecodeTokenResponse decodes a JSON token response with an access
// token, an ID token and an opaque refresh token.
func BenchmarkDecodeTokenResponse(b *testing.B) { benchDecode(b, "response.json", 2) }

func benchDecode(b *testing.B, file string, tokens int) {
	input, err := os.ReadFile("../testdata/tokens/" + file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Decode(input, Options{Now: now})
		if err != nil || len(res.Tokens) != tokens {
			b.Fatalf("err %v, %d tokens", err, len(res.Tokens))
		}
	}
}
