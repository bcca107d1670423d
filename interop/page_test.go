package interop

// Just enough HTML for a person's browser: find a form, fill it in, submit
// it; read a button's JavaScript location change.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

type page struct {
	t    *testing.T
	url  *url.URL
	body string
	doc  *html.Node
}

type form struct {
	action, method string
	values         url.Values
}

func parsePage(t *testing.T, resp *http.Response) (*page, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	doc, err := html.Parse(strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	return &page{t: t, url: resp.Request.URL, body: string(b), doc: doc}, nil
}

// mustContain fails the test unless the page's text contains s.
func (p *page) mustContain(s string) {
	p.t.Helper()
	if !strings.Contains(p.text(), s) {
		p.t.Fatalf("the page at %s does not say %q; it says:\n%s", p.url, s, p.text())
	}
}

// text is the page's visible text, whitespace collapsed.
func (p *page) text() string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "style" || n.Data == "script" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
			sb.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return strings.Join(strings.Fields(sb.String()), " ")
}

var selectorRE = regexp.MustCompile(`^(\w+)((?:\[\w+="[^"]*"\])*)$`)
var selectorAttrRE = regexp.MustCompile(`\[(\w+)="([^"]*)"\]`)

// form finds the form that a selector names: `form[id="x"]` names the form
// itself, `input[name="login"]` the form around that input. Only tag and
// [attr="value"] selectors are understood.
func (p *page) form(selector string) *form {
	p.t.Helper()
	m := selectorRE.FindStringSubmatch(selector)
	if m == nil {
		p.t.Fatalf("unsupported selector %q", selector)
	}
	tag := m[1]
	want := map[string]string{}
	for _, a := range selectorAttrRE.FindAllStringSubmatch(m[2], -1) {
		want[a[1]] = a[2]
	}
	el := find(p.doc, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n.Data != tag {
			return false
		}
		for k, v := range want {
			if attr(n, k) != v {
				return false
			}
		}
		return true
	})
	for el != nil && el.Data != "form" {
		el = el.Parent
	}
	if el == nil {
		p.t.Fatalf("no form %s on the page at %s:\n%s", selector, p.url, p.text())
	}
	f := &form{method: attr(el, "method"), values: url.Values{}}
	if f.method == "" {
		f.method = http.MethodGet
	}
	action, err := p.url.Parse(attr(el, "action"))
	if err != nil {
		p.t.Fatalf("form action %q: %v", attr(el, "action"), err)
	}
	f.action = action.String()
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			name := attr(n, "name")
			switch strings.ToLower(attr(n, "type")) {
			case "submit", "button", "image", "reset":
			case "checkbox", "radio":
				if hasAttr(n, "checked") && name != "" {
					f.values.Add(name, attrOr(n, "value", "on"))
				}
			default:
				if name != "" {
					f.values.Add(name, attr(n, "value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(el)
	return f
}

// set sets a field, as typing into it would.
func (f *form) set(name, value string) { f.values.Set(name, value) }

var locationRE = regexp.MustCompile(`location\.href\s*=\s*'([^']*)'`)

// buttonLocation is where the button labelled text sends the browser
// with onclick="location.href='…'", resolved against the page's URL.
func (p *page) buttonLocation(text string) string {
	p.t.Helper()
	b := find(p.doc, func(n *html.Node) bool {
		return n.Type == html.ElementNode && n.Data == "button" && strings.TrimSpace(textOf(n)) == text
	})
	if b == nil {
		p.t.Fatalf("no %q button on the page at %s:\n%s", text, p.url, p.text())
	}
	m := locationRE.FindStringSubmatch(attr(b, "onclick"))
	if m == nil {
		p.t.Fatalf("the %q button does not change location: onclick=%q", text, attr(b, "onclick"))
	}
	u, err := p.url.Parse(m[1])
	if err != nil {
		p.t.Fatal(err)
	}
	return u.String()
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var sb strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		sb.WriteString(textOf(c))
	}
	return sb.String()
}

func attr(n *html.Node, key string) string { return attrOr(n, key, "") }

func attrOr(n *html.Node, key, def string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return def
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func (f *form) String() string { return fmt.Sprintf("%s %s %s", f.method, f.action, f.values.Encode()) }
