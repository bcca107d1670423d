package authority_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// getJSON GETs u and decodes its JSON answer.
func getJSON(t *testing.T, u string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header, m
}

// userinfoChallenge is the WWW-Authenticate of /userinfo for token ("" for
// none).
func userinfoChallenge(t *testing.T, userinfo, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", userinfo, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// The authority is a protected resource for its userinfo endpoint: it
// publishes RFC 9728 metadata at the well-known URL built from the
// userinfo URL (§3.1), and every Bearer challenge of /userinfo names it
// (§5.1).
func TestUserinfoPublishesProtectedResourceMetadata(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	metaURL := srv.URL + "/.well-known/oauth-protected-resource/userinfo"
	st, h, m := getJSON(t, metaURL)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %v", metaURL, st, m)
	}
	servers, _ := m["authorization_servers"].([]any)
	if m["resource"] != srv.UserinfoURL || len(servers) != 1 || servers[0] != srv.Issuer {
		t.Errorf("metadata %v; want resource %s, authorization_servers [%s]", m, srv.UserinfoURL, srv.Issuer)
	}
	if b, _ := m["bearer_methods_supported"].([]any); len(b) != 1 || b[0] != "header" {
		t.Errorf("bearer_methods_supported %v", m["bearer_methods_supported"])
	}
	if s, _ := m["scopes_supported"].([]any); len(s) != 1 || s[0] != "openid" {
		t.Errorf("scopes_supported %v", m["scopes_supported"])
	}
	if r, _ := m["resource_signing_alg_values_supported"]; r != nil {
		t.Errorf("the userinfo answer is not signed, yet resource_signing_alg_values_supported is %v", r)
	}

	minted := srv.Mint(t, map[string]any{"sub": "alice", "aud": "x"})
	for name, tok := range map[string]string{"no token": "", "not active": minted} {
		st, ch := userinfoChallenge(t, srv.UserinfoURL, tok)
		if st != 401 || !strings.HasPrefix(ch, "Bearer ") || !strings.HasSuffix(ch, `resource_metadata="`+metaURL+`"`) {
			t.Errorf("%s: %d WWW-Authenticate %q; want resource_metadata=%q", name, st, ch, metaURL)
		}
	}
	// A client's token, without the openid scope: 403 insufficient_scope.
	_, tok := postToken(t, srv, url.Values{"grant_type": {"client_credentials"}, "client_id": {authority.DefaultServiceClient}, "client_secret": {authority.DefaultServiceSecret}})
	access, _ := tok["access_token"].(string)
	if st, ch := userinfoChallenge(t, srv.UserinfoURL, access); st != 403 || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.HasSuffix(ch, `resource_metadata="`+metaURL+`"`) {
		t.Errorf("without openid: %d %q", st, ch)
	}
	if resp, err := http.Post(metaURL, "application/json", nil); err != nil || resp.StatusCode != 405 {
		t.Errorf("POST to the metadata: %v %v", resp, err)
	}
}

// An issuer with a path (a tenant): its endpoints are under the path, and
// so is the userinfo's resource; the well-known string goes between the
// host and that path (RFC 9728 §3.1).
func TestUserinfoMetadataUnderAnIssuerPath(t *testing.T) {
	t.Parallel()
	a, err := authority.New(authority.Config{Issuer: "https://login.example/tenant-1/v2.0"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	st, _, m := getJSON(t, srv.URL+"/.well-known/oauth-protected-resource/tenant-1/v2.0/userinfo")
	servers, _ := m["authorization_servers"].([]any)
	if st != 200 || m["resource"] != srv.URL+"/tenant-1/v2.0/userinfo" || len(servers) != 1 || servers[0] != "https://login.example/tenant-1/v2.0" {
		t.Errorf("%d %v", st, m)
	}
	if st, ch := userinfoChallenge(t, srv.URL+"/tenant-1/v2.0/userinfo", ""); st != 401 ||
		!strings.Contains(ch, `resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/tenant-1/v2.0/userinfo"`) {
		t.Errorf("%d %q", st, ch)
	}
	if st, _, _ := getJSON(t, srv.URL+"/.well-known/oauth-protected-resource/userinfo"); st != 404 {
		t.Errorf("the metadata outside the issuer's path: %d", st)
	}
}
