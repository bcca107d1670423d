package chain

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

// answering is a server that answers every request with status and, when
// not empty, a WWW-Authenticate: the shape of a library's refusal, so that
// the tests can give a hop the answer its validator would, or not.
func answering(t *testing.T, status int, challenge string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if challenge != "" {
			w.Header().Set("WWW-Authenticate", challenge)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func validatorHop(url, validator, iss, aud string) *Hop {
	return &Hop{Method: "GET", URL: url, Rules: NewRules(verify.Policy{
		Authority: verify.Some(iss), Issuer: verify.List(iss), Audience: verify.List(aud), Validator: verify.Some(validator),
	})}
}

func TestARefusalUnlikeTheValidatorsIsNoted(t *testing.T) {
	a := authoritytest.Start(t)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://other"})
	for _, tc := range []struct {
		name, validator string
		status          int
		challenge       string
		note            string // "" for none
	}{
		{"express-jwt sends no challenge", "express-jwt", 401, `Bearer error="invalid_token"`,
			"express-jwt sends no WWW-Authenticate, this server did"},
		{"express-jwt as it answers", "express-jwt", 401, "", ""},
		{"envoy answers 403 for an audience", "envoy", 401, `Bearer realm="x", error="invalid_token"`,
			"envoy answers 403 here, this server 401"},
		{"envoy as it answers", "envoy", 403, `Bearer realm="x", error="invalid_token"`, ""},
		{"aspnetcore names the error", "aspnetcore", 401, "", "aspnetcore sends a Bearer WWW-Authenticate, this server sent none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := validatorHop(answering(t, tc.status, tc.challenge), tc.validator, a.Issuer, "api://workouts")
			res := metaRunner(token).Hop(context.Background(), 1, h)
			if res.Prediction == nil || res.Prediction.Accept || res.Prediction.Validator != tc.validator {
				t.Fatalf("prediction %+v", res.Prediction)
			}
			if res.Agrees == nil || !*res.Agrees {
				t.Fatalf("agrees %v, notes %q", res.Agrees, res.Notes)
			}
			// The cause comes from the hop's rules whatever the server
			// says (express-jwt says nothing).
			if res.Cause == nil || res.Cause.Claim != "aud" || res.Cause.From != "rules" {
				t.Errorf("cause %+v", res.Cause)
			}
			got := strings.Join(res.Notes, "\n")
			if tc.note == "" && strings.Contains(got, "does not look like") {
				t.Errorf("a refusal in %s's own shape is noted: %q", tc.validator, got)
			}
			if tc.note != "" && !strings.Contains(got, tc.note) || tc.note != "" && !strings.Contains(got, "the service may not run "+tc.validator) {
				t.Errorf("notes %q, want %q", got, tc.note)
			}
		})
	}
}

func TestAValidatorsDefaultThatDecidedIsSaid(t *testing.T) {
	a := authoritytest.Start(t)
	exp := time.Now().Add(-2 * time.Minute).Unix()
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "iat": exp - 3600, "exp": exp})
	ok := answering(t, 200, "")
	res := metaRunner(token).Hop(context.Background(), 1, validatorHop(ok, "aspnetcore", a.Issuer, "api://workouts"))
	if p := res.Prediction; p == nil || !p.Accept || res.Agrees == nil || !*res.Agrees {
		t.Fatalf("prediction %+v, agrees %v", res.Prediction, res.Agrees)
	}
	if got := strings.Join(res.Prediction.Because, "; "); got != "aspnetcore accepts tokens up to 5m0s past exp (ClockSkew)" {
		t.Errorf("because %q", got)
	}
	// The same token at a go-oidc hop: rejected, and said why.
	res = metaRunner(token).Hop(context.Background(), 1, validatorHop(ok, "go-oidc", a.Issuer, "api://workouts"))
	if p := res.Prediction; p == nil || p.Accept || res.Agrees == nil || *res.Agrees {
		t.Fatalf("go-oidc: prediction %+v, agrees %v", res.Prediction, res.Agrees)
	}
	if got := strings.Join(res.Prediction.Because, "; "); !strings.Contains(got, "go-oidc allows no clock skew on exp") {
		t.Errorf("go-oidc because %q", got)
	}
}
