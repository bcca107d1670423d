package login

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jwtrace/jwtrace/verify"
)

// Metadata is the part of an authority's discovery document (OpenID
// Connect Discovery §3, RFC 8414 §2) that login, introspect, userinfo and
// logout use beyond what verify.Discovery holds.
type Metadata struct {
	Issuer                   string   `json:"issuer"`
	JWKSURI                  string   `json:"jwks_uri"`
	AuthorizationEndpoint    string   `json:"authorization_endpoint"`
	TokenEndpoint            string   `json:"token_endpoint"`
	DeviceEndpoint           string   `json:"device_authorization_endpoint"`
	UserinfoEndpoint         string   `json:"userinfo_endpoint"`
	IntrospectionEndpoint    string   `json:"introspection_endpoint"`
	RevocationEndpoint       string   `json:"revocation_endpoint"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods     []string `json:"code_challenge_methods_supported"`
	// AuthorizationResponseIss is RFC 9207's
	// authorization_response_iss_parameter_supported.
	AuthorizationResponseIss bool `json:"authorization_response_iss_parameter_supported"`
}

// Metadata fetches the discovery document of authority (an issuer or its
// discovery URL) with jwtrace's URL rules and checks that it names that
// issuer (OpenID Connect Discovery §4.3). Every endpoint in it must pass
// the same URL rules before it is used (see checkEndpoint).
func (c *Client) Metadata(ctx context.Context, authority string) (*Metadata, error) {
	if c.HTTP == nil {
		return nil, fmt.Errorf("login.Client has no HTTP client")
	}
	durl, want := verify.DiscoveryURL(authority)
	if _, err := verify.CheckURL(durl, c.allowHTTP()); err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, durl, nil)
	if err != nil {
		return nil, &verify.URLError{Msg: fmt.Sprintf("%q is not a URL", durl)}
	}
	hr.Header.Set("Accept", "application/json")
	resp, err := c.httpClient(ctx).Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, netError(durl, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &verify.FetchError{URL: durl, Err: fmt.Errorf("answered %d, not the discovery document", resp.StatusCode)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, verify.MaxDiscoveryBytes+1))
	if err != nil {
		return nil, netError(durl, err)
	}
	if len(b) > verify.MaxDiscoveryBytes {
		return nil, &verify.FetchError{URL: durl, Err: fmt.Errorf("the discovery document is larger than %d bytes", verify.MaxDiscoveryBytes)}
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &verify.FetchError{URL: durl, Err: fmt.Errorf("not a discovery document (not JSON of the expected shape)")}
	}
	// Azure AD's multi-tenant documents name {tenantid} (verify.sameIssuer).
	if strings.TrimRight(m.Issuer, "/") != strings.TrimRight(want, "/") && !strings.Contains(m.Issuer, "{tenantid}") {
		return nil, &verify.FetchError{URL: durl, Err: fmt.Errorf("the document names issuer %q, not %q (OpenID Connect Discovery §4.3)", oneLine(m.Issuer), oneLine(want)),
			Hint: "give the authority as its discovery document names it"}
	}
	return &m, nil
}

func (c *Client) allowHTTP() bool { return c.Fetcher != nil && c.Fetcher.AllowHTTP }

// checkEndpoint applies jwtrace's URL rules to an endpoint from discovery
// or a flag: https, or http to loopback only.
func (c *Client) checkEndpoint(u string) error {
	_, err := verify.CheckURL(u, c.allowHTTP())
	return err
}
