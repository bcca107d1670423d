package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

func TestValidatorsListsEveryProfileWithItsDefaults(t *testing.T) {
	t.Parallel()
	r := jwtrace(t, context.Background(), &ui.Streams{}, "validators")
	if r.code != ExitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.errOut)
	}
	for _, p := range verify.Profiles() {
		if !strings.Contains(r.out, p.Name+"  ") {
			t.Errorf("validators does not list %s:\n%s", p.Name, r.out)
		}
	}
	r = jwtrace(t, context.Background(), &ui.Streams{}, "validators", "--json")
	var list []struct {
		Name    string
		Summary verify.ProfileSummary
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) != len(verify.Profiles()) {
		t.Fatalf("--json: %v, %d entries:\n%s", err, len(list), r.out)
	}
	for _, e := range list {
		if e.Summary.ExpLeeway == "" || e.Summary.Exp == "" || e.Summary.Refusal == "" {
			t.Errorf("%s: summary incomplete: %+v", e.Name, e.Summary)
		}
	}
}

func TestAnUnknownValidatorIsAUsageError(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"validators", "go-oidcc"},
		{"decode", "--validator", "go-oidcc", "--file", "../testdata/tokens/access.jwt"},
	} {
		r := jwtrace(t, context.Background(), &ui.Streams{}, args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, `no validator "go-oidcc": jwtrace knows `) || !strings.Contains(r.errOut, "jwtrace") {
			t.Errorf("%v: exit %d:\n%s", args, r.code, r.errOut)
		}
	}
	r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--validator", "go-oidcc", "--key", "../testdata/keys/ec-public.pem", "--file", "../testdata/tokens/es256-no-exp.jwt")
	if r.code != ExitUsage || !strings.Contains(r.errOut, `--validator "go-oidcc" is not a validator jwtrace knows`) {
		t.Errorf("verify --validator go-oidcc: exit %d:\n%s", r.code, r.errOut)
	}
}

// A validator decides the rules the flags leave out: with one named, no
// --issuer or --audience is needed, and the report says whose default
// decided.
func TestVerifyWithAValidatorNeedsNoIssuerOrAudience(t *testing.T) {
	t.Parallel()
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/ec-public.pem", "--file", "../testdata/tokens/es256-no-exp.jwt"}
	r := jwtrace(t, context.Background(), verifyEnv(t), args...)
	if r.code != ExitUsage {
		t.Fatalf("without a validator or issuer: exit %d, want %d:\n%s", r.code, ExitUsage, r.errOut)
	}
	r = jwtrace(t, context.Background(), verifyEnv(t), append(args, "--validator", "jwtrace", "--allow-no-exp", "--json")...)
	if r.code != ExitOK {
		t.Fatalf("--validator jwtrace: exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
}

// decode --validator aspnetcore shows the claims as ASP.NET Core's inbound
// claim map hands them to the application (ClaimTypeMapping.cs@8.1.2):
// sub becomes ClaimTypes.NameIdentifier, name stays name, and
// User.Identity.Name is empty for a v2 Azure AD token (no unique_name).
func TestDecodeShowsTheClaimsAsAspNetCoreHandsThem(t *testing.T) {
	t.Parallel()
	r := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--validator", "aspnetcore", "--file", "../testdata/tokens/access.jwt")
	if r.code != ExitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.errOut)
	}
	for _, want := range []string{
		"As aspnetcore hands the claims to the application",
		"sub                → http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
		`User.Identity.Name is empty: it reads unique_name, which this token does not have; set TokenValidationParameters.NameClaimType = "name" to read another`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("decode --validator aspnetcore lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "name               → name") {
		t.Errorf("name is shown as mapped to itself:\n%s", r.out)
	}
	r = jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--validator", "aspnetcore", "--json", "--file", "../testdata/tokens/access.jwt")
	var got struct {
		Application verify.AppView `json:"application"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || got.Application.Name == nil || got.Application.Name.Value != "" || got.Application.Name.From != "unique_name" {
		t.Fatalf("--json application: %v %+v\n%s", err, got.Application, r.out)
	}
	// A library that renames nothing says so.
	r = jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--validator", "jose", "--file", "../testdata/tokens/access.jwt")
	if !strings.Contains(r.out, "jose renames no claim: the application reads them as the token has them") {
		t.Errorf("jose:\n%s", r.out)
	}
}

// verify names the validator it predicts as, in the header and in --json.
func TestVerifyNamesItsValidator(t *testing.T) {
	t.Parallel()
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/ec-public.pem", "--file", "../testdata/tokens/es256-no-exp.jwt", "--validator", "jose"}
	r := jwtrace(t, context.Background(), verifyEnv(t), args...)
	if !strings.Contains(r.out, "  validator  jose, ") || !strings.Contains(r.out, ": its defaults decide every rule not given") {
		t.Errorf("no validator line:\n%s", r.out)
	}
	r = jwtrace(t, context.Background(), verifyEnv(t), append(args, "--json")...)
	var got struct{ Validator string }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || got.Validator != "jose" {
		t.Errorf("--json validator %q (%v):\n%s", got.Validator, err, r.out)
	}
}
