package cmd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

// httpFlags are the network flags of every command that talks to an
// authority: TLS trust, plain-HTTP permission and the discovery cache.
type httpFlags struct {
	cacert    string
	insecure  bool
	allowHTTP bool
	noCache   bool
}

func (h *httpFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&h.cacert, "cacert", "", "trust the CA certificates in `FILE` (PEM) for HTTPS")
	f.BoolVar(&h.insecure, "insecure", false, "skip TLS certificate verification (dangerous)")
	f.BoolVar(&h.allowHTTP, "allow-http", false, "allow plain http:// to hosts other than loopback")
	f.BoolVar(&h.noCache, "no-cache", false, "fetch discovery and JWKS now, ignoring the cache")
}

// client builds an HTTP client: a per-request timeout, --cacert,
// --insecure (with a loud warning), proxies from the environment, and
// jwtrace's redirect rules.
func (h *httpFlags) client(s *ui.Streams, timeout time.Duration) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if h.cacert != "" {
		pem, err := os.ReadFile(h.cacert)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cacert: %w", err)}
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &usageError{fmt.Errorf("--cacert %s: no PEM certificate in it", h.cacert)}
		}
		tlsConf.RootCAs = pool
	}
	if h.insecure {
		tlsConf.InsecureSkipVerify = true
		fmt.Fprintln(s.ErrOut, s.Printer(s.ErrOut).Warning("WARNING: --insecure: TLS certificates are NOT verified; anyone on the path can serve keys that make forged tokens pass."))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.Proxy = http.ProxyFromEnvironment // HTTPS_PROXY, NO_PROXY; never for loopback
	tr.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: verify.CheckRedirect(h.allowHTTP)}, nil
}

// fetcher is a verify.Fetcher on client, with the discovery cache unless
// --no-cache.
func (h *httpFlags) fetcher(s *ui.Streams, client *http.Client, now func() time.Time) *verify.Fetcher {
	f := &verify.Fetcher{Client: client, AllowHTTP: h.allowHTTP, Now: now}
	if !h.noCache {
		if dir := cacheDir(s); dir != "" {
			f.Cache = &verify.Cache{Dir: filepath.Join(dir, "http")}
		}
	}
	return f
}

// cacheDir is jwtrace's cache directory: $JWTRACE_CACHE_DIR, or jwtrace
// under the user cache dir; "" when there is none.
func cacheDir(s *ui.Streams) string {
	if d := s.Getenv("JWTRACE_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "jwtrace")
}

// checkURLFlag applies verify's URL rules to a flag's value.
func checkURLFlag(flag, raw string, allowHTTP bool) (string, error) {
	if _, err := verify.CheckURL(raw, allowHTTP); err != nil {
		return "", &usageError{fmt.Errorf("%s: %w", flag, err)}
	}
	return raw, nil
}
