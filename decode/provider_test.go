package decode

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Tokens shaped as the providers issue them (claims copied from the corpus
// in testdata/real, signatures replaced).
func TestExplainsJWEHeadersAsKeyManagement(t *testing.T) {
	// RFC 7516 appendix A.1's header, with a kid.
	jwe := enc(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rcpt-1"}`) + ".a2V5.aXY.Y3Q.dGFn"
	tk := mustParse(t, jwe)
	alg := tk.ExplainHeader("alg", "RSA-OAEP")
	if strings.Contains(alg, "PKCS#1 v1.5") || strings.Contains(alg, "SHA-A") || !strings.Contains(alg, "RSAES-OAEP") {
		t.Errorf("alg RSA-OAEP explained as %q", alg)
	}
	if kid := tk.ExplainHeader("kid", "rcpt-1"); strings.Contains(kid, "signed") || !strings.Contains(kid, "recipient") {
		t.Errorf("a JWE's kid explained as %q", kid)
	}
	if e := tk.ExplainHeader("enc", "A256GCM"); !strings.Contains(e, "AES-256-GCM") {
		t.Errorf("enc A256GCM explained as %q", e)
	}
	for alg, want := range map[string]string{
		"RSA-OAEP-256":       "SHA-256",
		"RSA1_5":             "PKCS#1 v1.5",
		"A128KW":             "AES-128 key wrap",
		"A256KW":             "AES-256 key wrap",
		"dir":                "shared symmetric key",
		"ECDH-ES":            "ephemeral",
		"ECDH-ES+A256KW":     "AES-256 key wrap",
		"A128GCMKW":          "AES-128-GCM",
		"PBES2-HS256+A128KW": "password",
	} {
		if got := tk.ExplainHeader("alg", alg); !strings.Contains(got, want) {
			t.Errorf("JWE alg %s explained as %q, want it to mention %q", alg, got, want)
		}
	}
	for enc, want := range map[string]string{"A128CBC-HS256": "AES-128-CBC with HMAC SHA-256", "A128GCM": "AES-128-GCM", "A256CBC-HS512": "HMAC SHA-512"} {
		if got := tk.ExplainHeader("enc", enc); !strings.Contains(got, want) {
			t.Errorf("enc %s explained as %q, want %q", enc, got, want)
		}
	}
	// A JWS keeps its signature vocabulary.
	jws := mustParse(t, tok(`{"alg":"RS256","kid":"k1"}`, `{"iss":"https://i","exp":1795777331}`))
	if kid := jws.ExplainHeader("kid", "k1"); !strings.Contains(kid, "signed") {
		t.Errorf("a JWS's kid explained as %q", kid)
	}
	if alg := jws.ExplainHeader("alg", "RS256"); alg != "RSA PKCS#1 v1.5 with SHA-256" {
		t.Errorf("RS256 explained as %q", alg)
	}
}

func TestProviderClaimsAreExplainedOnlyForThatProvider(t *testing.T) {
	exp := itoa(now.Add(time.Hour).Unix())
	okta := mustParse(t, tok(`{"alg":"RS256"}`, `{"ver":1,"iss":"https://auth-js-test.okta.com","cid":"c","uid":"u","exp":`+exp+`}`))
	azure := mustParse(t, tok(`{"alg":"RS256"}`, `{"ver":"1.0","iss":"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/","tid":"t","exp":`+exp+`}`))
	plain := mustParse(t, tok(`{"alg":"RS256"}`, `{"ver":1,"iss":"https://issuer.example","tid":"t","exp":`+exp+`}`))
	if okta.Provider != ProviderOkta || azure.Provider != ProviderAzureAD || plain.Provider != "" {
		t.Fatalf("providers: okta %q, azure %q, plain %q", okta.Provider, azure.Provider, plain.Provider)
	}
	if e := okta.ExplainClaim("ver"); strings.Contains(e, "Azure") || !strings.Contains(e, "Okta") {
		t.Errorf("Okta's ver explained as %q", e)
	}
	if e := azure.ExplainClaim("ver"); !strings.Contains(e, "Azure AD") {
		t.Errorf("Azure's ver explained as %q", e)
	}
	if e := plain.ExplainClaim("ver"); strings.Contains(e, "Azure") || strings.Contains(e, "Okta") {
		t.Errorf("an unknown issuer's ver explained as %q", e)
	}
	if e := plain.ExplainClaim("tid"); strings.Contains(e, "Azure") {
		t.Errorf("an unknown issuer's tid explained as %q", e)
	}
	if e := okta.ExplainClaim("cid"); !strings.Contains(e, "Okta") {
		t.Errorf("Okta's cid explained as %q", e)
	}
}

func TestDetectsProvidersFromTheirIssuers(t *testing.T) {
	exp := itoa(now.Add(time.Hour).Unix())
	for iss, want := range map[string]Provider{
		"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0": ProviderAzureAD,
		"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/":               ProviderAzureAD,
		"https://dev-123.okta.com/oauth2/default":                                     ProviderOkta,
		"https://dev-123.oktapreview.com":                                             ProviderOkta,
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PDsy6i0Bf":             ProviderCognito,
		"https://accounts.google.com":                                                 ProviderGoogle,
		"accounts.google.com":                                                         ProviderGoogle,
		"https://securetoken.google.com/my-project":                                   ProviderFirebase,
		"http://localhost:8080/realms/master":                                         ProviderKeycloak,
		"https://sso.example/auth/realms/dev":                                         ProviderKeycloak,
		"https://tenant.eu.auth0.com/":                                                ProviderAuth0,
		"https://evil.example/login.microsoftonline.com":                              "",
		"https://okta.com.evil.example":                                               "",
	} {
		tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"iss":"`+iss+`","exp":`+exp+`}`))
		if tk.Provider != want {
			t.Errorf("iss %s: provider %q, want %q", iss, tk.Provider, want)
		}
	}
	// Azure AD without a recognisable issuer still has tid and its own claims.
	tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","oid":"x","exp":`+exp+`}`))
	if tk.Provider != ProviderAzureAD {
		t.Errorf("tid and oid: provider %q", tk.Provider)
	}
}

func TestTokenUseFromTheProvidersOwnTypeClaims(t *testing.T) {
	exp := itoa(now.Add(time.Hour).Unix())
	kc := `"iss":"http://localhost:8085/realms/OSSS","azp":"osss-client","exp":` + exp
	tests := []struct {
		name, header, claims string
		use                  Use
		code                 string // a diagnostic that must be there
		not                  string // text no diagnostic may say
	}{
		{"a Keycloak refresh token", `{"alg":"HS512"}`, `{` + kc + `,"aud":"http://localhost:8085/realms/OSSS","typ":"Refresh","scope":"openid email"}`, UseRefresh, "", "access token"},
		{"a Keycloak offline token", `{"alg":"HS512"}`, `{` + kc + `,"typ":"Offline","scope":"openid offline_access"}`, UseRefresh, "", "access token"},
		{"a Keycloak access token", `{"alg":"RS256"}`, `{` + kc + `,"typ":"Bearer","scope":"openid"}`, UseAccess, CodeAccessToken, ""},
		{"a Keycloak ID token", `{"alg":"RS256"}`, `{` + kc + `,"aud":"osss-client","typ":"ID"}`, UseID, CodeIDToken, ""},
		{"a Keycloak logout token", `{"alg":"RS256"}`, `{` + kc + `,"typ":"Logout","events":{}}`, UseLogout, "", "access token"},
		{"a Cognito ID token", `{"alg":"RS256"}`, `{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x","aud":"c","token_use":"id","exp":` + exp + `}`, UseID, CodeIDToken, ""},
		{"a Cognito access token", `{"alg":"RS256"}`, `{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x","client_id":"c","token_use":"access","scope":"aws.cognito.signin.user.admin","exp":` + exp + `}`, UseAccess, CodeAccessToken, "named in aud"},
		{"an RFC 9068 access token", `{"alg":"RS256","typ":"at+jwt"}`, `{"iss":"https://i","aud":"api","exp":` + exp + `}`, UseAccess, CodeAccessToken, ""},
		{"a token_type refresh claim", `{"alg":"HS256"}`, `{"iss":"https://i","token_type":"refresh","exp":` + exp + `}`, UseRefresh, "", "access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := mustParse(t, tok(tt.header, tt.claims))
			if tk.Use != tt.use {
				t.Errorf("use %q, want %q", tk.Use, tt.use)
			}
			if tt.code != "" && !hasCode(tk, tt.code) {
				t.Errorf("no %s; got %v", tt.code, codes(tk))
			}
			for _, d := range tk.Diagnostics {
				if tt.not != "" && strings.Contains(d.Message, tt.not) {
					t.Errorf("%s says %q", d.Code, d.Message)
				}
				if d.Code == CodeIDToken && tt.use != UseID || d.Code == CodeAccessToken && tt.use != UseAccess {
					t.Errorf("%s on a %s token: %s", d.Code, tt.use, d.Message)
				}
			}
		})
	}
}

func TestAnAccessTokenWithoutAudIsNotSaidToNameAnAPI(t *testing.T) {
	tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"iss":"https://i","scope":"read","exp":`+itoa(now.Add(time.Hour).Unix())+`}`))
	for _, d := range tk.Diagnostics {
		if d.Code == CodeAccessToken && strings.Contains(d.Message, "named in aud") {
			t.Errorf("%s", d.Message)
		}
	}
}

func TestCognitoKidsInStandardBase64AreNotSuspicious(t *testing.T) {
	good := `{"iss":"https://i","exp":` + itoa(now.Add(time.Hour).Unix()) + `}`
	for _, kid := range []string{"4PQh+BZTLdEQdyC6oEayRCrEcnQCIxjlVEm1UwdagfM=", "6JtAZLNtR+HCL+Cqwgd3h77ONYacNEuc/wIGyhH3p9M=", "a/b"} {
		if tk := mustParse(t, tok(`{"alg":"RS256","kid":"`+kid+`"}`, good)); hasCode(tk, CodeKidSuspect) {
			t.Errorf("kid %s flagged: %v", kid, tk.Diagnostics)
		}
	}
	for _, kid := range []string{"../../dev/null", "/etc/passwd", `..\\keys\\k`, "x' UNION SELECT 'key", `k\"--`, "k; DROP TABLE keys", "k/*x*/", "k\\u0000"} {
		if tk := mustParse(t, tok(`{"alg":"RS256","kid":"`+kid+`"}`, good)); !hasCode(tk, CodeKidSuspect) {
			t.Errorf("kid %s not flagged", kid)
		}
	}
}

func TestATruncatedSignatureIsNotBlamedOnTheKey(t *testing.T) {
	good := `{"iss":"https://i","exp":` + itoa(now.Add(time.Hour).Unix()) + `}`
	sig := func(alg string, n int) *Token {
		return mustParse(t, enc(`{"alg":"`+alg+`"}`)+"."+enc(good)+"."+enc(strings.Repeat("s", n)))
	}
	msg := func(tk *Token) string {
		var m []string
		for _, d := range tk.Diagnostics {
			if d.Code == CodeSigLength {
				m = append(m, string(d.Severity)+": "+d.Message)
			}
		}
		return strings.Join(m, "; ")
	}
	if m := msg(sig("RS256", 202)); strings.Contains(m, "bits") && strings.Contains(m, "has only") || !strings.Contains(m, "truncated") || !strings.Contains(m, "202 bytes") || !strings.Contains(m, "256") {
		t.Errorf("RS256 with 202 bytes: %s", m)
	}
	if m := msg(sig("PS384", 300)); !strings.Contains(m, "truncated") {
		t.Errorf("PS384 with 300 bytes: %s", m)
	}
	for _, n := range []int{256, 384, 512} {
		if m := msg(sig("RS256", n)); m != "" {
			t.Errorf("RS256 with %d bytes: %s", n, m)
		}
	}
	if m := msg(sig("RS256", 128)); !strings.Contains(m, "1024") || strings.Contains(m, "truncated") {
		t.Errorf("RS256 with a 1024-bit key: %s", m)
	}
	if m := msg(sig("ES384", 90)); !strings.Contains(m, "truncated") {
		t.Errorf("ES384 with 90 bytes: %s", m)
	}
	// A token cut off inside its signature: the last part has a length no
	// base64 text can have.
	full := enc(`{"alg":"RS256"}`) + "." + enc(good) + "." + enc(strings.Repeat("s", 256))
	for _, n := range []int{1, 2} {
		cut := mustParse(t, full[:len(full)-n])
		found := false
		for _, d := range cut.Diagnostics {
			if (d.Code == CodeBase64 || d.Code == CodeSigLength) && strings.Contains(d.Message, "truncated") {
				found = true
			}
			if strings.Contains(d.Message, "has only") {
				t.Errorf("%s", d.Message)
			}
		}
		if !found {
			t.Errorf("a token cut %d characters short: %v", n, cut.Diagnostics)
		}
	}
}

func TestOIDCAndProviderClaimsHaveExplanations(t *testing.T) {
	exp := itoa(now.Add(time.Hour).Unix())
	generic := mustParse(t, tok(`{"alg":"RS256"}`, `{"iss":"https://i","exp":`+exp+`}`))
	for _, c := range []string{"gender", "birthdate", "profile", "website", "address", "zoneinfo", "locale", "phone_number_verified", "updated_at", "middle_name", "nickname", "preferred_username", "azp", "sid", "acr", "auth_time"} {
		if generic.ExplainClaim(c) == "" {
			t.Errorf("OIDC claim %s has no explanation", c)
		}
	}
	for provider, claims := range map[string][]string{
		`{"iss":"https://sts.windows.net/t/","tid":"t"}`:                    {"acct", "platf", "puid", "signin_state", "xms_st", "app_displayname", "idtyp", "uti", "rh", "wids", "tenant_region_scope"},
		`{"iss":"https://securetoken.google.com/p"}`:                        {"firebase", "user_id", "auth_time"},
		`{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x"}`: {"custom:tenant", "identities", "cognito:groups", "cognito:username", "token_use", "origin_jti", "event_id"},
		`{"iss":"http://localhost:8080/realms/master"}`:                     {"typ", "azp", "session_state", "sid", "realm_access", "resource_access", "allowed-origins", "acr"},
	} {
		var c map[string]any
		_ = json.Unmarshal([]byte(provider), &c)
		tk := mustParse(t, tok(`{"alg":"RS256"}`, strings.TrimSuffix(provider, "}")+`,"exp":`+exp+`}`))
		for _, name := range claims {
			if tk.ExplainClaim(name) == "" {
				t.Errorf("%s: claim %s has no explanation", tk.Provider, name)
			}
		}
	}
}

func TestJSONCarriesProviderUseAndExplanations(t *testing.T) {
	tk := mustParse(t, tok(`{"alg":"RS256","kid":"k1"}`, `{"iss":"https://auth-js-test.okta.com","ver":1,"nonce":"n","exp":`+itoa(now.Add(time.Hour).Unix())+`}`))
	b, err := json.Marshal(tk)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Provider string
		Use      string
		Explain  struct{ Header, Claims map[string]string }
		Header   map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Provider != "okta" || got.Use != "id_token" || !strings.Contains(got.Explain.Claims["ver"], "Okta") || got.Explain.Header["kid"] == "" || got.Header["kid"] != "k1" {
		t.Errorf("%s", b)
	}
}
