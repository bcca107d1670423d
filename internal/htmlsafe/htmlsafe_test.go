package htmlsafe

import (
	"math"
	"strings"
	"testing"
)

func run(t *testing.T, src string, data any) string {
	t.Helper()
	tm, err := Parse("t", src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	var b strings.Builder
	if err := tm.Execute(&b, data); err != nil {
		t.Fatalf("Execute(%q, %q): %v", src, data, err)
	}
	return b.String()
}

type shout string

func (s shout) String() string { return strings.ToUpper(string(s)) + "<b>" }

// Hostile values in element text, RCDATA and a double-quoted attribute,
// byte for byte.
func TestEscapesHostileValues(t *testing.T) {
	three := 3
	for _, tc := range []struct {
		name, src string
		data      any
		want      string
	}{
		{"markup in text", `<p>{{.}}</p>`, "<script>alert(1)</script>", `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{"a quote breaking out of an attribute", `<p title="{{.}}">x</p>`, `" onmouseover="x`, `<p title="&#34; onmouseover=&#34;x">x</p>`},
		{"a single quote", `<p title="{{.}}">{{.}}</p>`, `'`, `<p title="&#39;">&#39;</p>`},
		{"an entity is escaped again", `<p title="{{.}}">{{.}}</p>`, `&amp;`, `<p title="&amp;amp;">&amp;amp;</p>`},
		{"NUL", `<p title="{{.}}">{{.}}</p>`, "a\x00b", "<p title=\"a\uFFFDb\">a\uFFFDb</p>"},
		{"an end tag in <title>", `<title>{{.}}</title>`, "</title><script>x</script>", `<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>`},
		{"an end tag in <textarea>", `<textarea name="x">{{.}}</textarea>`, "</textarea>", `<textarea name="x">&lt;/textarea&gt;</textarea>`},
		{"a Stringer", `<p>{{.}}</p>`, shout("a"), `<p>A&lt;b&gt;</p>`},
		{"nil prints nothing", `<p>{{.}}</p>`, nil, `<p></p>`},
		{"a pointer prints what it points at", `<p>{{.}}</p>`, &three, `<p>3</p>`},
		{"a number in an attribute", `<svg width="{{len .}}"></svg>`, "abc", `<svg width="3"></svg>`},
		{"the html builtin is not escaped twice", `<p>{{. | html}}</p>`, "<&>", `<p>&lt;&amp;&gt;</p>`},
		{"a variable prints nothing", `{{$x := .}}<p>{{$x}}</p>`, "<", `<p>&lt;</p>`},
		{"escaped inside a branch and a range", `<ul>{{range .}}<li class="{{if eq . "<"}}lt{{else}}x{{end}}">{{.}}</li>{{end}}</ul>`, []string{"<", `"`},
			`<ul><li class="lt">&lt;</li><li class="x">&#34;</li></ul>`},
		{"a boolean attribute in a branch", `<option{{if .}} selected{{end}}>x</option>`, true, `<option selected>x</option>`},
		{"a boolean attribute after a value", `<input value="{{.}}"{{if .}} disabled{{end}}>`, `"`, `<input value="&#34;" disabled>`},
		{"boolean attributes in a loop", `<p{{range .}} hidden{{end}}>`, []int{1, 2}, `<p hidden hidden>`},
		{"a comment closed at once is not a comment", `<!--><p>{{.}}</p>`, "<", `<!--><p>&lt;</p>`},
		{"text after a comment", "<!-- a -- b --!><p>{{.}}</p>", "<", "<!-- a -- b --!><p>&lt;</p>"},
		{"a doctype", `<!doctype html><p>{{.}}</p>`, "<", `<!doctype html><p>&lt;</p>`},
		{"a {{/* comment */}} between texts", `<p title="{{/* c */}}{{.}}">`, `"`, `<p title="&#34;">`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.src, tc.data); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A URL attribute takes a relative or http(s) URL; anything else is
// #ZgotmplZ, as in html/template.
func TestURLAttributes(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"javascript:alert(1)", "#ZgotmplZ"},
		{"JavaScript:alert(1)", "#ZgotmplZ"},
		{" javascript:alert(1)", "#ZgotmplZ"},
		{"\x01javascript:alert(1)", "#ZgotmplZ"},
		{"java\tscript:alert(1)", "#ZgotmplZ"},
		{"data:text/html,<script>alert(1)</script>", "#ZgotmplZ"},
		{"vbscript:x", "#ZgotmplZ"},
		{"mailto:a@example.com", "#ZgotmplZ"},
		{"/device?x=1&y=2", "/device?x=1&amp;y=2"},
		{"https://a/b", "https://a/b"},
		{"HTTP://a/b?c=\"d\"", "HTTP://a/b?c=&#34;d&#34;"},
		{"//a/b", "//a/b"},
		{"/a:b", "/a:b"},
		{"", ""},
	} {
		for _, attr := range []string{`a href`, `form action`, `button formaction`, `img src`, `use xlink:href`, `p data-url`, `p xmlns:x`} {
			el, name, _ := strings.Cut(attr, " ")
			src := "<" + el + " " + name + `="{{.}}">`
			if got, want := run(t, src, tc.url), "<"+el+" "+name+`="`+tc.want+`">`; got != want {
				t.Errorf("%q with %q:\ngot  %q\nwant %q", src, tc.url, got, want)
			}
		}
	}
}

// What htmlsafe cannot escape it refuses at Parse, saying where.
func TestRefusedAtParse(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"an action in <script>", "<p>\n<script>var x = {{.}}</script>", "t:2:18: {{.}} is inside <script>"},
		{"an action in <SCRIPT>", "<SCRIPT type=x>{{.}}</SCRIPT>", "inside <script>"},
		{"an action in an on* attribute", `<a onclick="{{.}}">`, `in the value of attribute "onclick": htmlsafe refuses`},
		{"an action in onMouseOver", `<a onMouseOver="{{.}}">`, `"onmouseover"`},
		{"an action in style=", `<p style="color: {{.}}">`, `attribute "style"`},
		{"an action in srcset", `<img srcset="{{.}}">`, `attribute "srcset"`},
		{"an action in srcdoc", `<iframe srcdoc="{{.}}"></iframe>`, `attribute "srcdoc"`},
		{"an action in meta content", `<meta http-equiv="refresh" content="{{.}}">`, `attribute "content"`},
		{"an unquoted value", `<p title={{.}}>`, `in the unquoted value of attribute "title"`},
		{"after an unquoted value's start", `<p title=x{{.}}>`, `in the unquoted value of attribute "title"`},
		{"a single-quoted value", `<p title='{{.}}'>`, `in the single-quoted value of attribute "title"`},
		{"an attribute name", `<p {{.}}="x">`, `inside a tag`},
		{"part of an attribute name", `<p data-{{.}}="x">`, `inside a tag`},
		{"a tag name", `<{{.}}>`, `a text ends in "<"`},
		{"inside a tag", `<p class="a" {{.}}>`, `inside a tag`},
		{"an action inside a comment", `<!-- {{.}} -->`, `{{.}} is inside an HTML comment`},
		{"a branch inside a comment", `<!-- {{if .}}x{{end}} -->`, `{{if .}} is inside an HTML comment`},
		{"a bogus comment", `<!x {{.}}>`, `inside an HTML comment`},
		{"a branch that ends in another context", `{{if .X}}<a href="{{end}}`, `a branch of {{if .X}} starts in element text but ends in the value of attribute "href"`},
		{"an else branch that ends in another context", `<p>{{if .X}}x{{else}}<b {{end}}>`, `a branch of {{if .X}}`},
		{"a range body that ends in another context", `{{range .}}<p title="{{end}}">`, `a branch of {{range .}}`},
		{"a with that ends in another context", `{{with .}}<!-- x{{end}} -->`, `a branch of {{with .}}`},
		{"a branch that ends in another attribute", `<a title="{{if .X}}" href="{{end}}{{.Y}}">`, `a branch of {{if .X}} starts in the value of attribute "title" but ends in the value of attribute "href"`},
		{"a branch that writes a URL", `<a href="{{if .X}}{{.Y}}{{end}}">`, `a branch of {{if .X}} starts in the value of attribute "href" but ends in the value of attribute "href"`},
		{"a URL value after text", `<a href="/x?q={{.}}">`, `in a URL attribute an action must be the whole value`},
		{"text after a URL action", `<a href="{{.}}:x">`, `in a URL attribute an action must be the whole value`},
		{"two actions in a URL", `<a href="{{.}}{{.}}">`, `in a URL attribute an action must be the whole value`},
		{"an attribute name split by an action", `<a hr{{if .}}ef{{end}}="{{.}}">`, `a tag or attribute name is split by an action`},
		{"an attribute name continued after a branch", `<input value="x"{{if .}} disabled{{end}}x>`, `a tag or attribute name is split by an action`},
		{"an attribute name continued in a loop", `<p {{range .}}a{{end}}>`, `a tag or attribute name is split by an action`},
		{"a tag name split by an action", `<scr{{if .}}ipt{{end}}>{{.}}`, `a tag or attribute name is split by an action`},
		{"an = after a /", `<a href/="{{.}}">`, `an '=' without an attribute name`},
		{"markup in <title>", `<svg><title><a href="{{.}}"></a></title></svg>`, `a '<' inside <title> that does not start its end tag`},
		{"a split end tag in <style>", `<style>p{}</sty{{if .}}le>{{end}}`, `a '<' inside <style>`},
		{"a comment in <script>", `<script><!--<script></script>{{.}}</script>`, `a '<' inside <script>`},
		{"a CDATA section", `<svg><![CDATA[{{.}}]]></svg>`, `CDATA sections are not supported`},
		{"a template that ends in a tag", `<p title="x`, `ends in the value of attribute "title", not in element text`},
		{"{{define}}", `{{define "x"}}y{{end}}z`, `{{define}} and {{block}} are not supported`},
		{"{{template}}", `{{template "x" .}}`, `{{template "x" .}} is not supported`},
		{"{{break}}", `{{range .}}{{break}}{{end}}`, `{{break}} is not supported`},
		{"a text/template syntax error", `{{.X`, `htmlsafe: template: t:1: unclosed action`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t", tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "htmlsafe: ") {
				t.Errorf("Parse(%q): %v, want an error with %q", tc.src, err, tc.want)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on a refused template")
		}
	}()
	Must("t", `<script>{{.}}</script>`)
}

type px int

func (px) String() string { return "red}body{color:red" }

// Inside <style> only a number may be written; anything else fails
// Execute.
func TestStyleTakesNumbersOnly(t *testing.T) {
	const src = `<style>svg { max-width: {{.}}px; }</style>`
	for _, tc := range []struct {
		data any
		want string
	}{{1280, "1280"}, {uint8(7), "7"}, {-3, "-3"}, {1.5, "1.5"}, {float32(0.1), "0.1"}, {px(12), "12"}} {
		if got := run(t, src, tc.data); got != `<style>svg { max-width: `+tc.want+`px; }</style>` {
			t.Errorf("%v: got %q", tc.data, got)
		}
	}
	tm := Must("t", src)
	for _, bad := range []any{"12", "1px;}body{background:red", math.NaN(), math.Inf(1), nil, true} {
		var b strings.Builder
		if err := tm.Execute(&b, bad); err == nil || !strings.Contains(err.Error(), "only a number may be written inside <style>") {
			t.Errorf("%#v: %v (wrote %q), want an error", bad, err, b.String())
		}
	}
}

// Parse never panics, and what it accepts executes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`<p title="{{.}}">{{.}}</p>`, `<a href="{{.}}">`, `<style>{{.}}</style>`, `<!--> <b{{if .}} x{{end}}>`, `</`, `<!-`, `<a b/="{{.}}">`, `<textarea></textarea x>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tm, err := Parse("f", src)
		if err != nil {
			return
		}
		var b strings.Builder
		_ = tm.Execute(&b, 1)
	})
}
