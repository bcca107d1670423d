package resource

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/verify"
)

// getMetadata fetches a metadata document without a token.
func getMetadata(t *testing.T, method, target string) (int, Metadata, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var md Metadata
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &md); err != nil {
			t.Fatalf("not JSON: %v %s", err, raw)
		}
	}
	return resp.StatusCode, md, string(raw)
}

func TestMetadataIsPublishedAtTheWellKnownURL(t *testing.T) {
	// The issuer does not answer: the metadata needs no keys and no token.
	p := pol("http://127.0.0.1:1", "api://billing", "billing.read")
	// The algorithms it accepts tokens signed with are not
	// resource_signing_alg_values_supported (RFC 9728 §2: the resource's
	// own response signatures).
	p.Algs = verify.List("RS256, ES256")
	srv := start(t, Config{Name: "billing", Policy: p})

	status, md, raw := getMetadata(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource/plan")
	if status != 200 || md.Resource != srv.URL+"/plan" || strings.Join(md.AuthorizationServers, ",") != "http://127.0.0.1:1" ||
		strings.Join(md.ScopesSupported, ",") != "billing.read" || strings.Join(md.BearerMethodsSupported, ",") != "header" ||
		len(md.ResourceSigningAlgValuesSupported) != 0 || md.ResourceName != "billing" {
		t.Errorf("status %d: %s", status, raw)
	}
	// The root's document is the origin's (RFC 9728 §3.1: no path, no
	// slash).
	if status, md, raw := getMetadata(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource"); status != 200 || md.Resource != srv.URL {
		t.Errorf("root: status %d: %s", status, raw)
	}
	if status, _, _ := getMetadata(t, http.MethodPost, srv.URL+"/.well-known/oauth-protected-resource"); status != 405 {
		t.Errorf("POST: status %d", status)
	}
	// Not the well-known string: a protected path like any other.
	if r := call(t, srv.URL+"/.well-known/oauth-protected-resourcex"); r.status != 401 {
		t.Errorf("a look-alike path: status %d", r.status)
	}

	// The challenge names the document of the URL the request went to
	// (RFC 9728 §5.1), whose resource is that URL (§3.3).
	r := call(t, srv.URL+"/plan?x=1")
	if r.status != 401 || !strings.HasSuffix(r.challenge, `, resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/plan"`) {
		t.Errorf("challenge %q", r.challenge)
	}
}

func TestMetadataOfAConfiguredResource(t *testing.T) {
	srv := start(t, Config{Name: "billing", Policy: pol("http://127.0.0.1:1", "api://billing"), Resource: "https://billing.example/api",
		AuthorizationServers: []string{"https://login.example"}})
	if status, md, raw := getMetadata(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource/api"); status != 200 ||
		md.Resource != "https://billing.example/api" || strings.Join(md.AuthorizationServers, ",") != "https://login.example" || md.ScopesSupported != nil {
		t.Errorf("status %d: %s", status, raw)
	}
	if status, _, _ := getMetadata(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource/plan"); status != 404 {
		t.Errorf("another path's document: status %d", status)
	}
	if r := call(t, srv.URL+"/plan"); !strings.HasSuffix(r.challenge, `resource_metadata="https://billing.example/.well-known/oauth-protected-resource/api"`) {
		t.Errorf("challenge %q", r.challenge)
	}
	for _, bad := range []string{"api://billing", "https://b.example/#x", "https://b.example/?q=1", "/relative"} {
		if _, err := New(Config{Name: "b", Policy: pol("http://127.0.0.1:1", "a"), Resource: bad}); err == nil || !strings.Contains(err.Error(), "RFC 9728") {
			t.Errorf("Resource %q: %v", bad, err)
		}
	}
}
