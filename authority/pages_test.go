package authority

import (
	htmltemplate "html/template" // in a test only, to compare: the binary does not link it
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/htmlsafe"
)

// evil is what a client or a request might put on a page.
const evil = `</b><script>alert(1)</script> " onfocus="x ' & &amp; ` + "\x00"

// samePage renders src with htmlsafe and with html/template and wants the
// same bytes (but for '+', which html/template alone writes as &#43;).
func samePage(t *testing.T, name, src string, data any) string {
	t.Helper()
	var a, b strings.Builder
	if err := htmlsafe.Must(name, src).Execute(&a, data); err != nil {
		t.Fatal(err)
	}
	if err := htmltemplate.Must(htmltemplate.New(name).Parse(src)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(b.String(), "&#43;", "+"); a.String() != want {
		t.Errorf("%s: htmlsafe writes\n%s\nhtml/template\n%s", name, a.String(), want)
	}
	if strings.Contains(a.String(), "<script") || strings.Contains(a.String(), `" onfocus="`) {
		t.Errorf("%s: a value is markup:\n%s", name, a.String())
	}
	return a.String()
}

// The device and sign-in pages are written as html/template wrote them,
// hostile values escaped, and a form action that is not http(s) or
// relative is #ZgotmplZ.
func TestPagesSameAsHTMLTemplate(t *testing.T) {
	for _, action := range []string{"/device", "/p/device?x=1&y=2", "javascript:alert(1)", " JavaScript:x"} {
		for _, d := range []pageData{
			{Action: action, CSRF: evil, UserCode: evil, Error: evil},
			{Action: action, CSRF: evil, UserCode: evil, Client: evil, Scopes: evil, Aud: evil, Users: []string{"alice", evil}},
			{Action: action, Client: evil, Aud: evil},
			{Done: evil},
		} {
			page := samePage(t, "device", devicePageText, d)
			if d.Done == "" && strings.Contains(strings.ToLower(action), "script:") != strings.Contains(page, `action="#ZgotmplZ"`) {
				t.Errorf("action %q: %s", action, page)
			}
		}
		samePage(t, "authorize", authPageText, authPageData{
			Action: action, CSRF: evil, Error: evil, Client: evil, Scopes: evil, Aud: evil,
			Users: []string{"alice", evil}, Hint: evil, Hidden: [][2]string{{"redirect_uri", evil}, {evil, "x"}},
		})
	}
	samePage(t, "authorize", authPageText, authPageData{Error: evil})
}
