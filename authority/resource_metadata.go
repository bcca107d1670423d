package authority

import "net/http"

// The authority is a protected resource for its userinfo endpoint (a
// bearer access token gets the user's claims), and says so as OAuth 2.0
// Protected Resource Metadata (RFC 9728): the document is served at the
// well-known URL built from the userinfo URL (§3.1: the well-known string
// between the host and the path, so an issuer path stays in it), and
// every Bearer challenge of /userinfo names it in resource_metadata
// (§5.1), as chain and login --protected-resource read it.

// PathResourceMetadata is the well-known URI of protected resource
// metadata (RFC 9728 §3.1, registered in §8.3).
const PathResourceMetadata = "/.well-known/oauth-protected-resource"

// ResourceMetadata is a protected resource metadata document (RFC 9728
// §2), with the members this authority fills.
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// origin is the scheme and host the authority is reached at: Config.URL,
// or the request's.
func (a *Authority) origin(r *http.Request) string {
	base := a.base(r)
	return base[:len(base)-len(a.prefix)]
}

// userinfoMetadataURL is the URL of the userinfo endpoint's metadata.
func (a *Authority) userinfoMetadataURL(r *http.Request) string {
	return a.origin(r) + PathResourceMetadata + a.prefix + PathUserinfo
}

// userinfoChallenge is the Bearer challenge of /userinfo: the realm, the
// RFC 6750 §3 error attributes when code is set (desc is the authority's
// own text, without quotes or backslashes), and resource_metadata.
func (a *Authority) userinfoChallenge(r *http.Request, code, desc string) string {
	ch := `Bearer realm="jwtrace authority"`
	if code != "" {
		ch += `, error="` + code + `", error_description="` + desc + `"`
	}
	return ch + `, resource_metadata="` + a.userinfoMetadataURL(r) + `"`
}

// userinfoMetadata serves the userinfo endpoint's metadata: its resource
// is the userinfo URL (as discovery's userinfo_endpoint names it), its
// authorization server the issuer; the token goes in the Authorization
// header only (RFC 6750 §2.1), and needs the openid scope (OpenID Connect
// Core §5.3). The answer is not signed, so there is no
// resource_signing_alg_values_supported (RFC 9728 §2: those sign the
// resource's responses).
func (a *Authority) userinfoMetadata(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, &ResourceMetadata{
		Resource:               a.base(r) + PathUserinfo,
		AuthorizationServers:   []string{a.issuerFor(r)},
		ScopesSupported:        []string{"openid"},
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "jwtrace authority userinfo",
	})
}
