package verify

import (
	"strings"
)

// audienceAdvice explains an audience mismatch.
func audienceAdvice(tok *token, auds, want []string) []Advice {
	one := func(code AdviceCode, k, v string) []Advice {
		a := Advice{Code: code}
		if k != "" {
			a.Params = Params{{k, v}}
		}
		return []Advice{a}
	}
	for _, name := range []string{"nonce", "at_hash", "c_hash"} {
		if tok.claims.Has(name) {
			return one(AdviceIDToken, "claim", name)
		}
	}
	// A device-flow or refreshed ID token has none of those (oidc-provider
	// sends none): a sign-in time without any scope or role is one too.
	// An RFC 9068 access token (typ at+jwt, client_id) is not one, scope
	// or not.
	accessToken := strings.Contains(strings.ToLower(tok.typ), "at+jwt") || tok.claims.Has("client_id")
	if !accessToken && !tok.claims.Has("scope") && !tok.claims.Has("scp") && !tokenHasRoles(tok.claims) {
		for _, name := range []string{"auth_time", "sid", "amr"} {
			if tok.claims.Has(name) {
				return one(AdviceIDTokenNoScope, "claim", name)
			}
		}
	}
	for _, w := range want {
		for _, a := range auds {
			if strings.TrimRight(w, "/") == strings.TrimRight(a, "/") {
				return one(AdviceAudSlash, "", "")
			}
		}
	}
	for _, a := range auds {
		if isGUID(a) {
			for _, w := range want {
				if strings.HasPrefix(w, "api://") {
					return one(AdviceAzureClientID, "aud", a)
				}
			}
		}
	}
	if len(want) > 0 {
		// Only Azure AD has the .default scope; elsewhere the way to ask
		// differs (audience=, resource=, a scope), so name the API only.
		if iss, _ := str(tok.claims.Get("iss")); strings.HasPrefix(want[0], "api://") && isAzure(iss) {
			return one(AdviceAzureScope, "scope", strings.TrimRight(want[0], "/")+"/.default")
		}
		return one(AdviceRequestFor, "api", want[0])
	}
	return one(AdviceOtherAudience, "", "")
}

// noAudienceAdvice explains a token without aud, when its issuer is known
// to leave it out.
func noAudienceAdvice(tok *token) []Advice {
	// AWS Cognito access tokens carry no aud: the app client is in
	// client_id, and token_use is "access" (AWS Cognito Developer Guide,
	// "Understanding the access token"; its ID tokens do carry aud).
	iss, _ := str(tok.claims.Get("iss"))
	use, _ := str(tok.claims.Get("token_use"))
	client, hasClient := str(tok.claims.Get("client_id"))
	cognito := strings.HasPrefix(iss, "https://cognito-idp.") && strings.Contains(iss, ".amazonaws.com/")
	if hasClient && (cognito || use == "access") {
		p := Params{{"client", client}}
		if cognito {
			p = append(p, Param{"cognito", "true"})
		}
		// A hostile value is never offered as a command.
		if shellWord(client) {
			p = append(p, Param{"safe", "true"})
		}
		return []Advice{{Code: AdviceCognito, Params: p}}
	}
	return nil
}

// shellWord reports whether s can be pasted into a shell command as it is.
func shellWord(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:/@", c)) {
			return false
		}
	}
	return true
}

// isAzure reports whether iss is an Azure AD (Entra ID) issuer, v1 or v2.
func isAzure(iss string) bool {
	t, _ := azureIssuer(iss)
	return t != ""
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}
