package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hydraDescription is Ory Hydra's error_description for a client
// registered with token_endpoint_auth_method client_secret_post that sent
// HTTP Basic (fosite, handler/oauth2 client authentication, v2.x): longer
// than maxServerText.
const hydraDescription = "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). " +
	"The OAuth 2.0 Client supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested. " +
	"You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept 'client_secret_basic'."

// postOnlyAuthority lists methods in discovery and takes the secret only
// in the body, answering 401 invalid_client to HTTP Basic.
func postOnlyAuthority(t *testing.T, methods string) *httptest.Server {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"%s/jwks","token_endpoint":"%s/token","token_endpoint_auth_methods_supported":%s}`, ts.URL, ts.URL, ts.URL, methods)
		case "/token":
			r.ParseForm()
			if _, _, basic := r.BasicAuth(); basic || r.PostForm.Get("client_secret") != "s3" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"error":"invalid_client","error_description":%q}`, hydraDescription)
				return
			}
			fmt.Fprint(w, `{"access_token":"at","token_type":"bearer","expires_in":60}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// invalid_client after HTTP Basic, from an authority whose discovery also
// lists client_secret_post (Hydra lists both, and refuses the method the
// client was not registered with): the error says what to try, after the
// server's own words.
func TestInvalidClientSuggestsTheOtherSecretMethod(t *testing.T) {
	t.Parallel()
	ts := postOnlyAuthority(t, `["client_secret_post","client_secret_basic","private_key_jwt","none"]`)
	c, _, _ := newClient(t, nil)
	_, err := c.Login(context.Background(), &Request{Authority: ts.URL, ClientID: "svc", ClientSecret: "s3", Grant: GrantClientCredentials})
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "invalid_client" {
		t.Fatalf("%v", err)
	}
	msg := err.Error()
	const hint = "; check the client id and secret; if they are right, the authority also takes client_secret_post: try --client-auth client_secret_post"
	if !strings.HasSuffix(msg, hint) || strings.Contains(msg, "\n") {
		t.Fatalf("no hint at the end:\n%s", msg)
	}
	// The server's point (which method it wanted) survives the cut.
	if !strings.Contains(msg, "supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested") {
		t.Fatalf("the server's words are cut short:\n%s", msg)
	}
	// And the hint is right: the same request with it works.
	if tok, err := c.Login(context.Background(), &Request{Authority: ts.URL, ClientID: "svc", ClientSecret: "s3", Grant: GrantClientCredentials, ClientAuth: AuthSecretPost}); err != nil || tok.AccessToken != "at" {
		t.Fatalf("with the hint: %v", err)
	}
}

// No hint when discovery does not list the other method, nor for an
// invalid_client after the other method (a wrong secret).
func TestInvalidClientHintOnlyWhenTheOtherMethodIsListed(t *testing.T) {
	t.Parallel()
	ts := postOnlyAuthority(t, `["client_secret_basic","private_key_jwt"]`)
	c, _, _ := newClient(t, nil)
	_, err := c.Login(context.Background(), &Request{Authority: ts.URL, ClientID: "svc", ClientSecret: "s3", Grant: GrantClientCredentials})
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "try --client-auth") {
		t.Fatalf("%v", err)
	}
	both := postOnlyAuthority(t, `["client_secret_post","client_secret_basic"]`)
	_, err = c.Login(context.Background(), &Request{Authority: both.URL, ClientID: "svc", ClientSecret: "wrong", Grant: GrantClientCredentials, ClientAuth: AuthSecretPost})
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "try --client-auth client_secret_post") {
		t.Fatalf("%v", err)
	}
}

// A token endpoint that closes the connection without an answer is said
// in words, not as Go's "EOF".
func TestATokenEndpointThatHangsUpIsSaidInWords(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer":"` + "http://" + r.Host + `","token_endpoint":"http://` + r.Host + `/token","jwks_uri":"http://` + r.Host + `/jwks"}`))
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(ts.Close)
	c, _, _ := newClient(t, nil)
	_, err := c.Login(context.Background(), &Request{Authority: ts.URL, ClientID: "svc", ClientSecret: "s3", Grant: GrantClientCredentials})
	if err == nil || !strings.Contains(err.Error(), "the server closed the connection without an answer") || strings.Contains(err.Error(), "EOF") {
		t.Fatalf("%v", err)
	}
}
