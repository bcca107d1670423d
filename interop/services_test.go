package interop

// Loopback APIs ("resource servers") that validate bearer tokens against
// an authority, for `jwtrace chain` tests: a client calls service A with a
// token, A validates it and calls B with the same token. The chain tests
// (chain_test.go) send an authority's token through them; TestServices
// below checks the services themselves.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Service is a loopback API that accepts a request only with a bearer
// token that `jwtrace verify --authority <its authority> --audience
// <Audience>` accepts: the issuer, signature, audience and times rules an
// API of that authority applies. It answers 200 with
// {"service", "sub"}; 401 with a WWW-Authenticate challenge (RFC 6750
// error="invalid_token" and verify's summary as error_description) when
// the token is missing or rejected; 503 when the authority cannot be
// reached. With a next service it forwards the accepted request, same
// token, and answers with the downstream's status (502 if that is not
// 2xx) and {"service", "sub", "downstream": {"service", "status",
// "www_authenticate", "body"}}.
type Service struct {
	Name, URL, Audience string
}

// startService starts a Service on 127.0.0.1 for the test; next may be
// nil.
func startService(t *testing.T, a *Authority, name, audience string, next *Service) *Service {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Service{Name: name, Audience: audience}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", name))
			writeJSON(w, http.StatusUnauthorized, map[string]any{"service": name, "error": "no bearer token"})
			return
		}
		ok, sub, why := s.verify(r.Context(), a, cache, tok)
		switch {
		case ok:
		case why == "":
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"service": name, "error": "cannot verify tokens now"})
			return
		default:
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q, error=\"invalid_token\", error_description=%q", name, why))
			writeJSON(w, http.StatusUnauthorized, map[string]any{"service": name, "error": why})
			return
		}
		body := map[string]any{"service": name, "sub": sub}
		if next == nil {
			writeJSON(w, http.StatusOK, body)
			return
		}
		status, down := forward(r.Context(), next, tok)
		body["downstream"] = down
		if status/100 != 2 {
			status = http.StatusBadGateway
		}
		writeJSON(w, status, body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.URL = "http://" + ln.Addr().String() + "/"
	return s
}

// verify runs jwtrace verify --json on tok; why is verify's summary for a
// rejected token, empty when verify could not complete.
func (s *Service) verify(ctx context.Context, a *Authority, cache, tok string) (ok bool, sub, why string) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, jwtraceBin, "verify", "--json", "--authority", a.Issuer, "--audience", s.Audience)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "JWTRACE_CACHE_DIR=" + cache, "NO_COLOR=1"}
	cmd.Stdin = strings.NewReader(tok)
	setProcAttr(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch exitCode(err) {
	case 0, 1:
		var v struct {
			Valid   bool   `json:"valid"`
			Summary string `json:"summary"`
			Sub     string `json:"sub"`
		}
		if json.Unmarshal(stdout.Bytes(), &v) != nil {
			return false, "", ""
		}
		return v.Valid, v.Sub, v.Summary
	case 2: // not a token at all
		return false, "", strings.TrimSpace(strings.TrimPrefix(stderr.String(), "jwtrace: "))
	default:
		return false, "", ""
	}
}

func forward(ctx context.Context, next *Service, tok string) (int, map[string]any) {
	down := map[string]any{"service": next.Name}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, next.URL, nil)
	if err != nil {
		down["error"] = err.Error()
		return http.StatusBadGateway, down
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		down["error"] = err.Error()
		return http.StatusBadGateway, down
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	down["status"] = resp.StatusCode
	down["www_authenticate"] = resp.Header.Get("WWW-Authenticate")
	var body any
	if json.Unmarshal(b, &body) == nil {
		down["body"] = body
	}
	return resp.StatusCode, down
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// TestServices checks the services the chain tests will use, against
// oidc-provider: A (https://orders.example) forwards to B, which accepts
// https://orders.example or, in the second chain, only
// https://billing.example.
func TestServices(t *testing.T) {
	t.Parallel()
	a := startOIDCProvider(t)
	u := newUser(t)
	orders := a.Token(t, u, "https://orders.example")

	call := func(s *Service, tok string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, body
	}

	b := startService(t, a, "B", "https://orders.example", nil)
	front := startService(t, a, "A", "https://orders.example", b)
	if status, _, body := call(front, orders); status != 200 || body["sub"] != "service" {
		t.Errorf("A→B with a token for both: %d %v", status, body)
	}
	if status, h, _ := call(front, ""); status != 401 || h.Get("WWW-Authenticate") != `Bearer realm="A"` {
		t.Errorf("A without a token: %d %v", status, h)
	}

	billing := startService(t, a, "billing", "https://billing.example", nil)
	front2 := startService(t, a, "A2", "https://orders.example", billing)
	status, _, body := call(front2, orders)
	down, _ := body["downstream"].(map[string]any)
	challenge, _ := down["www_authenticate"].(string)
	if status != 502 || down["status"] != float64(401) ||
		!strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, "(audience)") {
		t.Errorf("A→billing with a token for orders: %d %v", status, body)
	}
	if status, h, _ := call(billing, withClaim(t, orders, "aud", "https://billing.example")); status != 401 ||
		!strings.Contains(h.Get("WWW-Authenticate"), "(signature)") {
		t.Errorf("billing with a forged audience: %d %v", status, h)
	}
}
