package chain

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/verify"
)

func exchangeFile(exchange string) string {
	return "hops:\n  - url: http://127.0.0.1:8081/a\n  - name: billing\n    url: http://127.0.0.1:8083/plan\n    exchange:\n" + exchange
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseExchange(t *testing.T) {
	data := exchangeFile("      mode: token-exchange\n      authority: ${AUTH}\n      client_id: svc\n      client_secret: ${SECRET}\n      audience: [api://billing, api://ledger]\n      scope: billing.read billing.write\n")
	hops, err := ParseFile("chain.yaml", []byte(data), envOf(map[string]string{"AUTH": "http://127.0.0.1:9400", "SECRET": "s3"}))
	if err != nil {
		t.Fatal(err)
	}
	if hops[0].Exchange != nil {
		t.Errorf("hop 1 declares no exchange: %+v", hops[0].Exchange)
	}
	x := hops[1].Exchange
	if x == nil || x.Mode != ModeTokenExchange || x.Authority != "http://127.0.0.1:9400" || x.ClientID != "svc" || x.ClientSecret != "s3" ||
		strings.Join(x.Audiences, ",") != "api://billing,api://ledger" || strings.Join(x.Scopes, ",") != "billing.read,billing.write" {
		t.Errorf("exchange = %+v", x)
	}
	if err := Check(hops, false); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestParseExchangeErrors(t *testing.T) {
	env := envOf(map[string]string{"S": "x"})
	for _, c := range []struct{ name, exchange, want string }{
		{"unknown key", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      audience: api://b\n      audiance: api://b\n", `[10:7] unknown field "audiance"`},
		{"missing mode", "      authority: http://127.0.0.1:9400\n      client_id: svc\n      audience: api://b\n", "exchange: mode is missing"},
		{"bad mode", "      mode: swap\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      audience: api://b\n", `[6:13] exchange: mode "swap" is not a mode`},
		{"no where", "      mode: token-exchange\n      client_id: svc\n      audience: api://b\n", "authority: (its discovery names the token endpoint) or token_endpoint:"},
		{"no client", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      audience: api://b\n", "client_id is missing"},
		{"literal secret", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      client_secret: hunter2\n      audience: api://b\n", "[9:22] exchange: client_secret: give it as ${NAME}"},
		{"unset secret", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      client_secret: ${NOPE}\n      audience: api://b\n", "${NOPE} is not set"},
		{"no target", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      client_id: svc\n", "token-exchange needs audience:"},
		{"obo audience", "      mode: on-behalf-of\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      audience: api://b\n      scope: api://b/.default\n", "audience: on-behalf-of has none"},
		{"obo no scope", "      mode: on-behalf-of\n      authority: http://127.0.0.1:9400\n      client_id: svc\n", "on-behalf-of needs scope:"},
		{"bad audience", "      mode: token-exchange\n      authority: http://127.0.0.1:9400\n      client_id: svc\n      audience: {a: b}\n", "want a string or a list of strings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile("chain.yaml", []byte(exchangeFile(c.exchange)), env)
			// The decoder's own errors (unknown keys, types) have the
			// position only; jwtrace's name the hop too.
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "hop 2 (billing)") && c.name != "unknown key" && c.name != "bad audience" {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	hops, err := ParseFile("chain.yaml", []byte(exchangeFile("      mode: token-exchange\n      authority: http://auth.example\n      client_id: svc\n      audience: api://b\n")), env)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(hops, false); err == nil || !strings.Contains(err.Error(), "hop 2 (billing): exchange: authority:") {
		t.Errorf("plain http to another host: Check = %v", err)
	}
}

// An exchange's failure is the hop's result, and the hops after it are
// not sent; the server of a later hop cannot make jwtrace print a token
// of the chain other than its own.
func TestRunnerExchange(t *testing.T) {
	const first, second = "first-token-0123456789abcdefghij", "second-token-0123456789abcdefghij"
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		// Echoes every token of the chain it might have seen.
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="saw `+first+` and `+second+`"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	x := &Exchange{Mode: ModeTokenExchange, TokenEndpoint: srv.URL + "/token", ClientID: "svc", Audiences: []string{"api://b"}}
	hops := []Hop{{URL: srv.URL + "/a"}, {URL: srv.URL + "/b", Exchange: x}, {URL: srv.URL + "/c"}}
	if err := Check(hops, false); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	r := &Runner{Client: srv.Client(), Token: first, Exchanger: func(ctx context.Context, ex *Exchange, subject string) (string, error) {
		subjects = append(subjects, subject)
		return second, nil
	}}
	rep := r.Run(context.Background(), hops, nil)
	if strings.Join(got, ",") != "Bearer "+first+",Bearer "+second+",Bearer "+second || strings.Join(subjects, ",") != first {
		t.Errorf("sent %q, exchanged %q", got, subjects)
	}
	if r.Token != first {
		t.Errorf("the runner's token is now %q", r.Token)
	}
	// Hop 1 ran before the second token existed.
	if d := rep.Hops[0].Challenge.Description(); strings.Contains(d, first) || !strings.Contains(d, Mask(first)) {
		t.Errorf("hop 1: %q", d)
	}
	for _, h := range rep.Hops[1:] {
		d := h.Challenge.Description()
		if strings.Contains(d, first) || strings.Contains(d, second) || !strings.Contains(d, Mask(first)) || !strings.Contains(d, Mask(second)) {
			t.Errorf("hop %d: %q", h.Index, d)
		}
	}
	if f := rep.Hops[2].Received; f.From != FromPrevious || f.FromText != "the token hop 2 received (passed on)" || rep.Hops[1].Received.From != FromExchange {
		t.Errorf("received = %+v", f)
	}

	// Pass-through: the exchange is not performed.
	got, subjects = nil, nil
	r.PassThrough = true
	r.Run(context.Background(), hops, nil)
	if strings.Join(got, ",") != strings.Repeat("Bearer "+first+",", 2)+"Bearer "+first || len(subjects) != 0 {
		t.Errorf("pass-through sent %q, exchanged %q", got, subjects)
	}

	// A failed exchange: its error (masked) is the hop's, the next hop is
	// not sent.
	got = nil
	r.PassThrough = false
	r.Exchanger = func(ctx context.Context, ex *Exchange, subject string) (string, error) {
		return "", &ExchangeError{Code: "invalid_client", Err: errors.New("token endpoint answered 401 invalid_client: bad secret for " + subject)}
	}
	rep = r.Run(context.Background(), hops, nil)
	h2, h3 := rep.Hops[1], rep.Hops[2]
	if len(got) != 1 || h2.Verdict != Error || !strings.Contains(h2.Error, "invalid_client") || strings.Contains(h2.Error, first) || h2.Received.Exchange.ErrorCode != "invalid_client" {
		t.Errorf("hop 2 = %+v (sent %q)", h2, got)
	}
	if h3.Verdict != Error || !strings.Contains(h3.Error, "hop 2's exchange failed") || rep.Summary.OK {
		t.Errorf("hop 3 = %+v", h3)
	}
}

func TestRelayNote(t *testing.T) {
	aud := func(a ...string) *Rules { r := NewRules(verify.Policy{}); r.Policy.Audience.Value = a; return r }
	hops := []Hop{{Name: "workouts", Rules: aud("api://workouts")}, {Name: "billing", Rules: aud("api://billing")}, {Name: "log"}}
	if n := relayNote(hops, 0, []string{"api://workouts"}); n != "" {
		t.Errorf("its own token: %q", n)
	}
	if n := relayNote(hops, 1, []string{"api://workouts"}); !strings.Contains(n, "hop 2 (billing) received a token meant for hop 1 (workouts)") || !strings.Contains(n, "audience: api://billing}") {
		t.Errorf("billing: %q", n)
	}
	if n := relayNote(hops, 2, []string{"api://workouts"}); !strings.Contains(n, "hop 3 (log) received a token meant for hop 1 (workouts)") {
		t.Errorf("log: %q", n)
	}
	if n := relayNote(hops, 2, []string{"api://log"}); n != "" {
		t.Errorf("nothing declared, nobody else's: %q", n)
	}
}
