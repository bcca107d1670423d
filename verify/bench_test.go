package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"
)

// The batch benchmarks verify batchSize distinct tokens per iteration, and
// the raw benchmarks run the bare signature math (SHA-256 of the signing
// input and rsa.VerifyPKCS1v15 or ecdsa.VerifyASN1) over the same tokens,
// so that one run gives the ratio the issue asks for:
//
//	go test ./verify -run '^$' -bench 'Batch|Raw' -benchtime 5x
const batchSize = 10000

type benchSet struct {
	tokens  []string
	input   []byte // one token per line
	hashes  [][32]byte
	sigs    [][]byte // raw signatures (RSA) or ASN.1 (ECDSA)
	verifer *Verifier
}

var benchSets = map[string]*benchSet{}

func benchTokens(b *testing.B, alg string) *benchSet {
	b.Helper()
	if s, ok := benchSets[alg]; ok {
		return s
	}
	testKeys(b)
	s := &benchSet{}
	var key any
	var pub Key
	switch alg {
	case "RS256":
		key, pub = rsaKey, rsaPublic("k1", rsaKey)
	case "ES256":
		key, pub = ecKey, Key{ID: "k1", Type: "EC", Detail: "EC P-256", Public: &ecKey.PublicKey}
	}
	var buf bytes.Buffer
	for i := 0; i < batchSize; i++ {
		tok := sign(b, key, map[string]any{"alg": alg, "typ": "at+jwt", "kid": "k1"}, claims(map[string]any{
			"sub": fmt.Sprintf("user-%d", i), "jti": fmt.Sprintf("%032x", i), "name": "Alice Example", "email": "alice@example.com",
			"tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "azp": "5e0c7f0e-2f7e-4a0b-9d43-0d1c2a9b7e11",
		}))
		s.tokens = append(s.tokens, tok)
		buf.WriteString(tok + "\n")
		dot := strings.LastIndexByte(tok, '.')
		s.hashes = append(s.hashes, sha256.Sum256([]byte(tok[:dot])))
		sig, _ := b64url().DecodeString(tok[dot+1:])
		if alg == "ES256" {
			sig = asn1Sig(sig)
		}
		s.sigs = append(s.sigs, sig)
	}
	s.input = buf.Bytes()
	rules := baseRules()
	rules.Typ = "at+jwt"
	rules.Scopes = []string{"workouts.read"}
	s.verifer = newVerifier(rules, pub)
	benchSets[alg] = s
	return s
}

func asn1Sig(raw []byte) []byte {
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
	if err != nil {
		panic(err)
	}
	return der
}

func perToken(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchSize), "ns/token")
}

func benchRaw(b *testing.B, alg string) {
	s := benchTokens(b, alg)
	tokens := s.tokens
	b.ResetTimer()
	for b.Loop() {
		for i, tok := range tokens {
			// Hashing is part of the signature math: both sides do it.
			dot := strings.LastIndexByte(tok, '.')
			h := sha256.Sum256([]byte(tok[:dot]))
			var ok bool
			if alg == "RS256" {
				ok = rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, h[:], s.sigs[i]) == nil
			} else {
				ok = ecdsa.VerifyASN1(&ecKey.PublicKey, h[:], s.sigs[i])
			}
			if !ok {
				b.Fatal("raw verify failed")
			}
		}
	}
	perToken(b)
}

func benchBatch(b *testing.B, alg string, workers int) {
	s := benchTokens(b, alg)
	b.ResetTimer()
	for b.Loop() {
		stats, err := s.verifer.Batch(bg, bytes.NewReader(s.input), io.Discard, workers)
		if err != nil || stats.Valid != batchSize {
			b.Fatalf("%v: %+v", err, stats)
		}
	}
	perToken(b)
}

func BenchmarkRawRS256(b *testing.B)           { benchRaw(b, "RS256") }
func BenchmarkBatchRS256OneCore(b *testing.B)  { benchBatch(b, "RS256", 1) }
func BenchmarkBatchRS256AllCores(b *testing.B) { benchBatch(b, "RS256", 0) }
func BenchmarkRawES256(b *testing.B)           { benchRaw(b, "ES256") }
func BenchmarkBatchES256OneCore(b *testing.B)  { benchBatch(b, "ES256", 1) }
func BenchmarkBatchES256AllCores(b *testing.B) { benchBatch(b, "ES256", 0) }

// BenchmarkVerify is one token through Verify, for profiling.
func BenchmarkVerify(b *testing.B) {
	s := benchTokens(b, "RS256")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if r := s.verifer.Verify(bg, s.tokens[i%batchSize]); !r.Valid {
			b.Fatal(r.Summary)
		}
		i++
	}
}

// TestBatchOutput: one JSON line per token, in input order, blank lines
// skipped, Bearer prefixes allowed, failures with their reasons.
func TestBatchOutput(t *testing.T) {
	testKeys(t)
	good := sign(t, rsaKey, rsHeader("k1"), claims(nil))
	expired := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))
	var in strings.Builder
	for i := 0; i < 300; i++ {
		switch i % 3 {
		case 0:
			in.WriteString(good + "\n")
		case 1:
			in.WriteString("Bearer " + expired + "\n\n")
		case 2:
			in.WriteString("not-a-token\n")
		}
	}
	var out bytes.Buffer
	stats, err := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Batch(bg, strings.NewReader(in.String()), &out, 2)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Tokens != 300 || stats.Valid != 100 || stats.Rejected != 200 {
		t.Fatalf("stats %+v", stats)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d lines", len(lines))
	}
	line := 0
	for i, l := range lines {
		line++
		if i%3 == 2 {
			line++ // the blank line after each expired token
		}
		switch i % 3 {
		case 0:
			if want := fmt.Sprintf(`{"line":%d,"valid":true,"summary":"valid: 8 checks passed","failed":[],"sub":"alice","alg":"RS256","kid":"k1"}`, line); l != want {
				t.Fatalf("line %d:\n got %s\nwant %s", i, l, want)
			}
		case 1:
			if !strings.HasPrefix(l, fmt.Sprintf(`{"line":%d,"valid":false,`, line)) || !strings.Contains(l, `"errors":{"expiry":"expired 1h ago`) {
				t.Fatalf("line %d: %s", i, l)
			}
		case 2:
			if !strings.Contains(l, `"failed":["format"]`) {
				t.Fatalf("line %d: %s", i, l)
			}
		}
	}
}
