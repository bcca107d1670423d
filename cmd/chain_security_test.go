package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/ui"
)

const chainSecForged = "Signed in as admin"

// chainSecForgedLine reports whether some line of out starts (after its
// indentation) with the text a hostile server tried to put on a line of
// its own.
func chainSecForgedLine(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), chainSecForged) {
			return true
		}
	}
	return false
}

// The report's first line shows the (masked or whole) token: a token from
// a hostile source must not reach the terminal raw.
func TestChainHeaderEscapesTheToken(t *testing.T) {
	t.Parallel()
	for _, show := range []bool{false, true} {
		var out strings.Builder
		s := &ui.Streams{Env: []string{"TERM=dumb"}}
		p := s.Printer(&out)
		masked := "ab\x1b[2J\x1b]52;c;eA==\x07\u202e…\r\nxy"
		p.ChainHeader(ui.ChainView{Token: "opaque", Masked: masked, ShowToken: show, Hops: []chain.Hop{{Method: "GET", URL: "http://127.0.0.1:1/"}}})
		if strings.ContainsAny(out.String(), "\x1b\x07\r\u202e") || strings.Count(out.String(), "\n") != 4-boolInt(!show) {
			t.Errorf("show-token %v: header %q", show, out.String())
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Everything a server says that the table prints stays on one line, with
// control characters escaped: a server cannot add a line that looks like
// jwtrace's own.
func TestChainTextKeepsServerTextOnOneLine(t *testing.T) {
	t.Parallel()
	evil := "bad\n" + chainSecForged + "\r\x1b[2K"
	hop := chain.Hop{Name: "svc", Method: "GET", URL: "http://127.0.0.1:1/"}
	no := false
	res := &chain.Result{
		Index: 1, Method: "GET", URL: hop.URL, Status: 401, Verdict: chain.Rejected, Expected: []int{},
		Challenge:       &chain.Challenge{Scheme: "Bearer", Params: map[string]string{"error": "invalid_token\n" + chainSecForged, "error_description": evil}},
		WWWAuthenticate: []string{`Bearer error_description="` + evil + `"`},
		Redirects:       []string{"http://127.0.0.1:1/x\n" + chainSecForged},
		BlockedRedirect: "http://localhost:1/\n" + chainSecForged,
		Error:           "the server said " + evil,
		Notes:           []string{"note " + evil},
		Body:            `{"error":"` + evil + `"}`,
		Prediction:      &chain.Prediction{Accept: true, Failed: []string{}, Error: "keys: " + evil},
		Agrees:          &no,
		Cause:           &chain.Cause{Claim: "aud\n" + chainSecForged, Detail: evil, Hint: evil, From: "server"},
	}
	var out strings.Builder
	s := &ui.Streams{Env: []string{"TERM=dumb"}}
	p := s.Printer(&out)
	table := p.ChainHeader(ui.ChainView{Token: "opaque", Masked: "…", Hops: []chain.Hop{hop}})
	table.Hop(&hop, res)
	if chainSecForgedLine(out.String()) || strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("a server's text got a line of its own:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `bad\x0a`+chainSecForged) {
		t.Errorf("the description is not shown escaped:\n%s", out.String())
	}

	// JSON escapes line breaks and control characters inside strings.
	var js strings.Builder
	if err := ui.WriteJSON(&js, res, true); err != nil {
		t.Fatal(err)
	}
	if chainSecForgedLine(js.String()) || strings.ContainsAny(js.String(), "\r\x1b") {
		t.Errorf("--json put a server's text on a line of its own:\n%s", js.String())
	}
	var back struct {
		Challenge struct {
			Description string `json:"error_description"`
		} `json:"challenge"`
	}
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil || back.Challenge.Description != evil {
		t.Errorf("--json does not carry the description as sent (%v): %q", err, back.Challenge.Description)
	}
}

// End to end: a body and a challenge that try to add a line, through
// jwtrace chain --show-body, in text and in --json.
func TestChainServerTextStaysOnOneLineEndToEnd(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Go's client refuses control characters in a header value
		// (net/textproto: malformed MIME header line), but passes bidi
		// overrides.
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="bad`+"\u202e"+`nimda"`)
		w.WriteHeader(401)
		io.WriteString(w, "bad\n"+chainSecForged+"\n")
	}))
	defer srv.Close()
	env := []string{"JWTRACE_TOKEN=opaque-token-0123456789abcdef"}
	r := chainRun(t, env, "--show-body", srv.URL)
	if r.code != ExitRejected || chainSecForgedLine(r.out) || strings.Contains(r.out, "\u202e") {
		t.Errorf("exit %d; the server's text got a line of its own:\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, `bad\x0a`+chainSecForged) || !strings.Contains(r.out, `server: bad\u202enimda`) {
		t.Errorf("the server's text is not shown escaped:\n%s", r.out)
	}
	js := chainRun(t, env, "--json", "--show-body", srv.URL)
	if chainSecForgedLine(js.out) || strings.Contains(js.out, "\u202e") || !strings.Contains(js.out, `bad\n`+chainSecForged) {
		t.Errorf("--json:\n%s", js.out)
	}
}

// A chain file whose rules hold an empty value is refused, naming the
// file's line and YAML key, not a verify flag.
func TestChainFileEmptyRuleIsAUsageError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "chain.yaml")
	body := "hops:\n  - name: api\n    url: http://127.0.0.1:1/\n    rules:\n      authority: http://127.0.0.1:2\n      audience: api://x\n      scopes: [\"${SCOPE}\"]\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := chainRun(t, []string{"JWTRACE_TOKEN=opaque-token-0123456789abcdef", "SCOPE="}, "--file", file)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "[7:") || !strings.Contains(r.errOut, "scopes") || strings.Contains(r.errOut, "--scope") {
		t.Errorf("exit %d\n%s", r.code, r.errOut)
	}
}

// A chain file nested deeper than any chain needs is refused before the
// YAML parser sees it (which would take gigabytes).
func TestChainFileTooDeep(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(file, []byte("hops:\n  - url: "+strings.Repeat("[", 150_000)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := chainRun(t, []string{"JWTRACE_TOKEN=opaque-token-0123456789abcdef"}, "--file", file)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "line 2") || !strings.Contains(r.errOut, "nested") || len(r.errOut) > 2000 {
		t.Errorf("exit %d\n%.3000s", r.code, r.errOut)
	}
}
