package decode

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// stringValueCases are JSON texts that a claim's value can be: plain
// strings, every escape, control characters, invalid and unusual UTF-8,
// broken literals and other JSON types.
var stringValueCases = []string{
	`"a"`, `""`, `"api://workouts"`, `"héllo"`, `"日本語"`, `"\u00e9"`, `"a\"b"`, `"a\\b"`,
	`"a\/b"`, `"\n\t\r\b\f"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\u2028"`, "\"\u2028\"",
	"\"\xff\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", "\"\xef\xbf\xbd\"", "\"a\x00b\"", "\"a\x1fb\"",
	"\"a\tb\"", "\"\x7f\"", `"a"b"`, `"a" `, ` "a"`, `"`, `"a`, `a"`, `'a'`, `"\x"`, `"\u12"`,
	`1`, `null`, `true`, `["a"]`, `{"a":1}`, ``, `"<script>&amp;"`, `"a""`,
}

// StringValue is json.Unmarshal into a string, on every input: the fast
// path must never give a different answer.
func TestStringValueIsUnmarshal(t *testing.T) {
	check := func(raw string) {
		t.Helper()
		var want string
		wantErr := json.Unmarshal([]byte(raw), &want)
		got, ok := StringValue([]byte(raw))
		if ok != (wantErr == nil) || (ok && got != want) {
			t.Errorf("StringValue(%q) = %q, %v; json.Unmarshal gives %q, %v", raw, got, ok, want, wantErr)
		}
	}
	for _, c := range stringValueCases {
		check(c)
	}
	// Random literals over the bytes that matter.
	alphabet := []byte("a\"\\/u0dD8\x00\x1f\x7f\xc3\xa9\xed\xa0\x80\xff\xe2\xbf\xbd \t\n")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte{'"'}
		for range r.IntN(8) {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(10) > 0 {
			b = append(b, '"')
		}
		check(string(b))
	}
}

func FuzzStringValue(f *testing.F) {
	for _, c := range stringValueCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want string
		wantErr := json.Unmarshal(raw, &want)
		got, ok := StringValue(raw)
		if ok != (wantErr == nil) || (ok && got != want) {
			t.Errorf("StringValue(%q) = %q, %v; json.Unmarshal gives %q, %v", raw, got, ok, want, wantErr)
		}
	})
}
