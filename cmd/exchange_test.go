package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// exchangeRun runs jwtrace on the real clock (the authority's: it checks
// the subject token's exp), with a cache directory of its own and stdin.
func exchangeRun(t *testing.T, env *ui.Streams, stdin string, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	env.Out, env.ErrOut, env.In = &out, &errOut, strings.NewReader(stdin)
	code := RunWith(context.Background(), testDeps(t, env, time.Now), args)
	return run{code, out.String(), errOut.String()}
}

var jwtOnly = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$`)

func claimsOfToken(t *testing.T, tok string) *decode.Object {
	t.Helper()
	d, err := decode.Parse(strings.TrimSpace(tok), "token", decode.Options{Now: time.Now()})
	if err != nil || d.Claims == nil {
		t.Fatalf("not a JWT: %q (%v)", tok, err)
	}
	return d.Claims
}

func claimJSON(t *testing.T, o *decode.Object, name string) string {
	t.Helper()
	v, _ := o.Get(name)
	return string(v)
}

// exchangeAuthority is the project's authority with two more services,
// workouts and workout-log, confidential clients that may exchange (the
// default), and reports-only, which may exchange for api://reports only.
func exchangeAuthority(t *testing.T, opts ...authoritytest.Option) *authoritytest.Server {
	return authoritytest.Start(t, append(opts, authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(),
			authority.Client{ID: "workouts", Secret: "workouts-secret"},
			authority.Client{ID: "workout-log", Secret: "workout-log-secret"},
			authority.Client{ID: "reports-only", Secret: "reports-secret", ExchangeAudiences: []string{"api://reports"}})
	}))...)
}

func TestExchangeEndToEnd(t *testing.T) {
	t.Parallel()
	srv := exchangeAuthority(t)
	subject := srv.Mint(t, map[string]any{"sub": "alice", "aud": "billing", "scope": "workouts.read"})
	svc := []string{"exchange", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret}

	r := exchangeRun(t, loginEnv(t), "", append(svc, "--audience", "api://reports", subject)...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	if !jwtOnly.MatchString(r.out) {
		t.Fatalf("stdout is not just a token: %q", r.out)
	}
	if want := "exchanged: aud billing → api://reports, act jwtrace-service, scope workouts.read, expires in 1h\n"; r.errOut != want {
		t.Errorf("stderr %q, want %q", r.errOut, want)
	}
	c := claimsOfToken(t, r.out)
	if sub, _ := c.String("sub"); sub != "alice" || claimJSON(t, c, "aud") != `"api://reports"` || claimJSON(t, c, "act") != `{"sub":"jwtrace-service"}` {
		t.Errorf("claims %s", c.Raw)
	}

	t.Run("the subject token from stdin, the environment, or a pipe", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			env   []string
			stdin string
			args  []string
		}{
			{"-", nil, subject + "\n", []string{"-"}},
			{"a pasted Authorization line on stdin", nil, "Authorization: Bearer " + subject + "\n", nil},
			{"--subject-token-env", []string{"INCOMING=" + subject}, "", []string{"--subject-token-env", "INCOMING"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env := loginEnv(t, tc.env...)
				r := exchangeRun(t, env, tc.stdin, append(append(svc, "--audience", "api://reports"), tc.args...)...)
				if r.code != ExitOK || !jwtOnly.MatchString(r.out) {
					t.Fatalf("exit %d %q\n%s", r.code, r.out, r.errOut)
				}
				if sub, _ := claimsOfToken(t, r.out).String("sub"); sub != "alice" {
					t.Errorf("sub %q", sub)
				}
			})
		}
	})

	t.Run("--json has the response, both tokens decoded and what changed", func(t *testing.T) {
		r := exchangeRun(t, loginEnv(t), "", append(svc, "--audience", "api://reports", "--json", subject)...)
		if r.code != ExitOK || !strings.HasPrefix(r.errOut, "exchanged: aud billing → api://reports") {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
		var got struct {
			Grant           string         `json:"grant_type"`
			Endpoint        string         `json:"token_endpoint"`
			AccessToken     string         `json:"access_token"`
			IssuedTokenType string         `json:"issued_token_type"`
			TokenType       string         `json:"token_type"`
			ExpiresIn       int64          `json:"expires_in"`
			Scope           string         `json:"scope"`
			SubjectClaims   map[string]any `json:"subject_token_claims"`
			AccessClaims    map[string]any `json:"access_token_claims"`
			Delegation      struct {
				Chain  string `json:"chain"`
				Actors []struct {
					Sub string `json:"sub"`
				} `json:"actors"`
			} `json:"delegation"`
			Changes []struct {
				Claim  string          `json:"claim"`
				Change string          `json:"change"`
				Before json.RawMessage `json:"before"`
				After  json.RawMessage `json:"after"`
			} `json:"changes"`
			Unchanged []string `json:"unchanged"`
		}
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("%v\n%s", err, r.out)
		}
		if got.Grant != "urn:ietf:params:oauth:grant-type:token-exchange" || got.Endpoint != srv.TokenURL || got.IssuedTokenType != "urn:ietf:params:oauth:token-type:access_token" ||
			got.TokenType != "Bearer" || got.ExpiresIn != 3600 || got.Scope != "workouts.read" || !strings.HasPrefix(got.AccessToken, "eyJ") {
			t.Errorf("response %+v", got)
		}
		if got.SubjectClaims["aud"] != "billing" || got.AccessClaims["aud"] != "api://reports" || got.Delegation.Chain != "alice via jwtrace-service" {
			t.Errorf("claims %v → %v, delegation %+v", got.SubjectClaims, got.AccessClaims, got.Delegation)
		}
		changes := map[string]string{}
		for _, c := range got.Changes {
			changes[c.Claim] = c.Change + " " + string(c.Before) + " " + string(c.After)
		}
		if changes["aud"] != `changed "billing" "api://reports"` || changes["act"] != `added  {"sub":"jwtrace-service"}` || changes["client_id"] != `added  "jwtrace-service"` || !strings.HasPrefix(changes["jti"], "changed ") {
			t.Errorf("changes %q", changes)
		}
		if got.Changes[0].Claim != "aud" || !contains(got.Unchanged, "sub") || !contains(got.Unchanged, "scope") || !contains(got.Unchanged, "iss") {
			t.Errorf("changes %+v, unchanged %q", got.Changes, got.Unchanged)
		}
	})
}

// Two hops of real delegation: workouts exchanges alice's token for one
// meant for workout-log, which exchanges that for billing. The second
// token's act nests the first (RFC 8693 §4.1), and the summary and decode
// read it as a chain.
func TestExchangeTwiceMakesAChainThatDecodeShows(t *testing.T) {
	t.Parallel()
	srv := exchangeAuthority(t)
	subject := srv.Mint(t, map[string]any{"sub": "alice", "aud": "workouts"})
	hop := func(client, secret, aud, token string) string {
		t.Helper()
		r := exchangeRun(t, loginEnv(t), "", "exchange", "--authority", srv.Issuer, "--client-id", client, "--client-secret", secret, "--audience", aud, token)
		if r.code != ExitOK || !jwtOnly.MatchString(r.out) {
			t.Fatalf("%s: exit %d\n%s", client, r.code, r.errOut)
		}
		return strings.TrimSpace(r.out) + "\n" + r.errOut
	}
	first, _, _ := strings.Cut(hop("workouts", "workouts-secret", "workout-log", subject), "\n")
	second, summary, _ := strings.Cut(hop("workout-log", "workout-log-secret", "billing", first), "\n")
	if want := "exchanged: aud workout-log → billing, act workout-log (alice via workouts via workout-log), expires in 1h\n"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	if act := claimJSON(t, claimsOfToken(t, second), "act"); act != `{"act":{"sub":"workouts"},"sub":"workout-log"}` && act != `{"sub":"workout-log","act":{"sub":"workouts"}}` {
		t.Errorf("act %s", act)
	}

	d := jwtrace(t, context.Background(), &ui.Streams{}, "decode", second)
	if d.code != ExitOK || !strings.Contains(d.out, "  delegation alice via workouts via workout-log (workout-log acts for alice now; RFC 8693 section 4.1)\n") {
		t.Errorf("decode: exit %d\n%s", d.code, d.out)
	}
	j := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--json", second)
	var got struct {
		Delegation decode.Delegation `json:"delegation"`
	}
	if err := json.Unmarshal([]byte(j.out), &got); err != nil || got.Delegation.Chain != "alice via workouts via workout-log" ||
		len(got.Delegation.Actors) != 2 || got.Delegation.Actors[1].Sub != "workout-log" {
		t.Errorf("decode --json: %v %+v", err, got.Delegation)
	}
}

// Azure AD's on-behalf-of form against the project's authority: the
// assertion is a token issued to the calling client, the target API is
// named by scope, and the new token carries azp.
func TestExchangeOnBehalfOf(t *testing.T) {
	t.Parallel()
	srv := exchangeAuthority(t)
	obo := []string{"exchange", "--on-behalf-of", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret, "--scope", "api://billing/.default"}
	mine := srv.Mint(t, map[string]any{"sub": "alice", "aud": authority.DefaultServiceClient})
	r := exchangeRun(t, loginEnv(t), "", append(obo, mine)...)
	if r.code != ExitOK || !jwtOnly.MatchString(r.out) {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	if !strings.HasPrefix(r.errOut, "exchanged on behalf of: aud jwtrace-service → api://billing, act jwtrace-service, ") || !strings.HasSuffix(r.errOut, ", expires in 1h\n") {
		t.Errorf("stderr %q", r.errOut)
	}
	c := claimsOfToken(t, r.out)
	if azp, _ := c.String("azp"); azp != authority.DefaultServiceClient || claimJSON(t, c, "aud") != `"api://billing"` {
		t.Errorf("claims %s", c.Raw)
	}

	t.Run("a token meant for another service is refused, and jwtrace says why", func(t *testing.T) {
		theirs := srv.Mint(t, map[string]any{"sub": "alice", "aud": "workouts"})
		r := exchangeRun(t, loginEnv(t), "", append(obo, theirs)...)
		if r.code != ExitUnavailable || r.out != "" {
			t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
		}
		for _, want := range []string{"answered 400 invalid_grant", "the subject token's aud is workouts, not jwtrace-service (--client-id)"} {
			if !strings.Contains(r.errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
			}
		}
	})
}

// The authority's refusals exit 3 with its words and jwtrace's advice, as
// login's do; mistakes in the command line exit 2 before anything is sent.
func TestExchangeExitCodes(t *testing.T) {
	t.Parallel()
	srv := exchangeAuthority(t)
	subject := srv.Mint(t, map[string]any{"sub": "alice", "aud": "billing"})
	expired := srv.Mint(t, map[string]any{"sub": "alice", "aud": "billing", "exp": time.Now().Add(-2 * time.Hour).Unix()})
	svc := []string{"exchange", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	cases := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		code  int
		want  []string
	}{
		{"an audience the client may not have", nil, "", []string{"exchange", "--authority", srv.Issuer, "--client-id", "reports-only", "--client-secret", "reports-secret", "--audience", "api://billing", subject},
			ExitUnavailable, []string{"answered 400 invalid_target", "may not exchange a token for audience api://billing", "check --audience and --resource"}},
		{"a public client", nil, "", []string{"exchange", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--audience", "api://reports", subject},
			ExitUnavailable, []string{"answered 400 unauthorized_client", "give the client registered for exchanges"}},
		{"a wrong client secret", nil, "", with(svc[:len(svc)-1], "wrong", "--audience", "api://reports", subject),
			ExitUnavailable, []string{"invalid_client"}},
		{"an expired subject token", nil, "", with(svc, "--audience", "api://reports", expired),
			ExitUnavailable, []string{"answered 400 invalid_request", "expired"}},
		{"a token of another issuer", nil, "", with(svc, "--audience", "api://reports", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vZXZpbCJ9.c2ln"),
			ExitUnavailable, []string{"answered 400 invalid_request", "not by this authority"}},
		{"an authority that is down", nil, "", []string{"exchange", "--token-endpoint", "http://127.0.0.1:1/token", "--client-id", "svc", "--client-secret", "s", subject},
			ExitUnavailable, []string{"127.0.0.1:1"}},
		{"no authority", nil, "", []string{"exchange", "--client-id", "svc", subject}, ExitUsage, []string{"no authority: give --authority URL (or --token-endpoint URL)"}},
		{"no subject token on an empty stdin", nil, "", svc, ExitUsage, []string{"no subject token: the input is empty"}},
		{"two subject tokens", []string{"T=" + subject}, "", with(svc, "--subject-token-env", "T", subject), ExitUsage, []string{"give the subject token one way"}},
		{"an unset variable", nil, "", with(svc, "--subject-token-env", "NOPE"), ExitUsage, []string{"--subject-token-env NOPE: the variable is empty or not set"}},
		{"a subject token with a control character", []string{"T=abc\x1b[2Jdef"}, "", with(svc, "--subject-token-env", "T"), ExitUsage, []string{"the subject token is not one word of printable ASCII (byte 4)"}},
		{"two arguments", nil, "", with(svc, subject, subject), ExitUsage, []string{"takes one subject token, got 2 arguments"}},
		{"on-behalf-of without a scope", nil, "", with(svc, "--on-behalf-of", subject), ExitUsage, []string{"--on-behalf-of needs --scope"}},
		{"on-behalf-of with an audience", nil, "", with(svc, "--on-behalf-of", "--scope", "api://billing/.default", "--audience", "billing", subject), ExitUsage, []string{"has no --audience"}},
		{"a resource that is not a URI", nil, "", with(svc, "--resource", "billing", subject), ExitUsage, []string{"--resource billing: want an absolute URI"}},
		{"an unknown token type", nil, "", with(svc, "--requested-token-type", "bearer", subject), ExitUsage, []string{`--requested-token-type: "bearer" is not a token type`}},
		{"stdin twice", nil, "", with(svc, "--actor-token", "-", "-"), ExitUsage, []string{"only one of the subject token, --actor-token and --client-assertion can come from stdin"}},
		{"a piped subject token and a client assertion from stdin", nil, subject, with(svc, "--client-assertion", "-"), ExitUsage, []string{"only one of the subject token, --actor-token and --client-assertion can come from stdin"}},
		{"--from-login without a login", nil, "", with(svc, "--from-login", "--audience", "api://reports"), ExitDenied, []string{"--from-login: no cached login at " + srv.Issuer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := exchangeRun(t, loginEnv(t, tc.env...), tc.stdin, tc.args...)
			if r.code != tc.code || r.out != "" {
				t.Fatalf("exit %d (want %d), stdout %q\n%s", r.code, tc.code, r.out, r.errOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
				}
			}
			if strings.Contains(r.errOut, "\x1b") {
				t.Errorf("an escape sequence reached stderr: %q", r.errOut)
			}
		})
	}
}

// --from-login exchanges the token jwtrace login cached for a person.
func TestExchangeFromLogin(t *testing.T) {
	t.Parallel()
	srv := exchangeAuthority(t, authoritytest.WithAutoApprove("alice"))
	env := loginEnv(t)
	login := exchangeRun(t, env, "", "login", "--no-browser", "--timeout", "20s", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if login.code != ExitOK {
		t.Fatalf("login: exit %d\n%s", login.code, login.errOut)
	}
	r := exchangeRun(t, env, "", "exchange", "--from-login", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient,
		"--client-secret", authority.DefaultServiceSecret, "--audience", "api://reports")
	if r.code != ExitOK || !jwtOnly.MatchString(r.out) {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	c := claimsOfToken(t, r.out)
	if sub, _ := c.String("sub"); sub != "alice" || claimJSON(t, c, "act") != `{"sub":"jwtrace-service"}` {
		t.Errorf("claims %s", c.Raw)
	}
	if !strings.HasPrefix(r.errOut, "exchanged: aud ") || !strings.Contains(r.errOut, "→ api://reports, act jwtrace-service") {
		t.Errorf("stderr %q", r.errOut)
	}
}

// A hostile token endpoint's words are shown escaped, on one line; a
// token it sends that is not a plain token string is refused, never
// printed.
func TestExchangeWithAHostileTokenEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, answer string
		status       int
		want         string
	}{
		{"an error description with escapes and a line break", `{"error":"invalid_grant","error_description":"\u001b]0;pwned\u0007\nSigned in as admin"}`, http.StatusBadRequest,
			`invalid_grant: \x1b]0;pwned\x07\x0aSigned in as admin`},
		{"an access token with an escape sequence", `{"access_token":"abc\u001b[2Jdef","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer"}`, http.StatusOK,
			"the access_token in the token response is not a plain token string (a control character (\\x1b) at byte 4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.answer))
			}))
			t.Cleanup(ts.Close)
			r := exchangeRun(t, loginEnv(t), "", "exchange", "--token-endpoint", ts.URL+"/token", "--client-id", "svc", "--client-secret", "s", "subject-token")
			if r.code != ExitUnavailable || r.out != "" || strings.ContainsAny(r.errOut, "\x1b\x07") || strings.Count(r.errOut, "\n") != 1 || !strings.Contains(r.errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q\n%q\nwant %q", r.code, r.out, r.errOut, tc.want)
			}
		})
	}
}
