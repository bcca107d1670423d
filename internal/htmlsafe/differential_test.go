package htmlsafe

import (
	"html"
	htmltemplate "html/template" // in a test only: tests are not linked into jwtrace
	"strconv"
	"strings"
	"testing"
)

// hostile is values a server or a user might send.
var hostile = []string{
	"", "plain", "<script>alert(1)</script>", `" onmouseover="x`, `'`, `&amp;`, "a\x00b", "a+b",
	`</p><img src=x onerror=alert(1)>`, "]]>", "\u202edesrever", "é ü 漢", "%0A%zz%", "\r\n\t",
	"`", `\`, "=", "{{.}}", "--><!--",
	"javascript:alert(1)", "JavaScript:x", " javascript:x", "\x01javascript:x", "data:text/html,x",
	"/device?x=1&y=2", "https://a/b?c=d#e", "http://a/(b)'c'", "//evil.example/", "a b", "/a:b", "mailto:a@example.com",
}

// percentDecode decodes every valid %XX, leaving the rest.
func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// htmlsafe's output is html/template's (Go 1.26) in the contexts both
// support, or means the same to a browser. The differences, by design:
//   - html/template writes '+' as &#43; (html.go, htmlReplacementTable);
//     htmlsafe leaves it (a '+' is not markup);
//   - in a URL attribute html/template percent-encodes what is not a URL
//     character (urlNormalizer, url.go): a space as %20, "é" as %c3%a9, '
//     as %27, a bare '%' as %25, NUL as %00; htmlsafe writes them as they
//     are, entity-escaped, and NUL as U+FFFD. A browser percent-encodes
//     them itself when it follows the link;
//   - html/template lets mailto: URLs through; htmlsafe makes them
//     #ZgotmplZ (http and https only).
func TestSameAsHTMLTemplate(t *testing.T) {
	for _, ctx := range []struct {
		name, src, pre, post string
		url                  bool
	}{
		{"element text", `<p>{{.}}</p>`, `<p>`, `</p>`, false},
		{"an attribute value", `<p title="{{.}}">x</p>`, `<p title="`, `">x</p>`, false},
		{"the value of an attribute named like a URL's", `<p data-uri="{{.}}">x</p>`, `<p data-uri="`, `">x</p>`, true},
		{"an href", `<a href="{{.}}">x</a>`, `<a href="`, `">x</a>`, true},
		{"a form's action", `<form method="post" action="{{.}}"></form>`, `<form method="post" action="`, `"></form>`, true},
		{"<title>", `<title>{{.}}</title>`, `<title>`, `</title>`, false},
		{"<textarea>", `<textarea>{{.}}</textarea>`, `<textarea>`, `</textarea>`, false},
	} {
		ours := Must("t", ctx.src)
		theirs := htmltemplate.Must(htmltemplate.New("t").Parse(ctx.src))
		for _, v := range hostile {
			var a, b strings.Builder
			if err := ours.Execute(&a, v); err != nil {
				t.Fatal(err)
			}
			if err := theirs.Execute(&b, v); err != nil {
				t.Fatal(err)
			}
			if a.String() == b.String() {
				continue
			}
			got, okA := strings.CutPrefix(a.String(), ctx.pre)
			want, okB := strings.CutPrefix(b.String(), ctx.pre)
			got, okA2 := strings.CutSuffix(got, ctx.post)
			want, okB2 := strings.CutSuffix(want, ctx.post)
			if !okA || !okB || !okA2 || !okB2 {
				t.Errorf("%s, %q: htmlsafe %q, html/template %q", ctx.name, v, a.String(), b.String())
				continue
			}
			// What the browser reads, once entities are decoded.
			got, want = html.UnescapeString(got), html.UnescapeString(want)
			if ctx.url {
				if strings.HasPrefix(v, "mailto:") && got == "#ZgotmplZ" {
					continue
				}
				got, want = percentDecode(got), strings.ReplaceAll(percentDecode(want), "\x00", "\uFFFD")
			}
			if got != want {
				t.Errorf("%s, %q: htmlsafe %q, html/template %q: they mean %q and %q", ctx.name, v, a.String(), b.String(), got, want)
			}
		}
	}
	// Numbers in <style> and in attributes are written alike.
	for _, src := range []string{`<style>p { max-width: {{.}}px; }</style>`, `<svg width="{{.}}"></svg>`} {
		for _, n := range []any{0, -5, 1280, uint16(65535), 2.5, float32(0.1)} {
			var a, b strings.Builder
			if err := Must("t", src).Execute(&a, n); err != nil {
				t.Fatal(err)
			}
			if err := htmltemplate.Must(htmltemplate.New("t").Parse(src)).Execute(&b, n); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Errorf("%v in %q: htmlsafe %q, html/template %q", n, src, a.String(), b.String())
			}
		}
	}
}
