package login

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// keyClient makes an EC key as a PEM file's bytes and a private_key_jwt
// client registered with its public key.
func keyClient(t *testing.T, id string) ([]byte, authority.Client) {
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(raw)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	pub, err := jwk.Import(raw.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub.Set(jwk.KeyIDKey, "ci-key")
	set := jwk.NewSet()
	set.AddKey(pub)
	b, _ := json.Marshal(set)
	return pemBytes, authority.Client{ID: id, JWKS: b, GrantTypes: []string{authority.GrantClientCredentials}}
}

// Every client authentication method, end to end with the project's
// authority, and what went over the wire.
func TestClientAuthenticationMethods(t *testing.T) {
	t.Parallel()
	pemBytes, jwtClient := keyClient(t, "ci-jwt")
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), jwtClient)
	}))
	key, err := ParseClientKey(pemBytes, "ci-key")
	if err != nil {
		t.Fatal(err)
	}
	cc := func(id, secret string) *Request {
		return &Request{Authority: srv.Issuer, ClientID: id, ClientSecret: secret, Grant: GrantClientCredentials}
	}
	cases := []struct {
		name  string
		req   *Request
		check func(t *testing.T, r seenReq)
	}{
		{"a secret goes in HTTP Basic by default", cc(authority.DefaultServiceClient, authority.DefaultServiceSecret), func(t *testing.T, r seenReq) {
			if !strings.HasPrefix(r.auth, "Basic ") || r.form.Get("client_secret") != "" {
				t.Errorf("%+v", r)
			}
		}},
		{"--client-auth client_secret_post puts it in the body", func() *Request {
			r := cc(authority.DefaultServiceClient, authority.DefaultServiceSecret)
			r.ClientAuth = AuthSecretPost
			return r
		}(), func(t *testing.T, r seenReq) {
			if r.auth != "" || r.form.Get("client_secret") != authority.DefaultServiceSecret || r.form.Get("client_id") != authority.DefaultServiceClient {
				t.Errorf("%+v", r)
			}
		}},
		{"private_key_jwt signs an assertion for the token endpoint", func() *Request {
			r := cc("ci-jwt", "")
			r.ClientKey = key
			return r
		}(), func(t *testing.T, r seenReq) {
			a := r.form.Get("client_assertion")
			if r.auth != "" || r.form.Get("client_assertion_type") != clientAssertionType || a == "" {
				t.Fatalf("%+v", r)
			}
			claims, _ := jwtClaims(a)
			hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(a, ".")[0])
			if claims["iss"] != "ci-jwt" || claims["sub"] != "ci-jwt" || claims["aud"] != srv.TokenURL || claims["jti"] == "" || !strings.Contains(string(hdr), `"kid":"ci-key"`) {
				t.Errorf("assertion %v %s", claims, hdr)
			}
		}},
		{"a given client assertion is sent as it is", func() *Request {
			r := cc("ci-jwt", "")
			c := &Client{Now: time.Now}
			r.ClientKey = key
			a, err := c.assertion(r, srv.Issuer)
			if err != nil {
				t.Fatal(err)
			}
			r.ClientKey, r.ClientAssertion = nil, a
			return r
		}(), func(t *testing.T, r seenReq) {
			if r.form.Get("client_assertion") == "" || r.auth != "" {
				t.Errorf("%+v", r)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newClient(t, nil)
			sn := watch(c)
			tok, err := c.Login(context.Background(), tc.req)
			if err != nil || tok.AccessToken == "" {
				t.Fatalf("%v %+v", err, tok)
			}
			posts := sn.to("/token")
			if len(posts) != 1 {
				t.Fatalf("%d token requests", len(posts))
			}
			tc.check(t, posts[0])
		})
	}
}

// Discovery's token_endpoint_auth_methods_supported chooses the method
// when none is forced: a server that lists only client_secret_post gets
// the secret in the body.
func TestTheAuthMethodComesFromDiscovery(t *testing.T) {
	t.Parallel()
	var got seenReq
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"%s/jwks","token_endpoint":"%s/token","token_endpoint_auth_methods_supported":["client_secret_post"]}`, ts.URL, ts.URL, ts.URL)
		case "/token":
			r.ParseForm()
			got = seenReq{auth: r.Header.Get("Authorization"), form: r.PostForm}
			fmt.Fprint(w, `{"access_token":"at","token_type":"Bearer","expires_in":60}`)
		}
	}))
	defer ts.Close()
	c, _, _ := newClient(t, nil)
	if _, err := c.Login(context.Background(), &Request{Authority: ts.URL, ClientID: "svc", ClientSecret: "s3", Grant: "client_credentials"}); err != nil {
		t.Fatal(err)
	}
	if got.auth != "" || got.form.Get("client_secret") != "s3" {
		t.Fatalf("%+v", got)
	}
}

// A changed private key or client assertion is never answered from the
// cache (issue 17's finding, for the credentials beside the secret).
func TestAChangedClientCredentialMissesTheCache(t *testing.T) {
	t.Parallel()
	pemBytes, jwtClient := keyClient(t, "ci-jwt")
	otherPEM, _ := keyClient(t, "x")
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), jwtClient)
	}))
	key, _ := ParseClientKey(pemBytes, "ci-key")
	other, _ := ParseClientKey(otherPEM, "ci-key")
	c, _, _ := newClient(t, nil)
	req := func(k *ClientKey) *Request {
		return &Request{Authority: srv.Issuer, ClientID: "ci-jwt", ClientKey: k, Grant: GrantClientCredentials}
	}
	if _, err := c.Login(context.Background(), req(key)); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Login(context.Background(), req(key)); err != nil || tok.Source != "cache" {
		t.Fatalf("the same key: %v %+v", err, tok)
	}
	_, err := c.Login(context.Background(), req(other))
	var se *ServerError
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("another key was answered from the cache: %v %T", err, se)
	}
	t.Run("another assertion", func(t *testing.T) {
		r := req(nil)
		r.ClientAssertion = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjaS1qd3QifQ.c2ln"
		if _, err := c.Login(context.Background(), r); err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("an assertion was answered from the cache: %v", err)
		}
	})
}
