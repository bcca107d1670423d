package explain

import (
	"strconv"

	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/verify"
)

func say(text string) func(Surface, verify.Params) string {
	return func(Surface, verify.Params) string { return text }
}

// adviceText renders each advice code; "" where the surface has no words
// for it (a flag chain does not have).
var adviceTextOnce lazy.Value[map[verify.AdviceCode]func(Surface, verify.Params) string]

func adviceText() map[verify.AdviceCode]func(Surface, verify.Params) string {
	return adviceTextOnce.Get(buildAdviceText)
}

func buildAdviceText() map[verify.AdviceCode]func(Surface, verify.Params) string {
	return map[verify.AdviceCode]func(Surface, verify.Params) string{
		verify.AdviceDecrypt: func(s Surface, _ verify.Params) string {
			return "an encrypted token must be decrypted by its recipient first; " + s.words("jwtrace verify checks signed tokens", "only signed tokens can be checked", "only signed tokens are accepted")
		},
		verify.AdviceTokenCut:     say("the token was cut or its signature stripped"),
		verify.AdviceRefusedKey:   say("jwtrace never verifies with a key it refused; the issuer must sign with a sound key"),
		verify.AdviceKidUnknown:   say("the token may come from another authority or tenant, or its key was removed; kid values are only compared, never used as paths or queries"),
		verify.AdviceKeyConfusion: say("an HMAC token checked against an issuer's public keys is the RS256-to-HS256 key confusion attack (RFC 8725 §2.1): a public key's bytes are never an HMAC secret, so treat this token as forged"),
		verify.AdviceFixKeySet:    say("a kid must name one key (RFC 7517 §4.5); fix the key set"),
		verify.AdviceCopyWhole:    say("copy the whole token: logs, terminals and headers of limited size cut long tokens"),
		verify.AdviceExtraData:    say("the signature part holds extra data: the token was joined with other text or altered"),
		verify.AdviceTokenCarriesKey: func(s Surface, _ verify.Params) string {
			return "the token names or carries its own key (jwk/jku/x5u/x5c); jwtrace never trusts those, only the keys " + s.words("you gave", "the hop declares", "configured")
		},
		verify.AdviceGraphToken:    say("a Graph token is for Graph, not for your API: request a token for your own API (its aud), which you can verify"),
		verify.AdviceAltered:       say("the token was altered after signing, or signed by another key with the same kid"),
		verify.AdviceSlashInToken:  say("the token's issuer has a trailing slash the rule lacks; issuers are compared exactly"),
		verify.AdviceSlashInRule:   say("the rule has a trailing slash the token's issuer lacks; issuers are compared exactly"),
		verify.AdviceIssuerCase:    say("the issuer differs only in letter case; issuers are compared exactly"),
		verify.AdviceTemplateNoTid: say("the issuer rule is a {tenantid} template, but the token has no tid claim"),
		verify.AdviceOtherTenant: func(s Surface, p verify.Params) string {
			return "the token comes from another Azure AD tenant (" + p.Get("tenant") + "); for multi-tenant apps " + s.words(
				"use --issuer 'https://login.microsoftonline.com/{tenantid}/v2.0' with --tenant",
				"use issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' with tenant:",
				"the issuer rule must be a {tenantid} template with a list of tenants")
		},
		verify.AdviceIDToken: func(_ Surface, p verify.Params) string {
			return "this looks like an ID token (it has " + p.Get("claim") + "); APIs usually want the access token"
		},
		verify.AdviceIDTokenNoScope: func(_ Surface, p verify.Params) string {
			return "this looks like an ID token (it has " + p.Get("claim") + " and no scope); APIs usually want the access token"
		},
		verify.AdviceAudSlash: say("the audiences differ only by a trailing slash; audiences are compared exactly"),
		verify.AdviceAzureClientID: func(s Surface, p verify.Params) string {
			a := p.Get("aud")
			return "Azure AD v2 access tokens carry the API's application (client) ID as aud, not its api:// URI; " + s.words(
				"add --audience "+a+" if that is your API",
				"add "+a+" to audience: if that is your API",
				"accept "+a+" as an audience if that is your API")
		},
		verify.AdviceAzureScope: func(_ Surface, p verify.Params) string {
			return "this token was issued for another API: request one with scope " + p.Get("scope")
		},
		verify.AdviceRequestFor: func(_ Surface, p verify.Params) string {
			return "this token was issued for another API: request one for " + p.Get("api")
		},
		verify.AdviceOtherAudience: say("the token was issued for another audience; request one for this service"),
		verify.AdviceCognito:       cognito,
		verify.AdviceNewToken:      say("get a new token"),
		verify.AdviceClockAhead:    say("the issuer's clock may be ahead of this one"),
		verify.AdviceATJWT:         say("RFC 9068 access tokens have typ at+jwt; an ID token or a plain JWT does not"),
		verify.AdviceRoles:         say("app-only tokens carry roles instead of scp; check the roles claim"),
		verify.AdviceRule:          ruleAdvice,
		verify.WarnAnyTenant: func(s Surface, _ verify.Params) string {
			return "any tenant is accepted (the issuer rule is a {tenantid} template" + s.words("; --tenant limits it)", "; tenant: limits it)", ")")
		},
	}
}

// ruleAdvice points at a rule that changes the outcome, when the surface
// has it.
func ruleAdvice(s Surface, p verify.Params) string {
	rule := p.Get("rule")
	name := s.Rule(rule)
	if name == "" {
		return ""
	}
	switch rule {
	case verify.RuleAt:
		return name + " TIME checks it at an earlier moment"
	case verify.RuleLeeway:
		return name + " allows for skew"
	case verify.RuleAllowNoExp:
		if s == YAML {
			return name + " true accepts tokens without expiry"
		}
		return name + " accepts tokens without expiry"
	case verify.RuleAllowWeakSecret:
		return name + " verifies anyway"
	}
	return name + " changes this"
}

// cognito advises checking client_id instead of aud (AWS Cognito access
// tokens carry none).
func cognito(s Surface, p verify.Params) string {
	who := "access tokens with token_use access (AWS Cognito's kind) have"
	if p.Get("cognito") != "" {
		who = "AWS Cognito access tokens have"
	}
	client := p.Get("client")
	arg := client
	if p.Get("safe") == "" {
		arg = "APP_CLIENT_ID" // a hostile value is never offered as a command
	}
	return who + " no aud: the app client is in client_id. If " + strconv.Quote(client) + " is your app client, check it instead: " + s.words(
		"--skip-audience --require client_id="+arg+" --require token_use=access",
		"leave audience: out and declare require: [client_id="+arg+", token_use=access]",
		"require client_id and token_use=access instead of an audience")
}
