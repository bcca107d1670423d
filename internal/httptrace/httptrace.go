// Package httptrace is jwtrace's --debug: an http.RoundTripper that writes
// each request and response line, the headers and the time taken to a
// writer (stderr), with every token, secret, code and cookie masked. What
// it writes came partly from a server, so every line is escaped and
// bounded (textsafe.Line): a trace never drives the terminal.
package httptrace

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// maxFormBody bounds the request body the trace reads to show a form's
// fields: OAuth requests are a few hundred bytes.
const maxFormBody = 64 << 10

// maxLine bounds one line of the trace.
const maxLine = 2048

// Transport traces the requests that go through Base.
type Transport struct {
	Base http.RoundTripper
	// Out receives the trace, whole lines at a time.
	Out io.Writer
	// Now is the clock for the timings (time.Now when nil).
	Now func() time.Time

	mu sync.Mutex
	n  atomic.Int64
}

// New wraps base (http.DefaultTransport when nil) so that it traces to out.
func New(base http.RoundTripper, out io.Writer) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base, Out: out}
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// RoundTrip writes the request, sends it, and writes the response (or the
// error) with the time it took.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	id := t.n.Add(1)
	var lines []string
	lines = append(lines, fmt.Sprintf("> #%d %s %s %s", id, req.Method, maskURL(req.URL), req.Proto))
	lines = append(lines, headerLines("> ", req.Header)...)
	if req.Body != nil && req.Body != http.NoBody && isForm(req.Header.Get("Content-Type")) {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxFormBody+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		// The request goes on with the same bytes (a clone: the caller's
		// request is not ours to change).
		body := b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if len(b) > maxFormBody {
			lines = append(lines, fmt.Sprintf("> (form body over %d KiB, not shown)", maxFormBody>>10))
		} else {
			lines = append(lines, "> "+maskForm(string(b)))
		}
	} else if req.ContentLength > 0 {
		lines = append(lines, fmt.Sprintf("> (body: %d bytes, not shown)", req.ContentLength))
	}
	t.write(lines)

	start := t.now()
	resp, err := t.Base.RoundTrip(req)
	took := t.now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.write([]string{fmt.Sprintf("< #%d error after %s: %v", id, took, err)})
		return nil, err
	}
	lines = []string{fmt.Sprintf("< #%d %s %s (%s)", id, resp.Proto, resp.Status, took)}
	lines = append(lines, headerLines("< ", resp.Header)...)
	t.write(lines)
	return resp, nil
}

func (t *Transport) write(lines []string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(textsafe.Line(l, maxLine))
		b.WriteByte('\n')
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.Out, b.String())
}

func isForm(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// A secret header is masked whole; a credential header keeps its scheme.
// (Switches, not maps: a package-level map is built at every start-up.)
func secretHeader(name string) bool {
	switch name {
	case "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "Dpop":
		return true
	}
	return false
}

func credentialHeader(name string) bool {
	return name == "Authorization" || name == "Proxy-Authorization"
}

// headerLines writes the headers sorted by name, masked.
func headerLines(prefix string, h http.Header) []string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var lines []string
	for _, name := range names {
		for _, v := range h[name] {
			canon := http.CanonicalHeaderKey(name)
			switch {
			case secretHeader(canon):
				v = Mask(v)
			case credentialHeader(canon):
				if scheme, rest, ok := strings.Cut(v, " "); ok {
					v = scheme + " " + Mask(rest)
				} else {
					v = Mask(v)
				}
			case canon == "Www-Authenticate" || canon == "Location":
				// A server may echo a token in a challenge or a
				// redirect's query.
				v = maskEchoes(v)
			}
			lines = append(lines, prefix+canon+": "+v)
		}
	}
	return lines
}

// secretParam is whether name is one of the OAuth parameters whose values are secrets, tokens or
// one-time codes (RFC 6749, 7009, 7523, 7636, 7662, 8628, 8693).
func secretParam(name string) bool {
	switch name {
	case "client_secret", "client_assertion", "assertion", "code", "code_verifier", "device_code", "user_code", "refresh_token", "access_token", "id_token", "token", "subject_token", "actor_token", "password", "state", "nonce", "id_token_hint", "login_hint_token":
		return true
	}
	return false
}

// maskForm masks the secret fields of a form body, keeping the others and
// their order.
func maskForm(body string) string {
	parts := strings.Split(body, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if secretParam(name) && v != "" {
			parts[i] = k + "=" + Mask(v)
		}
	}
	return strings.Join(parts, "&")
}

// maskURL shows a URL with its user info and secret query parameters
// masked.
func maskURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("***")
	}
	if c.RawQuery != "" {
		c.RawQuery = maskForm(c.RawQuery)
	}
	return c.String()
}

// maskEchoes masks what looks like a token or a secret query parameter in a
// header value a server wrote.
func maskEchoes(v string) string {
	if u, err := url.Parse(v); err == nil && u.RawQuery != "" {
		v = maskURL(u)
	}
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '"' || r == '=' || r == '&' || r == '?' })
	for _, f := range fields {
		if strings.HasPrefix(f, "eyJ") && strings.Count(f, ".") >= 2 {
			v = strings.ReplaceAll(v, f, Mask(f))
		}
	}
	return v
}

// Mask hides a secret value and says how long it was: "***(43 chars)".
func Mask(v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf("***(%d chars)", len(v))
}
