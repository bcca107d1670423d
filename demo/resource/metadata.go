package resource

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jwtrace/jwtrace/verify"
)

// WellKnownMetadataPath is where protected resource metadata is served
// (RFC 9728 §3.1).
const WellKnownMetadataPath = "/.well-known/oauth-protected-resource"

// Metadata is the service's OAuth 2.0 Protected Resource Metadata (RFC
// 9728 §2).
type Metadata struct {
	Resource                          string   `json:"resource"`
	AuthorizationServers              []string `json:"authorization_servers,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported            []string `json:"bearer_methods_supported"`
	ResourceSigningAlgValuesSupported []string `json:"resource_signing_alg_values_supported,omitempty"`
	ResourceName                      string   `json:"resource_name,omitempty"`
}

// metaConfig is what the metadata says besides its resource.
type metaConfig struct {
	// resource is Config.Resource ("": the request's URL), and path the
	// path under WellKnownMetadataPath it is served at.
	resource, path string
	doc            Metadata
}

func newMetaConfig(cfg Config, pol verify.Policy, rules verify.Rules) (metaConfig, error) {
	m := metaConfig{resource: cfg.Resource}
	if cfg.Resource != "" {
		u, err := url.Parse(cfg.Resource)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.RawQuery != "" || !printable(cfg.Resource) {
			return m, fmt.Errorf("the Resource %q must be an http(s) URL without query or fragment (RFC 9728 §1.2)", cfg.Resource)
		}
		m.path = metadataPath(u.EscapedPath())
	}
	servers := cfg.AuthorizationServers
	if servers == nil {
		for _, iss := range pol.Issuer.Value {
			if !strings.Contains(iss, "{") {
				servers = append(servers, iss)
			}
		}
	}
	m.doc = Metadata{
		AuthorizationServers:   servers,
		ScopesSupported:        rules.Scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           cfg.Name,
	}
	// Not resource_signing_alg_values_supported: those are the
	// algorithms the resource signs its responses with (RFC 9728 §2), and
	// this server signs none; the algorithms it accepts tokens signed with
	// have no member in the metadata.
	return m, nil
}

// metadataPath is the well-known path of a resource whose identifier has
// the (escaped) path p: RFC 9728 §3.1 inserts the well-known string
// between the host and the path, a lone "/" dropped.
func metadataPath(p string) string {
	if p == "/" {
		p = ""
	}
	return WellKnownMetadataPath + p
}

// requestOrigin is scheme://host of r, "" when its Host is not a plain
// host[:port] (it is echoed into a challenge and a document).
func requestOrigin(r *http.Request) string {
	host := r.Host
	if host == "" || !printable(host) || strings.ContainsAny(host, "/?#@\\\" ") {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host
}

// metadataURL is the resource_metadata a challenge to r names.
func (h *handler) metadataURL(r *http.Request) string {
	if h.meta.resource != "" {
		u, _ := url.Parse(h.meta.resource) // checked by newMetaConfig
		return u.Scheme + "://" + u.Host + h.meta.path
	}
	o := requestOrigin(r)
	if o == "" {
		return ""
	}
	return o + metadataPath(r.URL.EscapedPath())
}

// serveMetadata answers a request for the well-known metadata (no token
// needed, RFC 9728 §3.1); ok is false for any other path.
func (h *handler) serveMetadata(r *http.Request) (a answer, ok bool) {
	p := r.URL.EscapedPath()
	rest, found := strings.CutPrefix(p, WellKnownMetadataPath)
	if !found || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return answer{}, false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return answer{status: http.StatusMethodNotAllowed, logNote: "metadata: method not allowed",
			body: Response{Error: "invalid_request", ErrorDescription: "the metadata is read with GET"}}, true
	}
	doc := h.meta.doc
	switch {
	case h.meta.resource != "" && p == h.meta.path:
		doc.Resource = h.meta.resource
	case h.meta.resource != "":
		return answer{status: http.StatusNotFound, logNote: "metadata: not this resource's",
			body: Response{Error: "not_found", ErrorDescription: "this service's metadata is at " + h.meta.path}}, true
	default:
		o := requestOrigin(r)
		if o == "" {
			return answer{status: http.StatusBadRequest, logNote: "metadata: bad Host",
				body: Response{Error: "invalid_request", ErrorDescription: "the Host header is not a host name"}}, true
		}
		doc.Resource = o + rest
	}
	b, err := json.Marshal(doc)
	if err != nil { // cannot happen: strings only
		return answer{status: http.StatusInternalServerError}, true
	}
	return answer{status: http.StatusOK, raw: append(b, '\n'), logNote: "metadata " + doc.Resource}, true
}
