package chain

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// hostileToken is an opaque token with every byte that encodings change:
// "/", "+", "=" and "~".
const hostileToken = "opaque/Tok+en~0123456789/abc+def=="

// encodedForms are the ways a server may echo the token: percent-encoded
// (RFC 3986 §2.1, either hex case, and doubly), form-encoded (HTML's
// application/x-www-form-urlencoded: %2B, or a space for "+" once decoded),
// JSON-escaped (RFC 8259 §7: "\/" and "\u002b"), HTML character references,
// and base64 / base64url (RFC 4648 §4, §5), padded or not, also at an
// offset inside a longer base64 text.
func encodedForms(tok string) map[string]string {
	pct := func(upper bool, all bool) string {
		var b strings.Builder
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if all || strings.IndexByte("/+=~", c) >= 0 {
				f := "%%%02x"
				if upper {
					f = "%%%02X"
				}
				fmt.Fprintf(&b, f, c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	jsonEsc := strings.NewReplacer("/", `\/`, "+", `\u002b`, "=", `\u003D`, "~", `\u007e`).Replace(tok)
	html := strings.NewReplacer("/", "&#47;", "+", "&#x2B;", "=", "&#61;").Replace(tok)
	return map[string]string{
		"query escape":         url.QueryEscape(tok),
		"path escape":          url.PathEscape(tok),
		"lower-case percent":   pct(false, false),
		"upper-case percent":   pct(true, false),
		"every byte percent":   pct(true, true),
		"double percent":       strings.ReplaceAll(url.QueryEscape(tok), "%", "%25"),
		"form-decoded":         strings.ReplaceAll(tok, "+", " "),
		"json escapes":         jsonEsc,
		"html references":      html,
		"base64":               base64.StdEncoding.EncodeToString([]byte(tok)),
		"base64url":            base64.RawURLEncoding.EncodeToString([]byte(tok)),
		"base64 at offset 1":   base64.StdEncoding.EncodeToString([]byte("x" + tok)),
		"base64 at offset 2":   base64.StdEncoding.EncodeToString([]byte("xy" + tok)),
		"base64url percent":    url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("Bearer " + tok))),
		"raw token for a base": tok,
	}
}

// leaks names the forms of tok that s still shows. A base64 form counts as
// shown when its middle is there: its first and last characters also
// encode the bytes around the token.
func leaks(tok, s string) []string {
	var out []string
	for name, f := range encodedForms(tok) {
		probe := f
		if strings.HasPrefix(name, "base64") {
			probe = strings.TrimRight(f, "=")
			probe = probe[len(probe)/4 : len(probe)*3/4]
		}
		if strings.Contains(s, probe) {
			out = append(out, name)
		}
	}
	// The token's distinctive middle in any case.
	if strings.Contains(s, "0123456789") {
		out = append(out, "its middle (0123456789)")
	}
	return out
}

// A hostile server echoes the token in every encoding, in every place chain
// prints: a blocked redirect's Location, a same-host redirect, the body
// (--show-body), the WWW-Authenticate challenge, an error message. None of
// them may show it.
func TestEncodedEchoesAreMasked(t *testing.T) {
	forms := encodedForms(hostileToken)
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("/offhost", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "http://localhost:1/cb?access_token="+form)
				w.WriteHeader(http.StatusFound)
			})
			mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/done?t="+form)
				w.WriteHeader(http.StatusFound)
			})
			mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
			mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				io.WriteString(w, `{"error":"bad token","token":"`+form+`"}`)
			})
			mux.HandleFunc("/challenge", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token `+form+` expired", realm="`+form+`"`)
				w.WriteHeader(401)
			})
			mux.HandleFunc("/badlocation", func(w http.ResponseWriter, r *http.Request) {
				// Go's client quotes an unparsable Location in its error.
				w.Header().Set("Location", "http://[::1/?t="+form)
				w.WriteHeader(http.StatusFound)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			r := newRunner(hostileToken)
			r.BodyBytes = 512
			var hops []Hop
			for _, p := range []string{"/offhost", "/same", "/body", "/challenge", "/badlocation"} {
				hops = append(hops, Hop{URL: srv.URL + p, Method: "GET"})
			}
			rep := r.Run(context.Background(), hops, nil)
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			// The same text the table shows: the JSON carries every field,
			// so unescape it once to see what a terminal would.
			var plain strings.Builder
			for _, h := range rep.Hops {
				fmt.Fprintln(&plain, h.BlockedRedirect, h.Redirects, h.Body, h.Error, h.WWWAuthenticate, h.Notes)
				if c := h.Challenge; c != nil {
					fmt.Fprintln(&plain, c.Description(), c.Realm(), c.String())
				}
				if c := h.Cause; c != nil {
					fmt.Fprintln(&plain, c.Detail, c.Hint)
				}
			}
			fmt.Fprintln(&plain, rep.Summary.Text)
			for _, s := range []string{string(b), plain.String()} {
				if l := leaks(hostileToken, s); len(l) > 0 {
					t.Errorf("the report shows the token (%s):\n%s", strings.Join(l, ", "), s)
				}
			}
			if !strings.Contains(plain.String(), Mask(hostileToken)) {
				t.Errorf("the report does not show the masked token:\n%s", plain.String())
			}
			if rep.Hops[0].Verdict != Redirected || rep.Hops[2].Status != 500 || rep.Hops[3].Verdict != Rejected || rep.Hops[4].Error == "" {
				t.Errorf("verdicts: %s %d %s %q", rep.Hops[0].Verdict, rep.Hops[2].Status, rep.Hops[3].Verdict, rep.Hops[4].Error)
			}
		})
	}
}

// The body is cut after masking, and an encoded token that crosses the
// cut is masked whole, never shown up to the cut, even when masking the
// tokens before it made the text shorter.
func TestEncodedTokenAcrossTheBodyCut(t *testing.T) {
	form := encodedForms(hostileToken)["every byte percent"]
	for _, body := range []string{
		strings.Repeat("A", 100) + form + strings.Repeat("B", 400),
		strings.Repeat(form+" ", 40),
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, body)
		}))
		r := newRunner(hostileToken)
		r.BodyBytes = 150
		res := r.Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
		srv.Close()
		if l := leaks(hostileToken, res.Body); len(l) > 0 || strings.Contains(res.Body, "%6F%70%61") {
			t.Errorf("body shows the token (%v): %q", l, res.Body)
		}
		if !strings.Contains(res.Body, Mask(hostileToken)) || len(res.Body) > 150 || !res.BodyTruncated {
			t.Errorf("body %q (%d bytes, truncated %v)", res.Body, len(res.Body), res.BodyTruncated)
		}
	}
}

// A WWW-Authenticate value cut for display does not show the part of the
// token before the cut.
func TestTokenAcrossTheChallengeCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.Repeat("x", maxChallengeShown-60)+hostileToken+`"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	res := newRunner(hostileToken).Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
	if len(res.WWWAuthenticate) != 1 || strings.Contains(res.WWWAuthenticate[0], hostileToken[:8]) {
		t.Errorf("WWW-Authenticate = %q", res.WWWAuthenticate)
	}
}

func TestMaskTextLeavesOtherTextAlone(t *testing.T) {
	r := newRunner(hostileToken)
	for _, s := range []string{
		"",
		"nothing here",
		"%2F%2B%3D and \\/ and \\u002b",
		"opaque/Tok+en~01234",     // a prefix is not the token
		strings.Repeat("%", 1000), // a run of escapes that decode to nothing
		"héllo \u2028 wörld",
	} {
		if got := r.mask(s); got != s {
			t.Errorf("mask(%q) = %q", s, got)
		}
	}
	// Masking is linear: a hostile body of near-matches does not make it
	// quadratic.
	s := strings.Repeat(hostileToken[:len(hostileToken)-1]+"%", 1<<15)
	if got := r.mask(s); got != s {
		t.Error("near-matches were masked")
	}
}
