package textsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextEscapesControlsAndBidi(t *testing.T) {
	cases := map[string]string{
		"plain ✓ text":        "plain ✓ text",
		"a\x1b[2Jb":           `a\x1b[2Jb`,
		"line\nbreak\r":       `line\x0abreak\x0d`,
		"nel\u0085csi\u009b":  `nel\x85csi\x9b`,
		"rlo\u202egnp.exe":    `rlo\u202egnp.exe`,
		"lri\u2066pdi\u2069":  `lri\u2066pdi\u2069`,
		"lrm\u200erlm\u200f":  `lrm\u200erlm\u200f`,
		"alm\u061c":           `alm\u061c`,
		"sep\u2028\u2029":     `sep\u2028\u2029`,
		"bad \xff utf8":       "bad \uFFFD utf8",
		"del\x7f":             `del\x7f`,
		"é and \u00a0 (nbsp)": "é and \u00a0 (nbsp)",
	}
	for in, want := range cases {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLineIsOneBoundedLine(t *testing.T) {
	in := "first\nsecond\u202e" + strings.Repeat("x", 5000)
	got := Line(in, 100)
	if strings.ContainsAny(got, "\n\u202e") || !utf8.ValidString(got) {
		t.Fatalf("%q", got)
	}
	if len(got) > 130 || !strings.HasPrefix(got, `first\x0asecond\u202exxx`) || !strings.Contains(got, "more bytes)") {
		t.Fatalf("%d bytes: %q", len(got), got)
	}
	// A cut never splits an escape or a rune.
	for n := 1; n < 40; n++ {
		got := Line("ab\u202e\x1bé€"+strings.Repeat("y", 40), n)
		head, _, _ := strings.Cut(got, "…(")
		if !utf8.ValidString(got) || strings.HasSuffix(head, `\`) || strings.HasSuffix(head, `\u`) || strings.HasSuffix(head, `\x`) || strings.HasSuffix(head, `\u20`) || strings.HasSuffix(head, `\x1`) {
			t.Fatalf("max %d: %q", n, got)
		}
	}
}

func TestEscapeJSONKeepsTheDocument(t *testing.T) {
	in := map[string]string{"sub": "a\u202eb\u0085c\u2028d é ✓"}
	b, _ := json.Marshal(in)
	out := EscapeJSON(b)
	for _, r := range string(out) {
		if Risky(r) {
			t.Fatalf("U+%04X left raw in %s", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["sub"] != in["sub"] {
		t.Fatalf("%s decodes to %q (%v)", out, back, err)
	}
}

// A server's "##[error]…" must not become an annotation in a GitHub
// Actions log: the runner reads "##[" anywhere in a line.
func TestWorkflowCommandsAreDefused(t *testing.T) {
	for in, want := range map[string]string{
		"##[error]forged":              `#\x23[error]forged`,
		"x ##[stop-commands]t ##[warn": `x #\x23[stop-commands]t #\x23[warn`,
		"# not one ## [":               "# not one ## [",
		"\x1b##[":                      `\x1b#\x23[`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(Line(in, 0), "##[") {
			t.Errorf("Line(%q) keeps ##[", in)
		}
	}
}
