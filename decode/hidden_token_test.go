package decode

import (
	"strings"
	"testing"
)

// FuzzExtractSeesEveryToken: whatever whitespace a header starts with,
// whatever the claims, and whichever separator a Cookie header or log line
// puts between them, both tokens are found; neither hides behind the other.
//
//	go test ./decode -run '^$' -fuzz FuzzExtractSeesEveryToken -fuzztime 1m
func FuzzExtractSeesEveryToken(f *testing.F) {
	f.Add([]byte(" "), byte(0), `{"sub":"mallory"}`, false)
	f.Add([]byte("\n"), byte(1), `{"sub":"a","exp":1}`, true)
	f.Add([]byte("\r\n\t  "), byte(2), ``, false)
	f.Add([]byte(""), byte(3), `not json`, true)
	f.Add([]byte("\t"), byte(4), `{"a":"b c"}`, false)
	separators := []string{"; ", " ", "\n", ", ", "\t", " | ", "\r\n"}
	f.Fuzz(func(t *testing.T, ws []byte, sep byte, claims string, hiddenFirst bool) {
		// Only JSON's whitespace (RFC 8259 section 2) may precede the object.
		var lead strings.Builder
		for _, c := range ws {
			if strings.IndexByte(" \t\r\n", c) >= 0 && lead.Len() < 64 {
				lead.WriteByte(c)
			}
		}
		hidden := enc(lead.String()+`{"alg":"HS256","typ":"JWT"}`) + "." + enc(claims) + "." + enc("forged")
		toks := []string{sample, hidden}
		if hiddenFirst {
			toks[0], toks[1] = toks[1], toks[0]
		}
		input := "Cookie: a=" + toks[0] + separators[int(sep)%len(separators)] + "b=" + toks[1]
		ex, err := Extract([]byte(input))
		if err != nil {
			t.Fatalf("Extract(%q): %v", input, err)
		}
		var got []string
		for _, c := range ex.Candidates {
			got = append(got, c.Token)
		}
		if strings.Join(got, "|") != strings.Join(toks, "|") {
			t.Fatalf("Extract(%q)\n got %q\nwant %q", input, got, toks)
		}
	})
}

// BenchmarkExtractLogText measures the text scan on a 64 KiB log excerpt
// with a token on every twentieth line.
func BenchmarkExtractLogText(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		sb.WriteString("2026-11-27T10:02:11Z INFO GET /api/v1.2.3/orders?id=42 host=api.example.com status=200 took=12ms ")
		if i%20 == 0 {
			sb.WriteString("authorization=\"Bearer " + sample + "\"")
		}
		sb.WriteByte('\n')
	}
	input := []byte(sb.String())
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		ex, err := Extract(input)
		if err != nil || len(ex.Candidates) != 1 {
			b.Fatalf("err %v, %d candidates", err, len(ex.Candidates))
		}
	}
}
