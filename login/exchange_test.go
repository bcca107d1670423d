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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/verify"
)

// exchangeEndpoint is a fake token endpoint (and discovery document) that
// records each request and answers with answer.
type exchangeEndpoint struct {
	*httptest.Server
	// methods is discovery's token_endpoint_auth_methods_supported (nil:
	// the member is left out).
	methods []string
	answer  func(w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	seen []exchangeSeen
}

type exchangeSeen struct {
	path, auth, contentType string
	form                    url.Values
}

func newExchangeEndpoint(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *exchangeEndpoint {
	t.Helper()
	e := &exchangeEndpoint{answer: answer}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			d := map[string]any{"issuer": e.URL, "jwks_uri": e.URL + "/keys", "token_endpoint": e.URL + "/oauth/token"}
			if e.methods != nil {
				d["token_endpoint_auth_methods_supported"] = e.methods
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(d)
			return
		}
		r.ParseForm()
		e.mu.Lock()
		e.seen = append(e.seen, exchangeSeen{path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), form: r.PostForm})
		e.mu.Unlock()
		e.answer(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *exchangeEndpoint) requests() []exchangeSeen {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]exchangeSeen(nil), e.seen...)
}

func answerJSON(status int, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// A JWT the tests exchange (decoded, never verified, by the client).
func testJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature-bytes"))
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

const exchangedJSON = `{"access_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600,"scope":"reports.read","refresh_token":"rt-1"}`

// RFC 8693 §2.1: the request's parameters, exactly, with the client
// authenticated as a login would (HTTP Basic by default, RFC 6749
// §2.3.1), and §2.2.1: every member of the answer read.
func TestExchangeSendsRFC8693Parameters(t *testing.T) {
	t.Parallel()
	ep := newExchangeEndpoint(t, answerJSON(200, exchangedJSON))
	clock := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c, _, _ := newClient(t, func() time.Time { return clock })
	subject, actor := testJWT(`{"sub":"alice","aud":"billing"}`), testJWT(`{"sub":"workouts"}`)
	x, err := c.Exchange(context.Background(), &ExchangeRequest{
		Client:       Request{Authority: ep.URL, ClientID: "jwtrace-service", ClientSecret: "s3cret&:x"},
		SubjectToken: subject, ActorToken: actor, ActorTokenType: "jwt",
		Audiences: []string{"reports", "api://reports"}, Resources: []string{"https://reports.example/", "https://archive.example/api"},
		Scopes: []string{"reports.read", "reports.write"}, RequestedTokenType: "access_token",
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := ep.requests()
	if len(seen) != 1 {
		t.Fatalf("%d requests, want 1", len(seen))
	}
	got := seen[0]
	want := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":        {subject},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:access_token"},
		"actor_token":          {actor},
		"actor_token_type":     {"urn:ietf:params:oauth:token-type:jwt"},
		"audience":             {"reports", "api://reports"},
		"resource":             {"https://reports.example/", "https://archive.example/api"},
		"scope":                {"reports.read reports.write"},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
	}
	if !reflect.DeepEqual(got.form, want) {
		t.Errorf("form\n got %v\nwant %v", got.form, want)
	}
	if got.path != "/oauth/token" || got.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("posted to %s as %s; want discovery's token endpoint, form-encoded", got.path, got.contentType)
	}
	if got.auth != basic("jwtrace-service", "s3cret&:x") {
		t.Errorf("Authorization %q; want HTTP Basic with the form-encoded id and secret", got.auth)
	}
	wantX := &Exchanged{AccessToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", IssuedTokenType: TokenTypeAccessToken, TokenType: "Bearer",
		ExpiresIn: 3600, Expiry: clock.Add(time.Hour), Scope: "reports.read", RefreshToken: "rt-1",
		Grant: GrantTokenExchange, Endpoint: ep.URL + "/oauth/token"}
	if !reflect.DeepEqual(x, wantX) {
		t.Errorf("result\n got %+v\nwant %+v", x, wantX)
	}
}

// Azure AD's on-behalf-of request (learn.microsoft.com, "Microsoft
// identity platform and OAuth 2.0 On-Behalf-Of flow": grant_type
// jwt-bearer, client_id, client_secret, assertion, scope,
// requested_token_use), with the secret in the body where discovery lists
// only client_secret_post, as Azure AD's does.
func TestExchangeOnBehalfOfSendsAzureADsForm(t *testing.T) {
	t.Parallel()
	ep := newExchangeEndpoint(t, answerJSON(200, `{"token_type":"Bearer","scope":"api://billing/.default","expires_in":"4775","ext_expires_in":4775,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.c2ln","refresh_token":"0.AAAA"}`))
	ep.methods = []string{"client_secret_post", "private_key_jwt"}
	c, _, _ := newClient(t, nil)
	assertion := testJWT(`{"sub":"alice","aud":"workouts-app"}`)
	x, err := c.Exchange(context.Background(), &ExchangeRequest{
		Client:       Request{Authority: ep.URL, ClientID: "workouts-app", ClientSecret: "s"},
		SubjectToken: assertion, Scopes: []string{"api://billing/.default"}, OnBehalfOf: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ep.requests()[0]
	want := url.Values{
		"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":           {assertion},
		"requested_token_use": {"on_behalf_of"},
		"scope":               {"api://billing/.default"},
		"client_id":           {"workouts-app"},
		"client_secret":       {"s"},
	}
	if !reflect.DeepEqual(got.form, want) || got.auth != "" {
		t.Errorf("form\n got %v (Authorization %q)\nwant %v", got.form, got.auth, want)
	}
	if x.Grant != GrantJWTBearer || x.ExpiresIn != 4775 || x.RefreshToken != "0.AAAA" || x.IssuedTokenType != "" || len(x.Notes) != 0 {
		t.Errorf("result %+v; want expires_in read from a string, no issued_token_type and no note (on-behalf-of has none)", x)
	}
}

// private_key_jwt (RFC 7523 §2.2): the assertion is signed for the token
// endpoint, the subject token goes beside it.
func TestExchangeWithAPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	ep := newExchangeEndpoint(t, answerJSON(200, exchangedJSON))
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(raw)
	key, err := ParseClientKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "svc-1")
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ := newClient(t, nil)
	subject := testJWT(`{"sub":"alice"}`)
	if _, err := c.Exchange(context.Background(), &ExchangeRequest{
		Client:       Request{TokenEndpoint: ep.URL + "/token", ClientID: "svc", ClientKey: key},
		SubjectToken: subject, Audiences: []string{"billing"},
	}); err != nil {
		t.Fatal(err)
	}
	f := ep.requests()[0].form
	if f.Get("client_id") != "svc" || f.Get("client_assertion_type") != clientAssertionType || f.Get("subject_token") != subject || f.Get("audience") != "billing" {
		t.Fatalf("form %v", f)
	}
	claims := claimsOf(t, f.Get("client_assertion"))
	if aud, _ := claims.String("aud"); aud != ep.URL+"/token" {
		t.Errorf("assertion aud %q; want the token endpoint", aud)
	}
}

// RFC 8693 §2.2.2: the errors come as RFC 6749 §5.2 answers, and turn
// into login's error types (so the exit codes are login's), with the
// server's words and jwtrace's advice.
func TestExchangeErrorsAreLoginsErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	fresh := testJWT(fmt.Sprintf(`{"sub":"alice","aud":"workouts","exp":%d}`, now.Add(time.Hour).Unix()))
	expired := testJWT(fmt.Sprintf(`{"sub":"alice","aud":"workouts","exp":%d}`, now.Add(-2*time.Hour).Unix()))
	cases := []struct {
		name    string
		status  int
		body    string
		req     ExchangeRequest
		denied  bool
		code    string
		inMsg   []string
		notInIt []string
	}{
		{"invalid_target names the audience flags", 400, `{"error":"invalid_target","error_description":"client jwtrace-service may not exchange for reports"}`,
			ExchangeRequest{SubjectToken: fresh, Audiences: []string{"reports"}}, false, "invalid_target",
			[]string{"answered 400 invalid_target: client jwtrace-service may not exchange for reports", "check --audience and --resource"}, nil},
		{"invalid_grant for an expired subject token says it expired", 400, `{"error":"invalid_grant","error_description":"subject_token expired"}`,
			ExchangeRequest{SubjectToken: expired}, false, "invalid_grant",
			[]string{"invalid_grant: subject_token expired", "the subject token expired 2h ago", "jwtrace login"}, nil},
		{"invalid_grant on-behalf-of names the assertion's audience", 400, `{"error":"invalid_grant","error_description":"AADSTS50013: Assertion failed signature validation."}`,
			ExchangeRequest{SubjectToken: fresh, OnBehalfOf: true, Scopes: []string{"api://billing/.default"}}, false, "invalid_grant",
			[]string{"AADSTS50013", "the subject token's aud is workouts, not jwtrace-service (--client-id)"}, nil},
		{"invalid_request for an expired subject token (RFC 8693 §2.2.2) says it expired", 400, `{"error":"invalid_request","error_description":"the subject_token expired"}`,
			ExchangeRequest{SubjectToken: expired}, false, "invalid_request",
			[]string{"invalid_request: the subject_token expired; the subject token expired 2h ago"}, nil},
		{"another invalid_request gets no guess", 400, `{"error":"invalid_request","error_description":"audience is missing"}`,
			ExchangeRequest{SubjectToken: fresh}, false, "invalid_request",
			[]string{"answered 400 invalid_request: audience is missing"}, []string{";"}},
		{"unauthorized_client", 400, `{"error":"unauthorized_client"}`,
			ExchangeRequest{SubjectToken: fresh}, false, "unauthorized_client", []string{"answered 400 unauthorized_client", "may not use the grant"}, nil},
		{"invalid_scope", 400, `{"error":"invalid_scope","error_description":"reports.admin"}`,
			ExchangeRequest{SubjectToken: fresh, Scopes: []string{"reports.admin"}}, false, "invalid_scope", []string{"invalid_scope: reports.admin", "check --scope"}, nil},
		{"unsupported_grant_type points to --on-behalf-of", 400, `{"error":"unsupported_grant_type"}`,
			ExchangeRequest{SubjectToken: fresh}, false, "unsupported_grant_type", []string{"does not take token exchange (RFC 8693)", "--on-behalf-of"}, nil},
		{"invalid_client after Basic names the method discovery also lists", 401, `{"error":"invalid_client"}`,
			ExchangeRequest{SubjectToken: fresh}, false, "invalid_client", []string{"try --client-auth client_secret_post"}, nil},
		{"a server's escape sequences stay escaped", 400, `{"error":"invalid_request","error_description":"bad\u001b[2J\nSigned in as admin"}`,
			ExchangeRequest{SubjectToken: fresh}, false, "invalid_request", []string{`bad\x1b[2J`}, []string{"\x1b", "\n"}},
		{"access_denied is a denial (exit 4, as login's)", 403, `{"error":"access_denied","error_description":"policy"}`,
			ExchangeRequest{SubjectToken: fresh}, true, "access_denied", []string{"the authority denied the exchange: policy (access_denied)"}, nil},
		{"a 500 without an OAuth error", 500, `upstream down`,
			ExchangeRequest{SubjectToken: fresh}, false, "", []string{"answered 500: upstream down"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := newExchangeEndpoint(t, answerJSON(tc.status, tc.body))
			ep.methods = []string{"client_secret_basic", "client_secret_post"}
			c, _, _ := newClient(t, func() time.Time { return now })
			req := tc.req
			req.Client = Request{Authority: ep.URL, ClientID: "jwtrace-service", ClientSecret: "s"}
			x, err := c.Exchange(context.Background(), &req)
			if x != nil || err == nil {
				t.Fatalf("got %+v; want an error", x)
			}
			var se *ServerError
			var de *DeniedError
			switch {
			case tc.denied:
				if !errors.As(err, &de) || de.Code != tc.code {
					t.Fatalf("err %T %v; want a DeniedError %s", err, err, tc.code)
				}
			case !errors.As(err, &se) || se.Code != tc.code || se.Status != tc.status:
				t.Fatalf("err %T %v; want a ServerError %d %s", err, err, tc.status, tc.code)
			}
			for _, want := range tc.inMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err.Error(), want)
				}
			}
			for _, bad := range tc.notInIt {
				if strings.Contains(err.Error(), bad) {
					t.Errorf("message %q holds %q", err.Error(), bad)
				}
			}
		})
	}
}

// The answer is read as a login's token response is: bounded, JSON,
// tokens that are plain token strings (they are printed as they are).
func TestExchangeAnswersThatAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, want string }{
		{"an escape sequence in the access token", `{"access_token":"abc\u001b]52;c;cHduZWQ=\u0007","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer"}`, "the access_token in the token response is not a plain token string (a control character (\\x1b) at byte 4)"},
		{"a space in the refresh token", `{"access_token":"at","refresh_token":"rt rt","issued_token_type":"x:y","token_type":"N_A"}`, "the refresh_token in the token response is not a plain token string (a space at byte 3)"},
		{"no access token", `{"issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer"}`, "the token response has no access_token"},
		{"a number for the issued token type", `{"access_token":"at","issued_token_type":7,"token_type":"Bearer"}`, "issued_token_type in the token response is not a string"},
		{"not JSON", `<html>hello</html>`, "the token response is not JSON: <html>hello</html>"},
		// Read up to a MiB (the quirks transport cuts it there): the cut
		// JSON is not JSON, and the message quotes only its start.
		{"more than a MiB", `{"access_token":"` + strings.Repeat("a", maxResponseBytes) + `"}`, "the token response is not JSON: {\"access_token\":\"aaaa"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := newExchangeEndpoint(t, answerJSON(200, tc.body))
			c, _, _ := newClient(t, nil)
			x, err := c.Exchange(context.Background(), &ExchangeRequest{Client: Request{TokenEndpoint: ep.URL + "/token", ClientID: "svc", ClientSecret: "s"}, SubjectToken: "subject-1"})
			var se *ServerError
			if x != nil || !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %+v, err %v; want a ServerError saying %q", x, err, tc.want)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("a message of %d bytes", len(err.Error()))
			}
			if strings.ContainsAny(err.Error(), "\x1b\a") {
				t.Errorf("message holds the server's control characters: %q", err.Error())
			}
		})
	}
	t.Run("a response without issued_token_type is taken with a note", func(t *testing.T) {
		t.Parallel()
		ep := newExchangeEndpoint(t, answerJSON(200, `{"access_token":"at-1"}`))
		c, _, _ := newClient(t, nil)
		x, err := c.Exchange(context.Background(), &ExchangeRequest{Client: Request{TokenEndpoint: ep.URL + "/token", ClientID: "svc", ClientSecret: "s"}, SubjectToken: "subject-1"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"the response has no issued_token_type (RFC 8693 §2.2.1 requires it)", "the response has no token_type (RFC 8693 §2.2.1 requires it)"}
		if x.AccessToken != "at-1" || !reflect.DeepEqual(x.Notes, want) {
			t.Errorf("%+v", x)
		}
	})
}

// The subject token (and the client secret) go only to the endpoint the
// user named: a redirect to another origin is not followed.
func TestExchangeRedirectsStayOnTheSameOrigin(t *testing.T) {
	t.Parallel()
	elsewhere := newExchangeEndpoint(t, answerJSON(200, exchangedJSON))
	home := newExchangeEndpoint(t, nil)
	home.answer = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/token", http.StatusPermanentRedirect)
		default:
			answerJSON(200, `{"access_token":"home-token","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer"}`)(w, r)
		}
	}
	c, _, _ := newClient(t, nil)
	req := func(path string) *ExchangeRequest {
		return &ExchangeRequest{Client: Request{TokenEndpoint: home.URL + path, ClientID: "svc", ClientSecret: "s"}, SubjectToken: "the-subject-token", Audiences: []string{"billing"}}
	}
	x, err := c.Exchange(context.Background(), req("/away"))
	var fe *verify.FetchError
	var re *RedirectError
	if x != nil || !errors.As(err, &fe) || !errors.As(err, &re) {
		t.Fatalf("got %+v, err %T %v; want the redirect refused", x, err, err)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Fatalf("the other origin got %d requests", n)
	}
	x, err = c.Exchange(context.Background(), req("/moved"))
	if err != nil || x.AccessToken != "home-token" {
		t.Fatalf("a same-origin redirect: %v %+v", err, x)
	}
	if seen := home.requests(); len(seen) != 3 || seen[2].form.Get("subject_token") != "the-subject-token" {
		t.Errorf("the redirected request lost its form: %+v", seen)
	}
}

// Requests that cannot work as given are usage errors, sent nowhere.
func TestExchangeRequestsThatCannotWork(t *testing.T) {
	t.Parallel()
	ep := newExchangeEndpoint(t, answerJSON(200, exchangedJSON))
	client := Request{TokenEndpoint: ep.URL + "/token", ClientID: "svc", ClientSecret: "s"}
	cases := []struct {
		name string
		req  ExchangeRequest
		want string
	}{
		{"no subject token", ExchangeRequest{Client: client}, "no subject token"},
		{"a subject token with a line break", ExchangeRequest{Client: client, SubjectToken: "abc\nSigned in"}, "the subject token is not one word of printable ASCII (a control character (\\n) at byte 4)"},
		{"an actor token with a space", ExchangeRequest{Client: client, SubjectToken: "s", ActorToken: "a b"}, "the actor token is not one word"},
		{"an actor token type without an actor token", ExchangeRequest{Client: client, SubjectToken: "s", ActorTokenType: "jwt"}, "--actor-token-type names the type of --actor-token"},
		{"a token type that is no URI", ExchangeRequest{Client: client, SubjectToken: "s", RequestedTokenType: "bearer"}, `--requested-token-type: "bearer" is not a token type`},
		{"a resource that is not absolute", ExchangeRequest{Client: client, SubjectToken: "s", Resources: []string{"billing"}}, "--resource billing: want an absolute URI"},
		{"a resource with a fragment", ExchangeRequest{Client: client, SubjectToken: "s", Resources: []string{"https://billing.example/#x"}}, "without a fragment"},
		{"on-behalf-of without a scope", ExchangeRequest{Client: client, SubjectToken: "s", OnBehalfOf: true}, "--on-behalf-of needs --scope"},
		{"on-behalf-of with an audience", ExchangeRequest{Client: client, SubjectToken: "s", OnBehalfOf: true, Scopes: []string{"x"}, Audiences: []string{"billing"}, ActorToken: "a"}, "has no --audience or --actor-token"},
		{"no client", ExchangeRequest{Client: Request{TokenEndpoint: ep.URL + "/token"}, SubjectToken: "s"}, "no client: give --client-id"},
		{"no endpoint", ExchangeRequest{Client: Request{ClientID: "svc"}, SubjectToken: "s"}, "no token endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newClient(t, nil)
			x, err := c.Exchange(context.Background(), &tc.req)
			var ce *ConfigError
			if x != nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %+v, err %T %v; want a ConfigError saying %q", x, err, err, tc.want)
			}
		})
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

func TestTokenTypeNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"access_token": TokenTypeAccessToken, "jwt": TokenTypeJWT, "id_token": TokenTypeIDToken, "saml2": TokenTypeSAML2,
		"urn:example:custom": "urn:example:custom", "": "",
	} {
		if got, err := NormalizeTokenType(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"Bearer", "urn:x y", "urn:\x1b[2J"} {
		if _, err := NormalizeTokenType(bad); err == nil || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if ShortTokenType(TokenTypeAccessToken) != "access_token" || ShortTokenType("urn:example:custom") != "urn:example:custom" {
		t.Error("ShortTokenType")
	}
}
