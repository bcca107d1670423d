package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/chain"
)

// exchange asks the world's authority, as client id with secret, for a
// token for aud in place of subject (RFC 8693 §2.1). It returns the
// status, the issued token and the OAuth error code.
func exchange(t *testing.T, w *World, id, secret, aud, subject string) (int, string, string) {
	t.Helper()
	form := url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {subject},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"audience":           {aud},
	}
	req, err := http.NewRequest(http.MethodPost, w.Authority+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return resp.StatusCode, body.AccessToken, body.Error
}

func status(t *testing.T, target, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The world's authority lets workouts exchange the user's token for one
// meant for billing, and billing for one meant for reports, with the
// secret the story exports, and nothing else: billing accepts its
// exchanged token, and reports, misconfigured, rejects the token meant
// for it.
func TestWorldExchanges(t *testing.T) {
	t.Parallel()
	w, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	user, err := w.Mint(map[string]any{"sub": User, "aud": Audience, "scope": "workouts.read", "client_id": ClientID})
	if err != nil {
		t.Fatal(err)
	}
	if got := status(t, w.Service("billing").Endpoint(), user); got != http.StatusUnauthorized {
		t.Fatalf("billing answered %d to the user's token, want 401", got)
	}
	code, forBilling, oerr := exchange(t, w, "workouts", w.Secret, BillingAudience, user)
	if code != 200 {
		t.Fatalf("workouts' exchange for billing: %d %s", code, oerr)
	}
	if got := status(t, w.Service("billing").Endpoint(), forBilling); got != http.StatusOK {
		t.Errorf("billing answered %d to the token exchanged for it, want 200", got)
	}
	code, forReports, oerr := exchange(t, w, "billing", w.Secret, ReportsAudience, forBilling)
	if code != 200 {
		t.Fatalf("billing's exchange for reports: %d %s", code, oerr)
	}
	if got := status(t, w.Service("reports").Endpoint(), forReports); got != http.StatusUnauthorized {
		t.Errorf("reports answered %d to the token meant for it, want 401 (it is misconfigured)", got)
	}
	// The policy narrows each service to the one it calls.
	if code, _, oerr := exchange(t, w, "workouts", w.Secret, ReportsAudience, user); code != 400 || oerr != "invalid_target" {
		t.Errorf("workouts' exchange for reports: %d %s, want 400 invalid_target", code, oerr)
	}
	if code, _, oerr := exchange(t, w, "workouts", w.Secret+"x", BillingAudience, user); code != 401 || oerr != "invalid_client" {
		t.Errorf("a wrong secret: %d %s, want 401 invalid_client", code, oerr)
	}
	// The secret is the one the printed commands export.
	if !strings.Contains(strings.Join(w.Env(), "\n"), SecretEnv+"="+w.Secret) {
		t.Errorf("Env() %q lacks %s", w.Env(), SecretEnv)
	}
}

// The exchange file the demo writes is the chain file's hops with an
// exchange: before billing (by workouts) and reports (by billing), its
// secret from ${SERVICE_SECRET}, never written in the file.
func TestWorldExchangeFile(t *testing.T) {
	t.Parallel()
	w, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			w.Close()
		}
	}()
	data, err := os.ReadFile(w.ExchangeFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), w.Secret) || !strings.Contains(string(data), "${"+SecretEnv+"}") {
		t.Errorf("the secret is not taken from ${%s}:\n%s", SecretEnv, data)
	}
	getenv := func(n string) (string, bool) {
		if n == SecretEnv {
			return w.Secret, true
		}
		return "", false
	}
	hops, err := chain.ParseFile(w.ExchangeFile, data, getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, by, aud string }{{"workouts", "", ""}, {"workout-log", "", ""}, {"billing", "workouts", BillingAudience}, {"reports", "billing", ReportsAudience}}
	if len(hops) != len(want) {
		t.Fatalf("%d hops", len(hops))
	}
	for i, h := range hops {
		x := h.Exchange
		switch {
		case want[i].by == "" && x != nil:
			t.Errorf("hop %s exchanges", h.Name)
		case want[i].by != "" && (x == nil || x.Mode != chain.ModeTokenExchange || x.ClientID != want[i].by || x.ClientSecret != w.Secret ||
			x.Authority != w.Authority || len(x.Audiences) != 1 || x.Audiences[0] != want[i].aud):
			t.Errorf("hop %s: exchange %+v", h.Name, x)
		}
		if h.Name != want[i].name {
			t.Errorf("hop %d is %s, want %s", i+1, h.Name, want[i].name)
		}
	}
	closed = true
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.ExchangeFile); !os.IsNotExist(err) {
		t.Errorf("the exchange file outlives the demo: %v", err)
	}
}
