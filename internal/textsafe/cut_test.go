package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Cut and Middle count runes, never split one, and mark what they left
// out with "…"; text that fits is returned as it is.
func TestCut(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"0123456789abc", 10, "0123456789…"},
		{strings.Repeat("é", 41), 40, strings.Repeat("é", 40) + "…"},
		{"日本語のテキスト", 3, "日本語…"},
		{"bad\xff\xfebytes", 4, "bad\uFFFD…"},
		{"bad\xffok", 10, "bad\xffok"}, // fits: as it is (the renderer replaces it)
		{"x", 0, "…"},
	} {
		got := Cut(c.in, c.n)
		if got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if got != c.in && !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d) = %q: not valid UTF-8", c.in, c.n, got)
		}
	}
}

func TestMiddle(t *testing.T) {
	long := "https://api.example/" + strings.Repeat("ü", 80) + "/end"
	got := Middle(long, 60)
	if utf8.RuneCountInString(got) != 60 || !strings.HasPrefix(got, "https://api.example/") || !strings.HasSuffix(got, "/end") || !strings.Contains(got, "…") || !utf8.ValidString(got) {
		t.Errorf("Middle = %q (%d runes)", got, utf8.RuneCountInString(got))
	}
	if Middle("short", 60) != "short" {
		t.Error("Middle changed a text that fits")
	}
}

func TestCutBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789abc", 10, "0123456789…"},
		{"a日本", 5, "a日…"},
		{"a日本", 3, "a…"},
		{"日本", 0, "…"},
	} {
		if got := CutBytes(c.in, c.n); got != c.want {
			t.Errorf("CutBytes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
