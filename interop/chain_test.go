package interop

// jwtrace chain against real authorities: one token from the authority,
// sent through loopback services (startService) that validate it against
// that authority, with a chain file that declares each hop's rules.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestChainOIDCProvider runs jwtrace chain with an oidc-provider access
// token (an RFC 9068 JWT for https://orders.example, ES256) through A→B
// (orders) and C (billing), and with a device login's cached token
// (--login).
func TestChainOIDCProvider(t *testing.T) {
	t.Parallel()
	a := startOIDCProvider(t)
	c := testChain(t, a, "https://orders.example", "https://billing.example")

	// chain --login takes the token a device login cached, for the same
	// login flags, without asking anyone.
	t.Run("login", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		flags := []string{"--authority", a.Issuer, "--client-id", "device-es", "--scope", "openid orders.read", "--resource", "https://orders.example"}
		u.deviceLogin(func(p prompt) { a.Approve(t, p) }, flags...).exit(t, 0).err(t, "Signed in as alice · aud https://orders.example")
		tok := u.jwtrace(append([]string{"token"}, flags...)...).exit(t, 0).token(t)
		file := c.file(t, c.y, "")
		r := u.jwtraceEnv(c.env, append(append([]string{"chain", "--login"}, flags...), "--file", file)...).exit(t, 1)
		r.err(t, "as alice")
		r.out(t, "· sub alice · aud https://orders.example ·", "[token masked: "+tok[:10]+"…"+tok[len(tok)-4:]+"]")
		c.table(t, r, tok, "accept  ✓", "rejected: invalid_token", "reject  ✓")
		c.summary(t, r, "2 of 3 hops accepted the token; hop 3 (C) rejected it: token aud ["+c.x+"] has none of: "+c.y+".")

		// Logged out, there is no token to send, and no hop is called.
		u.jwtrace("logout").exit(t, 0)
		u.jwtraceEnv(c.env, append(append([]string{"chain", "--login"}, flags...), "--file", file)...).
			exit(t, 4).noOut(t).err(t, "run jwtrace login")
	})
}

// TestChainZitadel runs jwtrace chain with a zitadel client credentials
// token (aud [sid1], typ JWT) through A→B (sid1) and C (api://billing).
func TestChainZitadel(t *testing.T) {
	t.Parallel()
	a := startZitadel(t)
	testChain(t, a, "sid1", "api://billing")
}

// chainSetup is the services of one chain test: A (audience x, forwarding
// to B), B (x), C (y), D (x, forwarding to C), and the environment the
// chain files take.
type chainSetup struct {
	a          *Authority
	x, y       string
	A, B, C, D *Service
	env        []string
}

// file writes a chain file declaring A and B's rules with audience x and
// C's with cAudience; expectC, if not empty, is C's expect.
func (c *chainSetup) file(t *testing.T, cAudience, expectC string) string {
	t.Helper()
	expect := ""
	if expectC != "" {
		expect = "\n    expect: " + expectC
	}
	yaml := fmt.Sprintf(`# three services of %s
defaults:
  headers: {X-Request-Id: interop}
  rules:
    authority: ${AUTHORITY}
hops:
  - name: A
    url: %s
    rules:
      audience: %s
  - name: B
    url: %s
    rules:
      audience: [%s]
  - name: C
    url: %s%s
    rules:
      audience: %s
`, c.a.Name, c.A.URL, c.x, c.B.URL, c.x, c.C.URL, expect, cAudience)
	name := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(name, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// table checks the report's rows: A and B accepted as their rules
// predict, C answering 401 with the challenge's error, and what jwtrace
// predicts for C; and that tok appears nowhere.
func (c *chainSetup) table(t *testing.T, r result, tok, predictAB, saysC, predictC string) {
	t.Helper()
	for i, s := range []*Service{c.A, c.B} {
		c.row(t, r, i+1, s, "200", "accepted", predictAB)
	}
	c.row(t, r, 3, c.C, "401", saysC, predictC)
	r.out(t, `WWW-Authenticate: Bearer realm="C", error="invalid_token", error_description=`)
	noToken(t, r, tok)
}

// row checks hop i's row of the table.
func (c *chainSetup) row(t *testing.T, r result, i int, s *Service, status, says, predicts string) {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^ +%d  %s  GET %s +%s +\S+ +%s +%s$`,
		i, regexp.QuoteMeta(s.Name), regexp.QuoteMeta(s.URL), status, regexp.QuoteMeta(says), regexp.QuoteMeta(predicts)))
	if !re.MatchString(r.stdout) {
		t.Errorf("no row %d: %s %s %s · %s · %s:\n%s", i, s.Name, status, s.URL, says, predicts, r)
	}
}

// summary checks the report's last line.
func (c *chainSetup) summary(t *testing.T, r result, want string) {
	t.Helper()
	if !strings.HasSuffix(r.stdout, "\n\n"+want+"\n") {
		t.Errorf("want the summary line %q:\n%s", want, r)
	}
}

// noToken fails the test if the token, or its payload or signature, is in
// the output: chain masks it everywhere unless --show-token.
func noToken(t *testing.T, r result, tok string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	for _, s := range append([]string{tok}, parts[1:]...) {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("the token (%d characters of it) is in the output unmasked:\n%s", len(s), r)
		}
	}
}

// chainReport is the part of chain --json the tests read.
type chainReport struct {
	Token struct {
		Token  string         `json:"token"`
		Masked bool           `json:"masked"`
		JWT    bool           `json:"jwt"`
		Alg    string         `json:"alg"`
		Claims map[string]any `json:"claims"`
	} `json:"token"`
	Hops []struct {
		Index          int    `json:"index"`
		Name           string `json:"name"`
		URL            string `json:"url"`
		Status         int    `json:"status"`
		Verdict        string `json:"verdict"`
		ExpectedStatus []int  `json:"expected_status"`
		AsExpected     bool   `json:"as_expected"`
		Challenge      *struct {
			Scheme           string `json:"scheme"`
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
			Realm            string `json:"realm"`
		} `json:"challenge"`
		Prediction *struct {
			Accept bool     `json:"accept"`
			Failed []string `json:"failed"`
		} `json:"prediction"`
		Agrees *bool `json:"agrees"`
		Cause  *struct {
			Claim, Detail, From string
		} `json:"cause"`
	} `json:"hops"`
	Summary struct {
		Hops, Accepted, Rejected, Failed, Errors int
		AsExpected                               int `json:"as_expected"`
		Disagreements                            int
		OK                                       bool
		Text                                     string
	} `json:"summary"`
}

func (r result) chainJSON(t *testing.T) chainReport {
	t.Helper()
	var rep chainReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not chain's JSON: %v\n%s", err, r)
	}
	if len(rep.Hops) != 3 {
		t.Fatalf("want 3 hops:\n%s", r)
	}
	return rep
}

// testChain starts A→B and C for the authority and runs the chain
// subtests in parallel: x is an audience the authority issues tokens for
// (a.Token), y another one.
func testChain(t *testing.T, a *Authority, x, y string) *chainSetup {
	t.Helper()
	c := &chainSetup{a: a, x: x, y: y}
	c.B = startService(t, a, "B", x, nil)
	c.A = startService(t, a, "A", x, c.B)
	c.C = startService(t, a, "C", y, nil)
	c.D = startService(t, a, "D", x, c.C)
	tok := a.Token(t, newUser(t), x)
	c.env = []string{"AUTHORITY=" + a.Issuer}
	env := append([]string{"TOKEN=" + tok}, c.env...)
	wantRejected := "2 of 3 hops accepted the token; hop 3 (C) rejected it: token aud [" + x + "] has none of: " + y + "."

	t.Run("chain", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		file := c.file(t, y, "")
		r := u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", file).exit(t, 1)
		r.err(t, "note: "+file+" takes $AUTHORITY from the environment")
		r.out(t, "Chain of 3 hops · token ", "[token masked: "+tok[:10]+"…"+tok[len(tok)-4:]+"]")
		c.table(t, r, tok, "accept  ✓", "rejected: invalid_token", "reject  ✓")
		r.out(t, "cause: aud · token aud ["+x+"] has none of: "+y+" (hop 3's declared rules)")
		if strings.Contains(r.stdout, "DISAGREES") {
			t.Errorf("a disagreement where rules and servers agree:\n%s", r)
		}
		c.summary(t, r, wantRejected)
	})

	t.Run("chain json", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		r := u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", c.file(t, y, ""), "--json").exit(t, 1)
		noToken(t, r, tok)
		rep := r.chainJSON(t)
		if tk := rep.Token; tk.Token != tok[:10]+"…"+tk.Token[len(tk.Token)-4:] || !strings.HasSuffix(tok, tk.Token[len(tk.Token)-4:]) ||
			!tk.Masked || !tk.JWT || tk.Claims["iss"] != a.Issuer {
			t.Errorf("token %+v", tk)
		}
		for i, s := range []*Service{c.A, c.B} {
			h := rep.Hops[i]
			if h.Index != i+1 || h.Name != s.Name || h.URL != s.URL || h.Status != 200 || h.Verdict != "accepted" || !h.AsExpected ||
				h.Prediction == nil || !h.Prediction.Accept || h.Agrees == nil || !*h.Agrees || h.Cause != nil || h.Challenge != nil {
				t.Errorf("hop %d: %+v\n%s", i+1, h, r)
			}
		}
		h := rep.Hops[2]
		if h.Name != "C" || h.Status != 401 || h.Verdict != "rejected" || h.AsExpected || len(h.ExpectedStatus) != 0 {
			t.Errorf("hop 3: %+v\n%s", h, r)
		}
		if ch := h.Challenge; ch == nil || ch.Scheme != "Bearer" || ch.Error != "invalid_token" || ch.Realm != "C" ||
			!strings.Contains(ch.ErrorDescription, "(audience)") {
			t.Errorf("hop 3's challenge: %+v\n%s", ch, r)
		}
		if p := h.Prediction; p == nil || p.Accept || strings.Join(p.Failed, ",") != "audience" || h.Agrees == nil || !*h.Agrees {
			t.Errorf("hop 3's prediction: %+v, agrees %v\n%s", p, h.Agrees, r)
		}
		if cs := h.Cause; cs == nil || cs.Claim != "aud" || cs.From != "rules" || cs.Detail != "token aud ["+x+"] has none of: "+y {
			t.Errorf("hop 3's cause: %+v\n%s", cs, r)
		}
		s := rep.Summary
		if s.Hops != 3 || s.Accepted != 2 || s.Rejected != 1 || s.Failed != 0 || s.Errors != 0 || s.AsExpected != 2 ||
			s.Disagreements != 0 || s.OK || s.Text != wantRejected {
			t.Errorf("summary %+v\n%s", s, r)
		}
	})

	// C's chain file declares the audience of A and B, but C enforces its
	// own: jwtrace predicts acceptance and the server rejects.
	t.Run("disagreement", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		file := c.file(t, x, "")
		r := u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", file).exit(t, 1)
		c.table(t, r, tok, "accept  ✓", "rejected: invalid_token", "accept  ✗ DISAGREES")
		r.out(t, "✗ the server rejected the token, but its declared rules accept it",
			"cause: aud · ", "(the server's challenge)")
		want := "2 of 3 hops accepted the token; hop 3 (C) rejected it: "
		c.summary(t, r, want+lastHopDescription(t, r)+"; hop 3 (C): the server and its declared rules disagree.")

		r = u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", file, "--json").exit(t, 1)
		noToken(t, r, tok)
		rep := r.chainJSON(t)
		h := rep.Hops[2]
		if h.Verdict != "rejected" || h.Prediction == nil || !h.Prediction.Accept || h.Agrees == nil || *h.Agrees ||
			h.Cause == nil || h.Cause.Claim != "aud" || h.Cause.From != "server" {
			t.Errorf("hop 3: %+v\n%s", h, r)
		}
		if a, b := rep.Hops[0].Agrees, rep.Hops[1].Agrees; a == nil || !*a || b == nil || !*b {
			t.Errorf("hops 1 and 2 should agree:\n%s", r)
		}
		if s := rep.Summary; s.Disagreements != 1 || s.OK || !strings.HasSuffix(s.Text, "; hop 3 (C): the server and its declared rules disagree.") {
			t.Errorf("summary %+v\n%s", s, r)
		}
	})

	// With expect: 401 on C, its rejection is the expected answer.
	t.Run("expect 401", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		file := c.file(t, y, "401")
		r := u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", file).exit(t, 0)
		c.table(t, r, tok, "accept  ✓", "rejected: invalid_token", "reject  ✓")
		c.summary(t, r, wantRejected)
		if strings.Contains(r.stdout, "expected ") {
			t.Errorf("C answered as expected, yet the report says what it expected:\n%s", r)
		}

		r = u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--file", file, "--json").exit(t, 0)
		noToken(t, r, tok)
		rep := r.chainJSON(t)
		if h := rep.Hops[2]; h.Verdict != "rejected" || !h.AsExpected || len(h.ExpectedStatus) != 1 || h.ExpectedStatus[0] != 401 {
			t.Errorf("hop 3: %+v\n%s", h, r)
		}
		if s := rep.Summary; !s.OK || s.AsExpected != 3 || s.Rejected != 1 || s.Text != wantRejected {
			t.Errorf("summary %+v\n%s", s, r)
		}
	})
	// A service whose downstream rejects the token answers 502: chain
	// reports the hop as failed, not rejected, and shows the body.
	t.Run("downstream rejects", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		r := u.jwtraceEnv(env, "chain", "--token-env", "TOKEN", "--show-body", c.D.URL).exit(t, 1)
		re := regexp.MustCompile(`(?m)^ +1  GET ` + regexp.QuoteMeta(c.D.URL) + ` +502 +\S+ +failed \(502\) +— \(no rules declared\)$`)
		if !re.MatchString(r.stdout) {
			t.Errorf("no row for D answering 502:\n%s", r)
		}
		r.out(t, `"service":"D"`, `"downstream":{`, `"status":401`)
		c.summary(t, r, "0 of 1 hop accepted the token; hop 1 answered 502.")
		noToken(t, r, tok)
	})
	return c
}

// lastHopDescription is hop 3's "server: " line: the error_description
// the service sent.
func lastHopDescription(t *testing.T, r result) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ +server: (.+)$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no server: line for hop 3:\n%s", r)
	}
	return m[1]
}
