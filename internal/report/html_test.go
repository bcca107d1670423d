package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	htmltemplate "html/template" // in a test only, to compare: the binary does not link it
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/chain"
)

var update = flag.Bool("update", false, "write docs/guide/img/chain-report.png, the README's screenshot, from TestChainHTMLInABrowser")

const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`

// The page is self-contained: nothing in it loads anything, and every
// text from a server is escaped.
func TestChainHTMLIsSelfContained(t *testing.T) {
	w := newWorld(t)
	rep := w.run(t, w.hops(), false)
	page := string(ChainHTML(rep, w.info()))
	if !strings.Contains(page, csp) || strings.Index(page, csp) > strings.Index(page, "<style>") {
		t.Errorf("the page has no Content-Security-Policy before its styles")
	}
	for _, re := range []string{`(?i)<script`, `(?i)\bsrc=`, `(?i)url\(`, `(?i)@import`, `(?i)<(iframe|object|embed|img|link rel="stylesheet")`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page holds %q", m)
		}
	}
	for _, m := range regexp.MustCompile(`href="[^"]*"`).FindAllString(page, -1) {
		if m != `href="data:,"` {
			t.Errorf("the page links to %s", m)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, `\x1b[31mred`) || strings.ContainsAny(page, "\x1b\x00\u202e") {
		t.Error("the hostile server's text is not escaped")
	}
	for _, part := range w.tokenParts() {
		if strings.Contains(page, part) {
			t.Fatal("the page holds the token (or a part of it)")
		}
	}
	// Every hop sent shows the token it was sent, masked.
	if n := strings.Count(page, "<dt>token sent</dt><dd class=\"mono\">"+chain.Mask(w.token)+"</dd>"); n != 6 {
		t.Errorf("the masked token is shown for %d hops, want 6", n)
	}
	for _, want := range []string{
		`class="call accepted"`, `class="call rejected"`, `class="call other"`, `class="disagree"`,
		"≠ disagrees", "the server accepted the token, but its declared rules reject it",
		"<b>aud</b>", "hop 2&#39;s declared rules", ">401 invalid_token<", "502 failed<",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// readme is the chain of the README's screenshot: accepted, rejected
// with a cause, a disagreement, a failure.
func (w *world) readme() []chain.Hop {
	h := w.hops()
	return []chain.Hop{h[0], h[1], h[2], h[4]}
}

// The page in a real browser (headless chromium over the DevTools
// protocol): it renders with no console error and no request but its
// own, and at 1280 px every hop's label is on the page, inside the
// viewport.
func TestChainHTMLInABrowser(t *testing.T) {
	t.Parallel() // a browser starts in seconds: the two browser tests overlap
	w := newWorld(t)
	b := authoritytest.StartBrowser(t)
	watch := b.Watch()
	b.SetViewport(1280, 800)
	var mu sync.Mutex
	var pages = map[string][]byte{}
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits = append(hits, r.URL.Path)
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Write(p)
	}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name string
		hops []chain.Hop
	}{{"every kind of hop, a hostile server", w.hops()}, {"the README's", w.readme()}} {
		t.Run(tc.name, func(t *testing.T) {
			rep := w.run(t, tc.hops, false)
			path := fmt.Sprintf("/report-%d.html", len(tc.hops))
			mu.Lock()
			pages[path] = ChainHTML(rep, w.info())
			hits = nil
			mu.Unlock()
			before := len(watch.Requests())
			b.Navigate(srv.URL + path)
			_, text := b.WaitFor("document.getElementById('summary') !== null")
			// Late loads would come after the load event.
			time.Sleep(300 * time.Millisecond)
			if p := watch.Problems(); len(p) > 0 {
				t.Errorf("the page logged:\n%s", strings.Join(p, "\n"))
			}
			if reqs := watch.Requests()[before:]; len(reqs) != 1 || reqs[0] != srv.URL+path {
				t.Errorf("the page made requests %q, want only its own", reqs)
			}
			mu.Lock()
			if len(hits) != 1 {
				t.Errorf("the server got %q, want only the page", hits)
			}
			mu.Unlock()
			for _, r := range rep.Hops {
				if !strings.Contains(text, clean(Label(r))) {
					t.Errorf("the page's text lacks hop %d's label %q", r.Index, clean(Label(r)))
				}
			}
			// Each lane's label in the diagram and each hop's heading is
			// rendered, inside the 1280 px viewport, and nothing is wider.
			var geo struct {
				Width  int `json:"width"`
				Height int `json:"height"`
				Boxes  []struct {
					Text  string  `json:"text"`
					Left  float64 `json:"left"`
					Right float64 `json:"right"`
					W     float64 `json:"w"`
				} `json:"boxes"`
			}
			js := `JSON.stringify({width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
				boxes: Array.from(document.querySelectorAll('.lane-label, .hop-label')).map(function(e){var r=e.getBoundingClientRect(); return {text: e.textContent, left: r.left, right: r.right, w: r.width}})})`
			if err := json.Unmarshal([]byte(b.Eval(js)), &geo); err != nil {
				t.Fatal(err)
			}
			if geo.Width > 1280 {
				t.Errorf("the page is %d px wide at 1280", geo.Width)
			}
			if len(geo.Boxes) != 2*len(rep.Hops)+1 {
				t.Errorf("%d labels rendered, want %d", len(geo.Boxes), 2*len(rep.Hops)+1)
			}
			for _, bx := range geo.Boxes {
				if bx.W <= 0 || bx.Left < 0 || bx.Right > 1280 {
					t.Errorf("label %q is at %.0f–%.0f px", bx.Text, bx.Left, bx.Right)
				}
			}
			shot := b.Screenshot(1280, geo.Height)
			cfg, err := png.DecodeConfig(bytes.NewReader(shot))
			if err != nil || cfg.Width != 1280 || cfg.Height != geo.Height {
				t.Fatalf("the screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
			}
			if err := os.WriteFile(filepath.Join(t.TempDir(), "chain-report.png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if *update && len(tc.hops) == len(w.readme()) {
				dst := filepath.Join("..", "..", "docs", "guide", "img", "chain-report.png")
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dst, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", dst)
			}
		})
	}
}

// The browser checks can fail: a page that loads something is seen to,
// and a load the CSP blocks is logged.
func TestBrowserWatchSeesLoads(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/open.html":
			fmt.Fprint(rw, `<!DOCTYPE html><link rel="icon" href="data:,"><p id=x>x</p><img src="/pixel.png">`)
		case "/csp.html":
			fmt.Fprint(rw, `<!DOCTYPE html>`+csp+`<link rel="icon" href="data:,"><p id=x>x</p><img src="/blocked.png">`)
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(srv.Close)
	b := authoritytest.StartBrowser(t)
	watch := b.Watch()
	b.Navigate(srv.URL + "/open.html")
	b.WaitFor("document.getElementById('x') !== null")
	time.Sleep(300 * time.Millisecond)
	if reqs := watch.Requests(); len(reqs) < 2 || reqs[1] != srv.URL+"/pixel.png" {
		t.Errorf("requests %q: the image load is not seen", reqs)
	}
	if len(watch.Problems()) == 0 {
		t.Error("the image's 404 is not logged")
	}
	n := len(watch.Problems())
	b.Navigate(srv.URL + "/csp.html")
	b.WaitFor("document.getElementById('x') !== null")
	time.Sleep(300 * time.Millisecond)
	p := watch.Problems()[n:]
	if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), "Content Security Policy") {
		t.Errorf("the blocked load is not logged: %q", p)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range hits {
		if h == "/blocked.png" {
			t.Error("the CSP did not block the load")
		}
	}
}

// A hostile server's bytes and a hostile hop name are text in the page,
// wherever they go (the hop's label in the diagram and its heading, the
// server's description, its WWW-Authenticate, its body): escaped in the
// HTML, and in a browser no element or attribute comes of them.
func TestChainHTMLEscapesAHostileHop(t *testing.T) {
	t.Parallel()
	const evil = `</pre><script>alert(1)</script> " onload="x`
	const escaped = `&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#34; onload=&#34;x`
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.ReplaceAll(evil, `"`, `\"`)+`"`)
		rw.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(rw, evil)
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t)
	rep := w.run(t, []chain.Hop{{Name: "evil " + evil, Method: "GET", URL: srv.URL + "/x"}}, false)
	page := string(ChainHTML(rep, w.info()))
	for _, want := range []string{
		`<title>evil ` + escaped + `</title>`,
		`<span class="hop-label">evil ` + escaped + `</span>`,
		`<dt>server says</dt><dd>` + escaped + `</dd>`,
		`<dt>WWW-Authenticate</dt><dd><pre>Bearer error=&#34;invalid_token&#34;, error_description=&#34;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; \&#34; onload=\&#34;x&#34;</pre></dd>`,
		`<dt>body</dt><dd><pre>` + escaped + `</pre></dd>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`(?i)<script|" onload="`).FindString(page); m != "" {
		t.Errorf("the page holds %q", m)
	}

	b := authoritytest.StartBrowser(t)
	page2 := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(rw, page)
	}))
	t.Cleanup(page2.Close)
	b.Navigate(page2.URL + "/report.html")
	b.WaitFor("document.getElementById('summary') !== null")
	var dom struct {
		Scripts, Onload int
		Label, Body     string
	}
	js := `JSON.stringify({Scripts: document.querySelectorAll('script').length, Onload: document.querySelectorAll('[onload]').length,
		Label: document.querySelector('.hop-label').textContent, Body: Array.from(document.querySelectorAll('dd pre')).map(function(e){return e.textContent}).join('|')})`
	if err := json.Unmarshal([]byte(b.Eval(js)), &dom); err != nil {
		t.Fatal(err)
	}
	if dom.Scripts != 0 || dom.Onload != 0 {
		t.Errorf("the browser made %d script elements and %d onload attributes", dom.Scripts, dom.Onload)
	}
	if dom.Label != "evil "+evil || !strings.HasSuffix(dom.Body, "|"+evil) || strings.Count(dom.Body, evil) != 1 {
		t.Errorf("the browser shows label %q, bodies %q", dom.Label, dom.Body)
	}
}

// htmlsafe writes the page as html/template did, byte for byte, but for
// a '+', which html/template alone writes as &#43; (the same character to
// a browser).
func TestChainHTMLSameAsHTMLTemplate(t *testing.T) {
	w := newWorld(t)
	rep := w.run(t, w.hops(), false)
	var b bytes.Buffer
	if err := htmltemplate.Must(htmltemplate.New("chain").Parse(pageText)).Execute(&b, pageData(rep, w.info())); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(b.String(), "&#43;", "+")
	got := string(ChainHTML(rep, w.info()))
	if got != want {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("the page differs from html/template's at byte %d:\nhtmlsafe      %q\nhtml/template %q", i, got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
	}
}
