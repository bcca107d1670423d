package cmd

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/internal/netx"
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
	debug     bool
}

func (h *httpFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&h.cacert, "cacert", "", "trust the CA certificates in `FILE` (PEM) for HTTPS")
	f.BoolVar(&h.insecure, "insecure", false, "skip TLS certificate verification (dangerous)")
	f.BoolVar(&h.allowHTTP, "allow-http", false, "allow plain http:// to hosts other than loopback")
	f.BoolVar(&h.noCache, "no-cache", false, "fetch discovery and JWKS now, ignoring the cache")
	f.BoolVar(&h.debug, "debug", false, "trace every HTTP request and response on stderr, secrets masked (or JWTRACE_DEBUG=1)")
}

// debugging is --debug, or JWTRACE_DEBUG set to anything but "", 0 or false.
func (h *httpFlags) debugging(s *ui.Streams) bool {
	if h.debug {
		return true
	}
	switch v := s.Getenv("JWTRACE_DEBUG"); strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// client builds the HTTP client of the network flags (netx's policy):
// --timeout, --cacert, --insecure (with a loud warning), --allow-http for
// redirects, and the --debug trace.
func (h *httpFlags) client(s *ui.Streams, timeout time.Duration) (*http.Client, error) {
	c := netx.Config{Timeout: timeout, Insecure: h.insecure, AllowHTTP: h.allowHTTP}
	if h.cacert != "" {
		pem, err := os.ReadFile(h.cacert)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cacert: %w", err)}
		}
		c.CACerts = pem
	}
	if h.debugging(s) {
		c.Trace = s.ErrOut
	}
	client, err := netx.NewClient(c)
	if errors.Is(err, netx.ErrNoPEM) {
		return nil, &usageError{fmt.Errorf("--cacert %s: no PEM certificate in it", h.cacert)}
	}
	if err != nil {
		return nil, err
	}
	if h.insecure {
		fmt.Fprintln(s.ErrOut, s.Printer(s.ErrOut).Warning("WARNING: --insecure: TLS certificates are NOT verified; anyone on the path can read what jwtrace sends (tokens, secrets) and answer in the server's name (keys that make forged tokens pass)."))
	}
	return client, nil
}

// fetcher is a verify.Fetcher on client, with the discovery cache unless
// --no-cache or --insecure. Documents fetched with --cacert, SSL_CERT_FILE,
// SSL_CERT_DIR or --allow-http are cached apart from the others, so a
// later run with stricter settings never gets keys it would not have
// fetched.
func (h *httpFlags) fetcher(s *ui.Streams, client *http.Client, now func() time.Time) *verify.Fetcher {
	f := &verify.Fetcher{Client: client, AllowHTTP: h.allowHTTP, Now: now}
	if h.noCache || h.insecure {
		return f
	}
	dir := cacheDir(s)
	if dir == "" {
		return f
	}
	c := &verify.Cache{Dir: filepath.Join(dir, "http")}
	if h.cacert != "" {
		pem, _ := os.ReadFile(h.cacert)
		sum := sha256.Sum256(pem)
		c.Scope += "cacert=" + hex.EncodeToString(sum[:8]) + ";"
	}
	c.Scope += systemTrustScope(s)
	if h.allowHTTP {
		c.Scope += "allow-http;"
	}
	if err := c.Check(); err != nil {
		fmt.Fprintln(s.ErrOut, "note: not using the cache: "+ui.Safe(err.Error()))
		return f
	}
	f.Cache = c
	return f
}

// systemTrustScope names the trust SSL_CERT_FILE and SSL_CERT_DIR set,
// for the cache's Scope: crypto/x509 (root_unix.go, Go 1.26) takes the
// system roots from them when they are set, so documents fetched under one
// bundle must not be reused under another. The file is named by its path
// and a hash of its content; each directory (SSL_CERT_DIR is a
// colon-separated list) by its path and the names, sizes and modification
// times of its entries. Unset or empty (which Go reads as unset), both add
// nothing, and the cache of runs under the default roots stays as it was.
// They are read from the streams' environment, which is the process's
// outside tests.
func systemTrustScope(s *ui.Streams) string {
	var scope string
	if file := s.Getenv("SSL_CERT_FILE"); file != "" {
		sum := sha256.New()
		fmt.Fprintf(sum, "%q\x00", file)
		if f, err := os.Open(file); err == nil {
			_, _ = io.Copy(sum, io.LimitReader(f, 64<<20))
			f.Close()
		}
		scope += "ssl-cert-file=" + hex.EncodeToString(sum.Sum(nil)[:8]) + ";"
	}
	if dirs := s.Getenv("SSL_CERT_DIR"); dirs != "" {
		sum := sha256.New()
		for _, dir := range filepath.SplitList(dirs) {
			fmt.Fprintf(sum, "%q", dir)
			if fi, err := os.Stat(dir); err == nil {
				fmt.Fprintf(sum, " %d", fi.ModTime().UnixNano())
			}
			sum.Write([]byte{0})
			entries, _ := os.ReadDir(dir) // sorted by name
			for _, e := range entries {
				size, mtime := int64(-1), int64(0)
				if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil { // follows the hash links
					size, mtime = fi.Size(), fi.ModTime().UnixNano()
				}
				fmt.Fprintf(sum, "%q %d %d\x00", e.Name(), size, mtime)
			}
		}
		scope += "ssl-cert-dir=" + hex.EncodeToString(sum.Sum(nil)[:8]) + ";"
	}
	return scope
}

// cacheDir is jwtrace's cache directory: $JWTRACE_CACHE_DIR, or jwtrace
// under the user cache dir; "" when there is none.
func cacheDir(s *ui.Streams) string {
	if d := s.Getenv("JWTRACE_CACHE_DIR"); d != "" {
		return d
	}
	d, err := userCacheDir(s.Getenv)
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
