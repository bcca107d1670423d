package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// TestBatchLineJSON: the hand-written batch line is byte for byte what
// encoding/json makes of BatchLine.
func TestBatchLineJSON(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "tab\tnewline\n\r", "\x00\x01\x1f\x7f", "<script>&amp;", "héllo wörld ✓", "bad \xff\xfe utf8", "line\u2028sep\u2029", "emoji 😀", "bidi \u202e\u2066\u200f and C1 \u0085\u009b"}
	for _, s := range odd {
		res := &Result{Valid: false, Summary: s, Failed: []string{CheckAudience, s}, Subject: s, Alg: "RS256", Kid: s,
			Checks: []Check{{Name: CheckFormat, Status: Pass, Detail: "ok"}, {Name: CheckAudience, Status: Fail, Detail: s}}}
		checkBatchLine(t, res)
		res.Valid, res.Failed, res.Kid = true, []string{}, ""
		checkBatchLine(t, res)
	}
}

func checkBatchLine(t *testing.T, res *Result) {
	t.Helper()
	bl := BatchLine{Line: 7, Valid: res.Valid, Summary: res.Summary, Failed: res.Failed, Subject: res.Subject, Alg: res.Alg, Kid: res.Kid}
	if !res.Valid {
		bl.Errors = map[string]string{}
		for _, c := range res.Checks {
			if c.Status == Fail {
				bl.Errors[c.Name] = c.Detail
			}
		}
	}
	want, err := json.Marshal(bl)
	if err != nil {
		t.Fatal(err)
	}
	want = textsafe.EscapeJSON(want)
	if got := string(appendBatchLine(nil, 7, res)); got != string(want)+"\n" {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "<>&", "\x00", "\u202e\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		want = textsafe.EscapeJSON(want)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

func TestBatchGoesOnAfterAnOversizedLine(t *testing.T) {
	testKeys(t)
	good := sign(t, rsaKey, rsHeader("k1"), claims(nil))
	in := good + "\n" + strings.Repeat("x", 400<<10) + "\n" + good // no final newline
	var out bytes.Buffer
	stats, err := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Batch(bg, strings.NewReader(in), &out, 1)
	if err != nil || stats.Tokens != 3 || stats.Valid != 2 {
		t.Fatalf("%v %+v\n%s", err, stats, out.String())
	}
	if !strings.Contains(out.String(), `{"line":2,"valid":false,`) || !strings.Contains(out.String(), "more than any token") {
		t.Fatalf("%s", out.String())
	}
}

// TestBatchSaysOneInTheSingular: a one-part line is "1 part", one check
// of one is "1 of 1 check failed".
func TestBatchSaysOneInTheSingular(t *testing.T) {
	v := &Verifier{Rules: baseRules(), Explain: testFillFailures}
	var out bytes.Buffer
	if _, err := v.Batch(bg, strings.NewReader("eyJhbGciOiJIUzI1NiJ9\n"), &out, 1); err != nil {
		t.Fatal(err)
	}
	var line BatchLine
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if line.Summary != "rejected: 1 of 1 check failed (format)" || line.Errors[CheckFormat] != "1 part instead of 3: not a compact JWS" {
		t.Errorf("%+v", line)
	}
}
