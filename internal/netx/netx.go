// Package netx is jwtrace's network policy, in one place: how every HTTP
// client is built (timeouts, proxies from the environment but never for
// loopback, a dialer that keeps the name localhost on this machine, TLS
// trust, redirect rules, a bound on response headers, the --debug trace),
// which URLs jwtrace fetches from, and what a failed request means
// (refused, timeout, TLS, DNS, ...).
//
// Every command's client comes from NewClient; the words each surface says
// about a failure are its own, from Classify's Kind.
package netx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/httptrace"
	"github.com/jwtrace/jwtrace/internal/lazy"
)

// DefaultTimeout bounds each HTTP request (connection, TLS, headers and
// body) unless a Config sets its own.
const DefaultTimeout = 10 * time.Second

// MaxResponseHeaderBytes bounds a response's headers: servers are hostile
// too, and 64 KiB of headers is plenty.
const MaxResponseHeaderBytes = 64 << 10

// MaxRedirects bounds the redirects of one request.
const MaxRedirects = 5

// Config is the network policy of a client.
type Config struct {
	// Timeout bounds each request, its dial and its response headers; 0
	// is DefaultTimeout.
	Timeout time.Duration
	// CACerts is PEM certificates trusted for HTTPS besides the system's
	// (--cacert).
	CACerts []byte
	// Insecure skips TLS certificate verification (--insecure).
	Insecure bool
	// AllowHTTP permits plain http:// to hosts other than loopback, also
	// when a redirect leads there.
	AllowHTTP bool
	// Trace, when not nil, gets a trace of every request and response,
	// secrets masked (--debug).
	Trace io.Writer
}

// ErrNoPEM is CACerts without a PEM certificate in it.
var ErrNoPEM = errors.New("no PEM certificate in it")

// NewClient builds a client for c: a per-request timeout, TLS 1.2 or
// later with c's trust, proxies from the environment (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY) but never for loopback, LoopbackDial, at most
// MaxResponseHeaderBytes of headers, the --debug trace, and CheckRedirect.
// Its only error is ErrNoPEM.
func NewClient(c Config) (*http.Client, error) {
	tr, err := Transport(c)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = tr
	if c.Trace != nil {
		rt = httptrace.New(tr, c.Trace)
	}
	return &http.Client{Transport: rt, Timeout: c.timeout(), CheckRedirect: CheckRedirect(c.AllowHTTP)}, nil
}

var defaultClient lazy.Value[*http.Client]

// Default is the client of library callers that give none: the policy of
// a zero Config (DefaultTimeout, system trust, no plain http off the
// machine), built once and shared so its connections are reused.
func Default() *http.Client { return defaultClient.Get(buildDefault) }

func buildDefault() *http.Client {
	c, _ := NewClient(Config{}) // no CACerts: no error
	return c
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Transport is NewClient's transport (no trace).
func Transport(c Config) (*http.Transport, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(c.CACerts) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(c.CACerts) {
			return nil, ErrNoPEM
		}
		tlsConf.RootCAs = pool
	}
	if c.Insecure {
		tlsConf.InsecureSkipVerify = true
	}
	timeout := c.timeout()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.Proxy = proxy
	tr.DialContext = LoopbackDial(&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second})
	tr.ResponseHeaderTimeout = timeout
	tr.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	return tr, nil
}

// proxy is the environment's proxy, never for what jwtrace counts as
// loopback (plain http is allowed there, and must stay on the machine).
func proxy(r *http.Request) (*url.URL, error) {
	if IsLoopback(r.URL.Hostname()) {
		return nil, nil
	}
	return http.ProxyFromEnvironment(r)
}

// IsLoopback reports whether host names this machine: localhost or a
// loopback address. Only a literal loopback address or the name localhost
// counts: names such as x.localhost go to DNS with Go's resolver, and
// proxies do not skip them. (LoopbackDial also makes sure localhost
// resolves to loopback.)
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackDial dials as d does, except that the name localhost may only
// reach loopback addresses: jwtrace allows plain http to it, so a resolver
// answering otherwise must not send that traffic off the machine.
func LoopbackDial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !strings.EqualFold(host, "localhost") {
			return d.DialContext(ctx, network, addr)
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if ip.IP.IsLoopback() {
				return d.DialContext(ctx, network, net.JoinHostPort(ip.IP.String(), port))
			}
		}
		return nil, fmt.Errorf("localhost resolves to %v, not to a loopback address; refusing", ips)
	}
}

// CheckRedirect is an http.Client.CheckRedirect that applies CheckURL to
// every redirect and stops after MaxRedirects.
func CheckRedirect(allowHTTP bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		if _, err := CheckURL(req.URL.String(), allowHTTP); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		return nil
	}
}

// SameOrigin reports whether two URLs have the same scheme, host and port
// (RFC 6454 §4), the default port spelled or not.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && Port(a) == Port(b)
}

// Port is u's port, or its scheme's default (443 for https, else 80).
func Port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// URLError is a URL jwtrace refuses to fetch from (a usage error).
type URLError struct{ Msg string }

func (e *URLError) Error() string { return e.Msg }

// CheckURL enforces jwtrace's rules for the URLs it sends requests to:
// https, or plain http only to a loopback host unless allowHTTP; a host;
// no credentials in the URL. A host given without a scheme is named with
// the URL that was meant.
func CheckURL(raw string, allowHTTP bool) (*url.URL, error) {
	if guess, ok := schemeless(raw); ok {
		// "127.0.0.1:9400" is a parse error to Go, and "localhost:9400"
		// a URL of scheme "localhost": say the URL that was meant.
		return nil, &URLError{fmt.Sprintf("%q is not a URL: want a URL: %s", raw, guess)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &URLError{fmt.Sprintf("%q is not a URL (%s)", raw, Unwrap(err).Error())}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !IsLoopback(u.Hostname()) {
			return nil, &URLError{fmt.Sprintf("refusing plain http:// to %s: keys fetched without TLS can be replaced on the way; use https, or --allow-http if you really mean it", u.Host)}
		}
	default:
		return nil, &URLError{fmt.Sprintf("%q is not an http(s) URL", raw)}
	}
	if u.Host == "" {
		return nil, &URLError{fmt.Sprintf("%q has no host", raw)}
	}
	if u.User != nil {
		return nil, &URLError{fmt.Sprintf("%s carries credentials in the URL; jwtrace does not send them", u.Redacted())}
	}
	return u, nil
}

// schemeless recognises a host, host:port or host/path given without a
// scheme, and returns the URL meant: http:// for a loopback host (as the
// local authority serves), https:// otherwise.
func schemeless(raw string) (string, bool) {
	if raw == "" || strings.Contains(raw, "://") || strings.ContainsAny(raw, " \t\r\n?#@") {
		return "", false
	}
	hostport, _, _ := strings.Cut(raw, "/")
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", false
		}
		host = h
	}
	// A host has a dot, or is localhost or an IP address (":" alone, as
	// in "mailto:x", is a scheme, not a port).
	if host == "" || (!strings.Contains(host, ".") && !IsLoopback(host) && net.ParseIP(host) == nil) {
		return "", false
	}
	if strings.Contains(hostport, ":") && hostport == host {
		return "", false
	}
	if IsLoopback(host) {
		return "http://" + raw, true
	}
	return "https://" + raw, true
}
