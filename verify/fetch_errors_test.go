package verify

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A discovery document given as the JWKS URL is named as such, with the
// flags to use instead: not jwx's "invalid key type from JSON ()".
func TestJWKSURLAtADiscoveryDocument(t *testing.T) {
	p := newIDP(t, nil)
	f := fetcherFor(t, false, nil)
	_, _, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/.well-known/openid-configuration"})
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("%T %v", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"this is an OpenID discovery document, not a JWKS", "--authority " + p.URL, "--jwks-url " + p.URL + "/keys"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "jwk.") || strings.Contains(msg, "ParseKey") {
		t.Errorf("library internals in:\n%s", msg)
	}
}

// An --authority that is a JWKS URL gets a hint to use --jwks-url.
func TestAuthorityThatIsAJWKSURL(t *testing.T) {
	p := newIDP(t, nil)
	for _, path := range []string{"/keys", "/jwks.json", "/protocol/openid-connect/certs"} {
		f := fetcherFor(t, false, nil)
		_, _, err := f.LoadKeys(bg, Sources{Authority: p.URL + path})
		if err == nil || !strings.Contains(err.Error(), "looks like a JWKS URL") || !strings.Contains(err.Error(), "--jwks-url "+p.URL+path) {
			t.Errorf("%s: %v", path, err)
		}
	}
	// A real issuer that fails is not called a JWKS URL.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, _, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{Authority: srv.URL + "/realms/demo"})
	if err == nil || strings.Contains(err.Error(), "JWKS URL") {
		t.Errorf("issuer: %v", err)
	}
}

// A host:port without a scheme is told the URL it probably means.
func TestCheckURLSuggestsAScheme(t *testing.T) {
	for raw, want := range map[string]string{
		"127.0.0.1:9400":         "want a URL: http://127.0.0.1:9400",
		"localhost:9400":         "want a URL: http://localhost:9400",
		"login.example.com/tid":  "want a URL: https://login.example.com/tid",
		"idp.example:8443/realm": "want a URL: https://idp.example:8443/realm",
	} {
		_, err := CheckURL(raw, false)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "first path segment") {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
