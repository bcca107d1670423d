package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/netx"
)

// idp is a scripted authority on loopback: discovery and a JWKS, with a
// request counter and switches for misbehaviour.
type idp struct {
	*httptest.Server
	requests     atomic.Int64
	jwksRequests atomic.Int64
	keys         atomic.Value // []map[string]any
	issuer       string       // "" = the server's URL
	cacheControl string
	etag         string
	notModified  atomic.Int64
}

func jwkOf(kid string) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "n": b64.EncodeToString(rsaKey.N.Bytes()), "e": "AQAB"}
}

func newIDP(t *testing.T, setup func(*idp)) *idp {
	t.Helper()
	testKeys(t)
	p := &idp{cacheControl: "max-age=3600"}
	p.keys.Store([]map[string]any{jwkOf("k1")})
	if setup != nil {
		setup(p)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := p.issuer
		if iss == "" {
			iss = p.URL
		}
		w.Header().Set("Cache-Control", p.cacheControl)
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": p.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.jwksRequests.Add(1)
		if p.etag != "" && r.Header.Get("If-None-Match") == p.etag {
			p.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Cache-Control", p.cacheControl)
		if p.etag != "" {
			w.Header().Set("ETag", p.etag)
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": p.keys.Load()})
	})
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func fetcherFor(t *testing.T, cache bool, now func() time.Time) *Fetcher {
	f := &Fetcher{Client: &http.Client{Timeout: 2 * time.Second, CheckRedirect: netx.CheckRedirect(false)}, Now: now}
	if cache {
		f.Cache = &Cache{Dir: t.TempDir()}
	}
	return f
}

func TestAuthorityDiscoveryThenJWKS(t *testing.T) {
	p := newIDP(t, nil)
	for _, authority := range []string{p.URL, p.URL + "/", p.URL + "/.well-known/openid-configuration"} {
		t.Run("authority "+strings.TrimPrefix(authority, p.URL), func(t *testing.T) {
			keys, origin, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{Authority: authority})
			if err != nil {
				t.Fatal(err)
			}
			if origin.Issuer != p.URL || origin.JWKS.URL != p.URL+"/keys" || len(origin.Keys) != 1 {
				t.Fatalf("origin %+v", origin)
			}
			rules := baseRules()
			rules.Issuers = []string{origin.Issuer}
			tok := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"iss": p.URL}))
			mustPass(t, (&Verifier{Keys: keys, Rules: rules}).Verify(bg, tok))
		})
	}
}

func TestDiscoveryIssuerMustMatchTheAuthority(t *testing.T) {
	p := newIDP(t, func(p *idp) { p.issuer = "https://evil.example" })
	_, _, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{Authority: p.URL})
	var fe *FetchError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `names issuer "https://evil.example"`) {
		t.Fatalf("err %v", err)
	}
	if p.jwksRequests.Load() != 0 {
		t.Fatal("fetched the JWKS of a mismatched discovery document")
	}
}

func TestAzureMultiTenantDiscovery(t *testing.T) {
	if !sameIssuer("https://login.microsoftonline.com/common/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0") {
		t.Fatal("the common endpoint's {tenantid} issuer was refused")
	}
	if sameIssuer("https://login.microsoftonline.com/contoso/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0") {
		t.Fatal("a tenant authority accepted the template issuer")
	}
}

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url, want string
		allowHTTP bool
	}{
		{"http://idp.example.com", "refusing plain http://", false},
		{"http://idp.example.com", "", true},
		{"http://127.0.0.1:9400", "", false},
		{"http://[::1]:9400", "", false},
		{"http://localhost:9400", "", false},
		{"http://LOCALHOST:9400", "", false},
		{"http://idp.localhost:9400", "refusing plain http://", false},
		{"http://127.0.0.2:9400", "", false},
		{"https://idp.example.com", "", false},
		{"file:///etc/passwd", "not an http(s) URL", false},
		{"https://user:pw@idp.example.com", "credentials", false},
		{"https://", "no host", false},
	}
	for _, c := range cases {
		_, err := CheckURL(c.url, c.allowHTTP)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err %v, want %q", c.url, err, c.want)
		}
	}
}

func TestHostileServers(t *testing.T) {
	testKeys(t)
	serve := func(t *testing.T, h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s.URL
	}
	fetch := func(t *testing.T, u string, timeout time.Duration) error {
		f := &Fetcher{Client: &http.Client{Timeout: timeout, CheckRedirect: netx.CheckRedirect(false)}}
		_, _, _, err := f.JWKS(bg, u, false)
		return err
	}
	t.Run("an oversized JWKS is refused", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"keys":[],"pad":"`+strings.Repeat("x", MaxJWKSBytes+10)+`"}`)
		})
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("an endless body is cut at the limit", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("[", 4096))
			for i := 0; i < 1000; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		if err := fetch(t, u, 5*time.Second); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("deeply nested JSON is refused", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"keys":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`}`)
		})
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "nested more than 32") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a hanging server times out", func(t *testing.T) {
		release := make(chan struct{})
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		start := time.Now()
		err := fetch(t, u, 300*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "--timeout") {
			t.Fatalf("err %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
	})
	t.Run("a slow body times out", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[`))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		})
		if err := fetch(t, u, 300*time.Millisecond); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("an error status is reported", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusForbidden) })
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("not JSON is reported", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>login</html>") })
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "not PEM") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a redirect to plain http elsewhere is refused", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://evil.example/keys", http.StatusFound)
		})
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "redirect refused") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a discovery document without jwks_uri says what to do", func(t *testing.T) {
		u := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"issuer":"x"}`) })
		_, _, err := (&Fetcher{}).Discover(bg, u)
		if err == nil || !strings.Contains(err.Error(), "--jwks-url") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		// Port 1: nothing listens, and no other test's server can take it.
		u := "http://127.0.0.1:1"
		if err := fetch(t, u, time.Second); err == nil || !strings.Contains(err.Error(), "is the authority running") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestCacheSavesRequests(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	p := newIDP(t, nil)
	f := fetcherFor(t, true, clock)

	if _, o, err := f.LoadKeys(bg, Sources{Authority: p.URL}); err != nil || o.Discovery.Cached {
		t.Fatalf("first: %v %+v", err, o)
	}
	if got := p.requests.Load(); got != 2 {
		t.Fatalf("first verify made %d requests, want 2", got)
	}
	// A second verify, as a new process would run it: no request at all.
	_, o, err := f.LoadKeys(bg, Sources{Authority: p.URL})
	if err != nil || !o.Discovery.Cached || !o.JWKS.Cached {
		t.Fatalf("second: %v %+v", err, o)
	}
	if got := p.requests.Load(); got != 2 {
		t.Fatalf("second verify made %d more requests", got-2)
	}
	// After max-age, the documents are fetched again.
	now = now.Add(61 * time.Minute)
	if _, o, err := f.LoadKeys(bg, Sources{Authority: p.URL}); err != nil || o.Discovery.Cached {
		t.Fatalf("third: %v %+v", err, o)
	}
	if got := p.requests.Load(); got != 4 {
		t.Fatalf("after expiry: %d requests, want 4", got)
	}
	// --no-cache is a Fetcher without a cache: always fetches.
	if _, _, err := fetcherFor(t, false, clock).LoadKeys(bg, Sources{Authority: p.URL}); err != nil {
		t.Fatal(err)
	}
	if got := p.requests.Load(); got != 6 {
		t.Fatalf("without cache: %d requests, want 6", got)
	}
}

func TestCacheRefetchesForAnUnknownKid(t *testing.T) {
	p := newIDP(t, nil)
	f := fetcherFor(t, true, func() time.Time { return testNow })
	keys, _, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil {
		t.Fatal(err)
	}
	// The authority rotates to k2 while the cached JWKS still says k1.
	p.keys.Store([]map[string]any{jwkOf("k1"), jwkOf("k2")})
	v := &Verifier{Keys: keys, Rules: baseRules()}
	mustPass(t, v.Verify(bg, sign(t, rsaKey, rsHeader("k2"), claims(nil))))
	if got := p.jwksRequests.Load(); got != 2 {
		t.Fatalf("%d JWKS requests, want 2 (one refetch)", got)
	}
	// The refetch refreshed the cache: a new run knows k2 without a request.
	keys, o, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil || !o.JWKS.Cached || len(o.Keys) != 2 {
		t.Fatalf("%v %+v", err, o)
	}
	mustPass(t, (&Verifier{Keys: keys, Rules: baseRules()}).Verify(bg, sign(t, rsaKey, rsHeader("k2"), claims(nil))))
	if got := p.jwksRequests.Load(); got != 2 {
		t.Fatalf("%d JWKS requests, want still 2", got)
	}
}

func TestCacheRevalidatesWithETag(t *testing.T) {
	p := newIDP(t, func(p *idp) { p.cacheControl = "no-cache"; p.etag = `"v1"` })
	f := fetcherFor(t, true, func() time.Time { return testNow })
	for i := 0; i < 3; i++ {
		if _, _, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"}); err != nil {
			t.Fatal(err)
		}
	}
	if p.jwksRequests.Load() != 3 || p.notModified.Load() != 2 {
		t.Fatalf("requests %d, 304s %d; want 3 and 2", p.jwksRequests.Load(), p.notModified.Load())
	}
}

func TestCacheTTL(t *testing.T) {
	cases := map[string]time.Duration{
		"":                          DefaultCacheTTL,
		"max-age=3600":              time.Hour,
		"public, max-age=86400":     24 * time.Hour,
		"max-age=31536000":          MaxCacheTTL,
		"max-age=99999999999999999": MaxCacheTTL,
		"max-age=5":                 MinCacheTTL,
		"max-age=0":                 0,
		"no-cache":                  0,
		"private, max-age=600":      10 * time.Minute,
		"max-age=abc":               DefaultCacheTTL,
	}
	for cc, want := range cases {
		h := http.Header{}
		h.Set("Cache-Control", cc)
		if got := cacheTTL(h); got != want {
			t.Errorf("Cache-Control %q: %v, want %v", cc, got, want)
		}
	}
	h := http.Header{}
	h.Set("Cache-Control", "no-store")
	if !noStore(h) {
		t.Error("no-store not seen")
	}
}

var _ = context.Background

func TestCacheRefusesFilesOthersCouldWrite(t *testing.T) {
	p := newIDP(t, nil)
	dir := t.TempDir()
	c := &Cache{Dir: dir}
	f := &Fetcher{Client: &http.Client{Timeout: 2 * time.Second}, Cache: c, Now: func() time.Time { return testNow }}
	if _, _, _, err := f.JWKS(bg, p.URL+"/keys", false); err != nil {
		t.Fatal(err)
	}
	// Someone makes the cached file writable by all (or plants one):
	// it is not used, and the JWKS is fetched again.
	path := c.path(p.URL + "/keys")
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	before := p.jwksRequests.Load()
	if _, _, info, err := f.JWKS(bg, p.URL+"/keys", false); err != nil || info.Cached || p.jwksRequests.Load() != before+1 {
		t.Fatalf("a world-writable cache file was used: %v %+v", err, info)
	}
	// A directory others can write is refused as a whole.
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := (&Cache{Dir: open}).Check(); err == nil || !strings.Contains(err.Error(), "others can read or write") {
		t.Fatalf("Check: %v", err)
	}
}

func TestCacheNeverKeepsAnEntryLongerThanTheBound(t *testing.T) {
	e := &cacheEntry{Fetched: testNow.Unix(), Expires: testNow.Add(100 * 365 * 24 * time.Hour).Unix()}
	if e.fresh(testNow.Add(time.Minute)) {
		t.Fatal("an entry claiming a 100-year lifetime was fresh")
	}
}

func TestCacheScopesKeepTrustApart(t *testing.T) {
	p := newIDP(t, nil)
	dir := t.TempDir()
	f := &Fetcher{Client: &http.Client{Timeout: 2 * time.Second}, Cache: &Cache{Dir: dir, Scope: "cacert=abc;"}, Now: func() time.Time { return testNow }}
	if _, _, _, err := f.JWKS(bg, p.URL+"/keys", false); err != nil {
		t.Fatal(err)
	}
	plain := &Fetcher{Client: f.Client, Cache: &Cache{Dir: dir}, Now: f.Now}
	if _, _, info, err := plain.JWKS(bg, p.URL+"/keys", false); err != nil || info.Cached {
		t.Fatalf("keys fetched under another trust were reused: %v %+v", err, info)
	}
}

func TestADiscoveredPlainHTTPJWKSIsTheServersFault(t *testing.T) {
	srv := httptest.NewServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"http://keys.example.com/jwks"}`, srv.URL)
	})
	t.Cleanup(srv.Close)
	_, _, err := (&Fetcher{}).LoadKeys(bg, Sources{Authority: srv.URL})
	var fe *FetchError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "refusing plain http://") {
		t.Fatalf("err %T %v", err, err)
	}
}
