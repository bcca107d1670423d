package decode

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// Severity ranks a diagnostic.
type Severity string

const (
	SevError   Severity = "error"   // the token is broken or must be rejected
	SevWarning Severity = "warning" // legal, but likely to cause trouble
	SevInfo    Severity = "info"    // worth knowing
)

// Diagnostic is one finding about a token. Codes are stable and documented
// in the README; messages are for people and may change.
type Diagnostic struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Diagnostic codes.
const (
	CodeParts        = "parts"           // wrong number of dot-separated parts
	CodeTooLarge     = "too-large"       // the token is larger than MaxTokenBytes
	CodeTooDeep      = "too-deep"        // JSON or nested JWTs nested too deep
	CodeBase64       = "bad-base64"      // a part is not base64url
	CodePadded       = "base64-padded"   // "=" padding in a part
	CodeStdAlphabet  = "base64-std"      // "+" or "/" in a part
	CodeHeaderJSON   = "header-not-json" // the header is not a JSON object
	CodeClaimsJSON   = "claims-not-json" // the payload is not a JSON object
	CodeInvalidUTF8  = "invalid-utf8"    // JSON text with invalid UTF-8
	CodeDuplicateKey = "duplicate-key"   // a JSON key occurs twice
	CodeNoAlg        = "no-alg"          // the header has no usable alg
	CodeAlgNone      = "alg-none"        // alg "none" in any letter case
	CodeNoEnc        = "no-enc"          // five parts but no enc
	CodeJWEPart      = "jwe-empty-part"  // empty IV, ciphertext or tag
	CodeEncrypted    = "encrypted"       // JWE: payload encrypted
	CodeNested       = "nested"          // cty JWT: a nested token
	CodeSigLength    = "signature-length"
	CodeNoSignature  = "no-signature"   // empty signature part on a JWS
	CodeCrit         = "crit"           // crit header present
	CodeB64False     = "b64-false"      // RFC 7797 unencoded payload
	CodeKeyURL       = "untrusted-key"  // jku, x5u or jwk in the header
	CodeX5C          = "x5c"            // certificate chain in the header
	CodeKidSuspect   = "kid-suspicious" // kid with path or SQL metacharacters
	CodeHeaderNonce  = "header-nonce"   // Microsoft Graph style access token
	CodeNoExp        = "no-exp"
	CodeLongLifetime = "long-lifetime"
	CodeTimeType     = "time-not-number" // a NumericDate claim that is not a number
	CodeTimeMillis   = "time-in-millis"  // a NumericDate in milliseconds
	CodeTimeRange    = "time-out-of-range"
	CodeTimeOrder    = "time-order" // exp before iat, nbf after exp, ...
	CodeIatFuture    = "iat-future"
	CodeAudString    = "aud-string"
	CodeAudArray     = "aud-array"
	CodeAudEmpty     = "aud-empty"
	CodeAudType      = "aud-type"
	CodeIDToken      = "id-token"
	CodeAccessToken  = "access-token"
	CodeNoIss        = "no-iss"
)

// AllCodes lists every diagnostic code, for documentation and its test.
var AllCodes = []string{
	CodeParts,
	CodeTooLarge,
	CodeTooDeep,
	CodeBase64,
	CodePadded,
	CodeStdAlphabet,
	CodeHeaderJSON,
	CodeClaimsJSON,
	CodeInvalidUTF8,
	CodeDuplicateKey,
	CodeNoAlg,
	CodeAlgNone,
	CodeNoEnc,
	CodeJWEPart,
	CodeEncrypted,
	CodeNested,
	CodeSigLength,
	CodeNoSignature,
	CodeCrit,
	CodeB64False,
	CodeKeyURL,
	CodeX5C,
	CodeKidSuspect,
	CodeHeaderNonce,
	CodeNoExp,
	CodeLongLifetime,
	CodeTimeType,
	CodeTimeMillis,
	CodeTimeRange,
	CodeTimeOrder,
	CodeIatFuture,
	CodeAudString,
	CodeAudArray,
	CodeAudEmpty,
	CodeAudType,
	CodeIDToken,
	CodeAccessToken,
	CodeNoIss,
}

// MaxTokenBytes is the largest token jwtrace decodes. Real tokens, even
// Azure AD ones carrying many group claims, stay well under 64 KiB.
const MaxTokenBytes = 256 << 10

func (t *Token) diag(sev Severity, code, format string, args ...any) {
	t.Diagnostics = append(t.Diagnostics, Diagnostic{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (t *Token) HasErrors() bool {
	for _, d := range t.Diagnostics {
		if d.Severity == SevError {
			return true
		}
	}
	return false
}

// Decoded reports whether the token's header and claims (or, for a JWE, its
// header) were decoded, so that there is something to show.
func (t *Token) Decoded() bool {
	return t.Status != StatusMalformed
}

func (t *Token) checkHeader() {
	h := &t.Header
	if v, ok := h.Get("crit"); ok {
		t.diag(SevWarning, CodeCrit, "crit %s: a verifier must understand every header named there or reject the token", string(v))
	}
	if v, ok := h.Get("b64"); ok && string(v) == "false" {
		t.diag(SevWarning, CodeB64False, "b64 is false (RFC 7797): the payload is signed unencoded, which most JWT libraries do not support")
	}
	for _, name := range []string{"jku", "x5u", "jwk"} {
		if v, ok := h.Get(name); ok {
			what := map[string]string{"jku": "a URL of a key set", "x5u": "a URL of a certificate", "jwk": "an embedded public key"}[name]
			t.diag(SevWarning, CodeKeyURL, "the header carries %s (%s %s); jwtrace never fetches or trusts it, and a verifier that does can be handed the attacker's key", what, name, textsafe.Cut(string(v), 60))
		}
	}
	if h.Has("x5c") {
		t.diag(SevInfo, CodeX5C, "the header carries a certificate chain (x5c); it proves nothing unless the verifier checks it against its own trusted roots")
	}
	if kid, ok := h.String("kid"); ok && suspiciousKid(kid) {
		t.diag(SevWarning, CodeKidSuspect, "kid %q contains path or SQL metacharacters; a verifier that uses kid in a file path or query can be attacked this way", textsafe.Cut(kid, 60))
	}
	if h.Has("nonce") {
		t.diag(SevWarning, CodeHeaderNonce, "the header has a nonce: this looks like a Microsoft Graph access token, whose signature only Graph can check; to call your own API, request a token for that API's scope")
	}
}

// suspiciousKid looks for what attacks through kid use: path traversal
// ("..", a leading "/", "\\"), quotes, statement separators and SQL comments
// or keywords, and NUL. "/", "+" and "=" alone are not suspicious: Cognito
// and others use standard base64 key ids such as "4PQh+BZTLdEQ...=" and
// "6JtAZ.../wIGyhH3p9M=".
func suspiciousKid(kid string) bool {
	if strings.Contains(kid, "..") || strings.HasPrefix(kid, "/") || strings.ContainsAny(kid, "\\'\";`\x00") ||
		strings.Contains(kid, "--") || strings.Contains(kid, "/*") || strings.Contains(kid, "%00") || strings.Contains(strings.ToLower(kid), "%2e%2e") {
		return true
	}
	if !strings.Contains(kid, " ") {
		return false // SQL keywords need spaces around them (or comments, caught above)
	}
	lower := " " + strings.ToLower(kid) + " "
	for _, kw := range []string{" union ", " select ", " drop ", " insert ", " delete ", " update ", " or ", " and ", " where "} {
		if strings.Contains(lower, kw) {
			return true
		}
	}
	return false
}

func (t *Token) checkSignature(raw string) {
	s := t.Signature
	if t.Kind == KindUnsecured {
		if raw != "" {
			t.diag(SevError, CodeSigLength, "alg is none but the signature part is not empty")
		}
		return
	}
	if raw == "" {
		t.diag(SevError, CodeNoSignature, "the signature part is empty: the token is unsigned (or its signature was stripped), and no verifier should accept it")
		return
	}
	if s.Bytes == 0 {
		return // not base64url: reported already
	}
	if s.ExpectedBytes > 0 && s.Bytes != s.ExpectedBytes {
		msg := fmt.Sprintf("the signature is %d bytes; %s signatures are %d", s.Bytes, s.Alg, s.ExpectedBytes)
		if strings.HasPrefix(s.Alg, "ES") && s.Bytes > s.ExpectedBytes && s.Bytes <= s.ExpectedBytes+9 {
			msg += " — it looks DER-encoded, but JWS uses the fixed-size r||s form (RFC 7518 section 3.4)"
		} else if s.Bytes < s.ExpectedBytes {
			msg += " — the token looks truncated (cut off when it was copied or logged)"
		}
		t.diag(SevError, CodeSigLength, "%s", msg)
	}
	if isRSA(s.Alg) {
		// An RSA signature is as long as the key's modulus (RFC 8017 section
		// 8.2.1), and real keys are a multiple of 512 bits: 1024, 2048, 3072,
		// 4096. Any other length means the signature lost bytes, not that
		// the key is odd.
		switch {
		case s.Bytes%64 != 0:
			t.diag(SevError, CodeSigLength, "the signature is %d bytes; %s with a 2048-bit key has 256 (3072-bit: 384, 4096-bit: 512) — the token looks truncated (cut off when it was copied or logged)", s.Bytes, s.Alg)
		case s.Bytes < 256:
			t.diag(SevWarning, CodeSigLength, "the signature is %d bytes, so the RSA key has only %d bits; 2048 is the minimum in use today", s.Bytes, s.Bytes*8)
		}
	}
}

func isRSA(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return true
	}
	return false
}

func (t *Token) checkClaims() {
	c := t.Claims
	if !c.Has("iss") {
		t.diag(SevWarning, CodeNoIss, "no iss: nothing says who issued the token, so services cannot check it")
	}
	if v, ok := c.Get("aud"); ok {
		var list []json.RawMessage
		_, isString := StringValue(v)
		switch {
		case isString:
			t.diag(SevInfo, CodeAudString, "aud is a single string; that is allowed (RFC 7519 section 4.1.3), but a service that expects an array may reject it")
		case json.Unmarshal(v, &list) == nil && len(list) == 0:
			t.diag(SevWarning, CodeAudEmpty, "aud is an empty array: no service should accept this token")
		case json.Unmarshal(v, &list) == nil && len(list) > 1:
			t.diag(SevInfo, CodeAudArray, "aud lists %d audiences; a service accepts the token if its own identifier is one of them, so one token works for several services", len(list))
		case json.Unmarshal(v, &list) == nil:
		default:
			t.diag(SevWarning, CodeAudType, "aud is neither a string nor an array of strings")
		}
	}
	t.Provider = detectProvider(c)
	t.classify()
}

// classify says what the token is for, from the signals providers actually
// send. A provider's own type claim decides when there is one: Keycloak's
// typ claim (org.keycloak.util.TokenUtil: Bearer, ID, Refresh, Offline,
// Logout), Cognito's token_use (id, access), RFC 9068's typ at+jwt header,
// RFC 8417/OIDC back-channel logout's events claim, a token_type claim.
// Otherwise the claims that only ID tokens or only access tokens carry.
func (t *Token) classify() {
	c, h := t.Claims, &t.Header
	typ, _ := h.String("typ")
	typ = strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "application/"))
	declared, by := Use(""), ""
	if v, ok := c.String("typ"); ok && t.Provider == ProviderKeycloak {
		by = "Keycloak typ " + v
		switch v {
		case "Bearer":
			declared = UseAccess
		case "ID":
			declared = UseID
		case "Refresh", "Offline":
			declared = UseRefresh
		case "Logout":
			declared = UseLogout
		}
	}
	if v, ok := c.String("token_use"); ok && declared == "" {
		by = "token_use " + v
		switch v {
		case "id":
			declared = UseID
		case "access":
			declared = UseAccess
		}
	}
	if v, ok := c.String("token_type"); ok && declared == "" {
		by = "token_type " + v
		switch strings.ToLower(v) {
		case "access", "access_token", "bearer":
			declared = UseAccess
		case "refresh", "refresh_token":
			declared = UseRefresh
		case "id", "id_token":
			declared = UseID
		}
	}
	if declared == "" {
		switch {
		case typ == "at+jwt":
			declared, by = UseAccess, "typ at+jwt (RFC 9068)"
		case typ == "logout+jwt":
			declared, by = UseLogout, "typ logout+jwt"
		case c.Has("events") && !c.Has("nonce") && strings.Contains(string(mustGet(c, "events")), "backchannel-logout"):
			declared, by = UseLogout, "a back-channel logout event"
		}
	}

	var id, access []string
	for _, k := range []string{"nonce", "at_hash", "c_hash"} {
		if c.Has(k) {
			id = append(id, k)
		}
	}
	for _, k := range []string{"scp", "scope", "client_id", "appid"} {
		if c.Has(k) {
			access = append(access, k)
		}
	}
	if typ == "id_token" || typ == "id+jwt" {
		id = append(id, "typ "+typ)
	}
	if declared != "" {
		// The issuer said; the other signals only add detail.
		switch declared {
		case UseID:
			id = prepend(by, id)
			access = nil
		case UseAccess:
			access = prepend(by, access)
			id = nil
		default:
			t.Use = declared
			return
		}
	}
	switch {
	case len(id) > 0 && len(access) == 0:
		t.Use = UseID
		t.diag(SevInfo, CodeIDToken, "this looks like an ID token (%s): it tells the client who signed in; APIs should be called with the access token instead", strings.Join(id, ", "))
	case len(access) > 0 && len(id) == 0:
		t.Use = UseAccess
		if c.Has("aud") {
			t.diag(SevInfo, CodeAccessToken, "this looks like an access token (%s): meant for the API named in aud", strings.Join(access, ", "))
		} else {
			t.diag(SevInfo, CodeAccessToken, "this looks like an access token (%s); it has no aud, so it does not say which API it is for", strings.Join(access, ", "))
		}
	case len(access) > 0 && len(id) > 0:
		t.diag(SevInfo, CodeAccessToken, "this has signs of both an ID token (%s) and an access token (%s)", strings.Join(id, ", "), strings.Join(access, ", "))
	}
}

func prepend(s string, list []string) []string {
	return append([]string{s}, list...)
}

func mustGet(o *Object, key string) json.RawMessage {
	v, _ := o.Get(key)
	return v
}
