package interop

// jwtrace chain's prediction against real resource servers that validate
// with their own libraries, never with jwtrace's code: jose,
// express-oauth2-jwt-bearer, express-jwt + jwks-rsa and fastify-jwt-jwks from npm
// (validators/*.mjs, pinned in package.json and package-lock.json),
// go-oidc and golang-jwt + keyfunc from the module proxy
// (validators/gooidc, validators/golangjwt, pinned in go.mod). Each is
// configured the way its README shows, with only the issuer, the audience
// and where the keys are; the comment at the top of each server cites it.
// The authority is jwtrace's own (authority serve), and the tokens come
// from jwtrace mint.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// validatorServer is one resource server of the matrix: Name is the
// validator: profile its chain hop names.
type validatorServer struct {
	Name string
	// start is the server's command, given its environment.
	start func(env []string) *exec.Cmd
	URL   string
	// rules are the hop's rules besides validator, authority, issuer and
	// audience: what the server's configuration must say where its
	// library has no default (PyJWT's algorithms).
	rules string
}

// matrixAuthority is the jwtrace authority the servers trust, and what
// the tokens need of it.
type matrixAuthority struct {
	URL, JWKSURI string
	state        string
	// rsaKID is the kid of its RS256 key; otherKey a PEM RSA key it does
	// not publish.
	rsaKID, otherKey string
}

// tokenCase is one row of the matrix: the jwtrace mint flags after
// --sub alice, and the issuer and audience (the authority's and the
// servers' when empty). want, when set, is the verdict every library
// must reach (a forged or misdirected token), which checks the servers
// themselves rather than jwtrace.
type tokenCase struct {
	Name string
	Iss  string
	Aud  []string
	Args func(a *matrixAuthority) []string
	Want string
}

const (
	matrixAudience = "https://orders.example"
	// matrixSecret is the HS256 secret of the "HS256 (secret)" case: 33
	// bytes, over the hash size that jwtrace mint asks for.
	matrixSecret = "interop-hs256-secret-not-a-key!!!"
)

func matrixCases() []tokenCase {
	none := func(*matrixAuthority) []string { return nil }
	flags := func(f ...string) func(*matrixAuthority) []string {
		return func(*matrixAuthority) []string { return f }
	}
	return []tokenCase{
		{Name: "valid", Args: none, Want: "accepted"},
		{Name: "wrong audience", Aud: []string{"https://billing.example"}, Args: none, Want: "rejected"},
		{Name: "expired 1s ago", Args: flags("--exp", "-1s")},
		{Name: "expired 10s ago", Args: flags("--exp", "-10s")},
		{Name: "expired 10m ago", Args: flags("--exp", "-10m")},
		{Name: "nbf in 4s", Args: flags("--nbf", "4s")},
		{Name: "nbf in 30s", Args: flags("--nbf", "30s")},
		{Name: "nbf in 10m", Args: flags("--nbf", "10m")},
		{Name: "iat in 10m", Args: flags("--iat", "10m")},
		{Name: "no exp", Args: flags("--exp", "none")},
		{Name: "other issuer", Iss: "https://other-issuer.example", Args: none, Want: "rejected"},
		{Name: "key not in JWKS", Args: func(a *matrixAuthority) []string {
			return []string{"--key", a.otherKey, "--kid", "not-in-the-jwks"}
		}, Want: "rejected"},
		{Name: "other key, JWKS kid", Args: func(a *matrixAuthority) []string {
			return []string{"--key", a.otherKey, "--kid", a.rsaKID}
		}, Want: "rejected"},
		{Name: "HS256 (secret)", Args: func(a *matrixAuthority) []string {
			return []string{"--secret", matrixSecret, "--header", "kid=" + a.rsaKID}
		}, Want: "rejected"},
		{Name: "ES256 (published key)", Args: flags("--alg", "ES256")},
		{Name: "typ at+jwt", Args: flags("--header", "typ=at+jwt")},
		{Name: "no typ", Args: flags("--header", "-typ")},
		{Name: "aud array", Aud: []string{matrixAudience, "https://other.example"}, Args: none},
	}
}

// mintArgs is the jwtrace mint command line of c: the authority's RS256
// key unless the case picks another key or algorithm.
func (c tokenCase) mintArgs(a *matrixAuthority) []string {
	iss := c.Iss
	if iss == "" {
		iss = a.URL
	}
	aud := c.Aud
	if aud == nil {
		aud = []string{matrixAudience}
	}
	extra := c.Args(a)
	args := []string{"mint", "--sub", "alice", "--iss", iss}
	for _, x := range aud {
		args = append(args, "--aud", x)
	}
	own, alg := true, false
	for _, f := range extra {
		own = own && f != "--key" && f != "--secret"
		alg = alg || f == "--alg"
	}
	if own {
		args = append(args, "--state", a.state)
		if !alg {
			args = append(args, "--alg", "RS256")
		}
	}
	return append(args, extra...)
}

// cell is one server's answer to one token, and jwtrace's prediction.
type cell struct {
	Verdict string
	Status  int
	Predict string // "accept", "reject", or "none" (no prediction)
	Agrees  bool   // chain's own agrees
	Body    string // the server's answer (chain --show-body)
	Summary string // the prediction's summary
	Failed  []string
	PredErr string
}

// match is the matrix's assertion: the prediction is the server's verdict,
// and chain says they agree.
func (c cell) match() bool {
	want := map[string]string{"accepted": "accept", "rejected": "reject"}[c.Verdict]
	return want != "" && c.Predict == want && c.Agrees
}

// TestValidators runs jwtrace chain, one hop with validator: NAME and the
// hop's issuer and audience, against each server for every token of the
// matrix, and asserts that the prediction is what the server did.
func TestValidators(t *testing.T) {
	t.Parallel()
	start := time.Now()
	for _, pkg := range []string{"jose", "express", "express-oauth2-jwt-bearer", "express-jwt", "jwks-rsa", "fastify", "fastify-jwt-jwks"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("%s is not installed: run `npm ci` in interop/", pkg)
		}
	}

	// The Go servers, built while the authority starts.
	bin := t.TempDir()
	var wg sync.WaitGroup
	buildErr := make([]error, 2)
	for i, pkg := range []string{"gooidc", "golangjwt"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buildErr[i] = goBuild(".", filepath.Join(bin, pkg), "./validators/"+pkg)
		}()
	}

	u := newUser(t)
	a := startMatrixAuthority(t, u)
	wg.Wait()
	for i, err := range buildErr {
		if err != nil {
			t.Fatalf("building validators/%s: %v", []string{"gooidc", "golangjwt"}[i], err)
		}
	}
	node := func(script string) func([]string) *exec.Cmd {
		return func(env []string) *exec.Cmd {
			cmd := exec.Command("node", filepath.Join("validators", script))
			cmd.Env = env
			return cmd
		}
	}
	goBin := func(name string) func([]string) *exec.Cmd {
		return func(env []string) *exec.Cmd {
			cmd := exec.Command(filepath.Join(bin, name))
			cmd.Env = env
			return cmd
		}
	}
	servers := []*validatorServer{
		{Name: "go-oidc", start: goBin("gooidc")},
		{Name: "golang-jwt", start: goBin("golangjwt")},
		{Name: "jose", start: node("jose.mjs")},
		{Name: "express-oauth2-jwt-bearer", start: node("express-oauth2-jwt-bearer.mjs")},
		{Name: "express-jwt", start: node("express-jwt.mjs")},
		{Name: "fastify-jwt-jwks", start: node("fastify-jwt-jwks.mjs")},
	}
	// PyJWT from Debian's python3-jwt, when it is installed (.ci/run
	// installs it; the module proxy and npm do not have it).
	if python, err := exec.LookPath("/usr/bin/python3"); err == nil && exec.Command(python, "-c", "import jwt, cryptography").Run() == nil {
		servers = append(servers, &validatorServer{Name: "pyjwt", rules: "      algs: RS256\n", start: func(env []string) *exec.Cmd {
			cmd := exec.Command(python, "-u", filepath.Join("validators", "pyjwt_server.py"))
			cmd.Env = env
			return cmd
		}})
	} else if os.Getenv("CI") != "" {
		t.Fatalf("PyJWT is not installed for /usr/bin/python3: apt-get install python3-jwt python3-cryptography")
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"NODE_ENV=production",
		"API_ISSUER=" + a.URL,
		"API_AUDIENCE=" + matrixAudience,
		"API_JWKS_URI=" + a.JWKSURI,
	}
	for _, s := range servers {
		base, _ := startServer(t, s.Name, s.start(env))
		s.URL = base + "/api"
	}
	ready := time.Since(start)

	cases := matrixCases()
	cells := make(map[string]map[string]cell, len(servers))
	var mu sync.Mutex
	t.Run("matrix", func(t *testing.T) {
		for _, s := range servers {
			t.Run(s.Name, func(t *testing.T) {
				t.Parallel()
				su := newUser(t)
				file := matrixChainFile(t, s, a)
				for _, c := range cases {
					got := runMatrixCell(t, su, a, c, file)
					mu.Lock()
					if cells[c.Name] == nil {
						cells[c.Name] = map[string]cell{}
					}
					cells[c.Name][s.Name] = got
					mu.Unlock()
					if c.Want != "" && got.Verdict != c.Want {
						t.Errorf("%s: %s %s the token (%d %s); every library should have %s it: is the server configured as its comment says?",
							c.Name, s.Name, got.Verdict, got.Status, got.Body, c.Want)
					}
					if !got.match() {
						t.Errorf("%s: %s %s it (%d), jwtrace predicted %s (agrees %v): %s; failed checks %v%s%s",
							c.Name, s.Name, got.Verdict, got.Status, got.Predict, got.Agrees, got.Summary, got.Failed, errNote(got.PredErr), bodyNote(got.Body))
					}
				}
			})
		}
	})

	// The table, case × server: the server's verdict / jwtrace's
	// prediction, ✗ where they differ.
	var b strings.Builder
	agree, total := 0, 0
	fmt.Fprintf(&b, "%-22s", "token")
	for _, s := range servers {
		fmt.Fprintf(&b, "  %-26s", s.Name)
	}
	b.WriteString("\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "%-22s", c.Name)
		for _, s := range servers {
			got, ok := cells[c.Name][s.Name]
			text := "(not run)"
			if ok {
				total++
				mark := "✓"
				if got.match() {
					agree++
				} else {
					mark = "✗"
				}
				text = fmt.Sprintf("%d %s / %s %s", got.Status, got.Verdict, got.Predict, mark)
			}
			fmt.Fprintf(&b, "  %-26s", text)
		}
		b.WriteString("\n")
	}
	t.Logf("server verdict / jwtrace chain prediction (validator: NAME, issuer, audience):\n%s", b.String())
	t.Logf("the prediction agreed with the server in %d of %d cases (%d servers × %d tokens); servers ready in %s, all in %s",
		agree, total, len(servers), len(cases), ready.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
}

func bodyNote(s string) string {
	if s == "" {
		return ""
	}
	return "\nthe server answered: " + s
}

func errNote(s string) string {
	if s == "" {
		return ""
	}
	return "; no prediction: " + s
}

// startMatrixAuthority makes the authority's keys (RS256, then ES256, so
// both are published) with jwtrace mint, starts jwtrace authority serve on
// them, and writes an RSA key it does not publish.
func startMatrixAuthority(t *testing.T, u *user) *matrixAuthority {
	t.Helper()
	dir := t.TempDir()
	a := &matrixAuthority{state: filepath.Join(dir, "authority")}
	for _, alg := range []string{"RS256", "ES256"} {
		r := u.jwtrace("mint", "--state", a.state, "--alg", alg, "--json").exit(t, 0)
		var m struct {
			Header struct {
				KID string `json:"kid"`
			} `json:"header"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Header.KID == "" {
			t.Fatalf("mint --json has no kid: %v\n%s", err, r)
		}
		if alg == "RS256" {
			a.rsaKID = m.Header.KID
		}
	}
	cmd := exec.Command(jwtraceBin, "authority", "serve", "--state", a.state, "--addr", "127.0.0.1:0")
	cmd.Env = u.env
	a.URL, _ = startServer(t, "jwtrace authority", cmd)

	resp, err := http.Get(a.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.Issuer != a.URL || disc.JWKSURI == "" {
		t.Fatalf("the authority's discovery: %v %+v", err, disc)
	}
	a.JWKSURI = disc.JWKSURI
	if strings.Join(disc.Algs, " ") != "ES256 RS256" {
		t.Fatalf("the authority's discovery lists %v; the matrix assumes ES256 and RS256", disc.Algs)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a.otherKey = filepath.Join(dir, "other-key.pem")
	if err := os.WriteFile(a.otherKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

// matrixChainFile is the chain file of server s: one hop, with the
// server's validator and the issuer and audience it is configured with.
func matrixChainFile(t *testing.T, s *validatorServer, a *matrixAuthority) string {
	t.Helper()
	yaml := fmt.Sprintf(`hops:
  - name: %s
    url: %s
    rules:
      validator: %s
      authority: %s
      issuer: %s
      audience: %s
%s`, s.Name, s.URL, s.Name, a.URL, a.URL, matrixAudience, s.rules)
	name := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(name, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// runMatrixCell mints c's token and runs jwtrace chain with it at once
// (a token 4 s before its nbf must still be so when the server sees it).
func runMatrixCell(t *testing.T, u *user, a *matrixAuthority, c tokenCase, file string) cell {
	t.Helper()
	tok := strings.TrimSpace(u.jwtrace(c.mintArgs(a)...).exit(t, 0).stdout)
	r := u.jwtraceEnv([]string{"MATRIX_TOKEN=" + tok}, "chain", "--json", "--show-body", "--file", file, "--token-env", "MATRIX_TOKEN")
	if r.code != 0 && r.code != 1 {
		t.Fatalf("%s: jwtrace chain exited %d:\n%s", c.Name, r.code, r)
	}
	var rep struct {
		Hops []struct {
			Status     int    `json:"status"`
			Verdict    string `json:"verdict"`
			Error      string `json:"error"`
			Body       string `json:"body"`
			Prediction *struct {
				Accept  bool     `json:"accept"`
				Summary string   `json:"summary"`
				Failed  []string `json:"failed"`
				Error   string   `json:"error"`
			} `json:"prediction"`
			Agrees *bool `json:"agrees"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Hops) != 1 {
		t.Fatalf("%s: want chain's JSON with one hop: %v\n%s", c.Name, err, r)
	}
	h := rep.Hops[0]
	got := cell{Verdict: h.Verdict, Status: h.Status, Predict: "none", Body: strings.TrimSpace(h.Body)}
	if h.Error != "" {
		got.Body = h.Error
	}
	if p := h.Prediction; p != nil {
		got.Predict = map[bool]string{true: "accept", false: "reject"}[p.Accept]
		got.Summary, got.Failed, got.PredErr = p.Summary, p.Failed, p.Error
		if p.Error != "" {
			got.Predict = "none"
		}
	}
	got.Agrees = h.Agrees != nil && *h.Agrees
	return got
}

// PyJWT without an audience configured refuses every token that carries
// aud (jwt/api_jwt.py _validate_aud: "Invalid audience"), and takes one
// without; the pyjwt profile says so (UnsetRejectPresent), and the hop
// that declares no audience is predicted that way.
func TestPyJWTWithoutAnAudience(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil || exec.Command(python, "-c", "import jwt, cryptography").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("PyJWT is not installed for /usr/bin/python3: apt-get install python3-jwt python3-cryptography")
		}
		t.Skip("PyJWT is not installed for /usr/bin/python3 (apt-get install python3-jwt)")
	}
	u := newUser(t)
	a := startMatrixAuthority(t, u)
	cmd := exec.Command(python, "-u", filepath.Join("validators", "pyjwt_server.py"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "API_ISSUER=" + a.URL, "API_JWKS_URI=" + a.JWKSURI}
	base, _ := startServer(t, "pyjwt", cmd)
	file := filepath.Join(t.TempDir(), "chain.yaml")
	yaml := fmt.Sprintf("hops:\n  - name: pyjwt\n    url: %s/api\n    rules:\n      validator: pyjwt\n      authority: %s\n      issuer: %s\n      algs: RS256\n", base, a.URL, a.URL)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tok    tokenCase
		accept bool
	}{
		{tokenCase{Name: "with aud", Args: func(*matrixAuthority) []string { return nil }}, false},
		{tokenCase{Name: "without aud", Aud: []string{}, Args: func(*matrixAuthority) []string { return nil }}, true},
	} {
		got := runMatrixCell(t, u, a, c.tok, file)
		if (got.Verdict == "accepted") != c.accept || got.Predict != map[bool]string{true: "accept", false: "reject"}[c.accept] || !got.Agrees {
			t.Errorf("%s: server %s %d (%s), prediction %s %v", c.tok.Name, got.Verdict, got.Status, got.Body, got.Predict, got.Failed)
		}
	}
}
