package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
)

// ProtectedResource is what a service's OAuth 2.0 Protected Resource
// Metadata (RFC 9728) tells a login: the authority to log in at (one of
// its authorization servers) and the resource to ask a token for (RFC
// 8707's resource parameter), as MCP clients do (MCP authorization spec,
// 2025-11-25, "Authorization Server Discovery" and "Resource Parameter
// Implementation").
type ProtectedResource struct {
	// Metadata is the document read.
	Metadata *chain.Metadata
	// Authority is the authorization server chosen; Resource the
	// metadata's resource.
	Authority, Resource string
}

// DiscoverResource reads the protected resource metadata of the service at
// rawURL: a resource URL (the well-known URL is built from it, RFC 9728
// §3.1; when nothing is published there, the origin's), or the metadata's
// own well-known URL. The request carries no token; redirects are followed
// only on the same host. The document's resource must be the identifier
// its URL was built from (§3.3). authority, when not "", must be one of
// its authorization servers and is chosen; else the first is. Errors are
// *verify.URLError (rawURL is not one jwtrace fetches from) or
// *verify.FetchError.
func (c *Client) DiscoverResource(ctx context.Context, rawURL, authority string) (*ProtectedResource, error) {
	if c.HTTP == nil {
		return nil, errors.New("login.Client has no HTTP client")
	}
	u, err := verify.CheckURL(rawURL, c.allowHTTP())
	if err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	type candidate struct{ metaURL, id string }
	var cands []candidate
	if id := chain.ResourceOf(u.String()); id != "" {
		cands = append(cands, candidate{u.String(), id})
	} else {
		ids := []string{u.String()}
		if p := u.EscapedPath(); (p != "" && p != "/") || u.RawQuery != "" {
			ids = append(ids, u.Scheme+"://"+u.Host)
		}
		for _, id := range ids {
			mu, err := chain.MetadataURL(id)
			if err != nil {
				return nil, &verify.URLError{Msg: err.Error()}
			}
			cands = append(cands, candidate{mu, id})
		}
	}
	var last error
	for i, cand := range cands {
		b, status, err := chain.GetMetadata(ctx, c.HTTP, cand.metaURL, c.allowHTTP())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			last = &verify.FetchError{URL: cand.metaURL, Err: err, Hint: "is " + textsafe.Line(rawURL, 200) + " a service that publishes OAuth 2.0 Protected Resource Metadata (RFC 9728)? Without it, give --authority and --resource"}
			if status == http.StatusNotFound && i < len(cands)-1 {
				continue
			}
			return nil, last
		}
		md, _, err := chain.ParseMetadata(b)
		if err != nil {
			return nil, &verify.FetchError{URL: cand.metaURL, Err: err}
		}
		md.URL, md.From = cand.metaURL, chain.MetadataFromWellKnown
		if !chain.SameResource(md.Resource, cand.id) {
			return nil, &verify.FetchError{URL: cand.metaURL,
				Err:  fmt.Errorf("it names resource %q, not %q, the identifier its URL was built from; jwtrace does not use it (RFC 9728 §3.3: it may describe another service)", textsafe.Line(md.Resource, 200), cand.id),
				Hint: "give the service's resource URL as it names itself, or --authority and --resource"}
		}
		return choose(md, authority, c.allowHTTP())
	}
	return nil, last
}

// choose picks the authority among the metadata's authorization servers.
func choose(md *chain.Metadata, authority string, allowHTTP bool) (*ProtectedResource, error) {
	servers := md.AuthorizationServers
	if len(servers) == 0 {
		return nil, &verify.FetchError{URL: md.URL, Err: errors.New("the metadata names no authorization server (authorization_servers), so jwtrace does not know where to log in"),
			Hint: "give --authority URL (and --resource " + textsafe.Line(md.Resource, 200) + ") instead of --protected-resource"}
	}
	pick := servers[0]
	if authority != "" {
		pick = ""
		for _, s := range servers {
			if strings.TrimRight(s, "/") == strings.TrimRight(authority, "/") {
				pick = s
			}
		}
		if pick == "" {
			return nil, &ConfigError{Msg: fmt.Sprintf("--authority %s is not one of the service's authorization servers (%s); leave --authority out to use the first", authority, textsafe.Line(strings.Join(servers, ", "), 400))}
		}
	}
	if _, err := verify.CheckURL(pick, allowHTTP); err != nil {
		return nil, &verify.FetchError{URL: md.URL, Err: fmt.Errorf("its authorization server: %v", err)}
	}
	return &ProtectedResource{Metadata: md, Authority: pick, Resource: md.Resource}, nil
}
