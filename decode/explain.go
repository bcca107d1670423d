package decode

import "strings"

// headerNames explains JOSE header parameters (RFC 7515, 7516, 7519, 9068).
var headerNames = map[string]string{
	"alg":      "signing algorithm",
	"kid":      "key id: which key of the issuer's JWKS signed it",
	"typ":      "media type of the token",
	"cty":      "content type of the payload",
	"enc":      "content encryption algorithm (JWE)",
	"zip":      "payload compression (JWE)",
	"x5t":      "SHA-1 thumbprint of the signing certificate",
	"x5t#S256": "SHA-256 thumbprint of the signing certificate",
	"x5c":      "certificate chain (never trusted on its own)",
	"x5u":      "URL of a certificate (never fetched by jwtrace)",
	"jku":      "URL of a key set (never fetched by jwtrace)",
	"jwk":      "embedded public key (never trusted by jwtrace)",
	"crit":     "extensions the verifier must understand",
	"b64":      "false means an unencoded payload (RFC 7797)",
	"nonce":    "Microsoft Graph token marker",
	"epk":      "ephemeral public key (JWE ECDH)",
	"apu":      "agreement PartyUInfo (JWE ECDH)",
	"apv":      "agreement PartyVInfo (JWE ECDH)",
	"iv":       "initialization vector (AES-GCM key wrap)",
	"tag":      "authentication tag (AES-GCM key wrap)",
	"p2s":      "PBES2 salt",
	"p2c":      "PBES2 iteration count",
}

// claimNames explains registered, OpenID Connect and common provider claims
// (Azure AD / Entra ID, Okta, Auth0, Keycloak, AWS Cognito, Google).
var claimNames = map[string]string{
	// RFC 7519
	"iss": "issuer: who created and signed the token",
	"sub": "subject: the user's (or app's) stable id at this issuer",
	"aud": "audience: who should accept it",
	"exp": "expiry",
	"nbf": "not valid before",
	"iat": "issued at",
	"jti": "unique token id (for replay detection)",
	// OpenID Connect Core and RFC 9068
	"auth_time":             "when the user signed in",
	"nonce":                 "the client's nonce, echoed (ID tokens)",
	"acr":                   "authentication context class",
	"amr":                   "authentication methods used",
	"azp":                   "authorized party: the client the token was issued to",
	"at_hash":               "access token hash (ID tokens)",
	"c_hash":                "authorization code hash (ID tokens)",
	"sid":                   "session id",
	"name":                  "full name",
	"given_name":            "first name",
	"family_name":           "last name",
	"middle_name":           "middle name",
	"nickname":              "casual name",
	"preferred_username":    "username the user prefers (not unique, do not key on it)",
	"email":                 "email address",
	"email_verified":        "whether the issuer verified the email",
	"phone_number":          "phone number",
	"phone_number_verified": "whether the issuer verified the phone number",
	"picture":               "profile picture URL",
	"locale":                "locale",
	"zoneinfo":              "time zone",
	"updated_at":            "when the profile was last updated",
	"client_id":             "the OAuth client the token was issued to",
	"scope":                 "granted scopes (space-separated)",
	"scp":                   "delegated scopes (Azure AD, Okta)",
	"roles":                 "app roles granted",
	"groups":                "group memberships",
	"entitlements":          "entitlements",
	"cnf":                   "confirmation key: the token is bound to a key (DPoP, mTLS)",
	"act":                   "actor: who acts on the subject's behalf (token exchange)",
	"may_act":               "who may act on the subject's behalf",
	"events":                "security events (logout tokens)",
	"typ":                   "token type claim",
	// Azure AD / Entra ID
	"tid":            "tenant id (Azure AD)",
	"oid":            "object id of the user or app in the tenant (Azure AD)",
	"appid":          "client id of the app that asked for the token (Azure AD v1)",
	"appidacr":       "how the client authenticated: 0 public, 1 secret, 2 certificate (Azure AD v1)",
	"azpacr":         "how the client authenticated: 0 public, 1 secret, 2 certificate (Azure AD v2)",
	"ver":            "token version (Azure AD: 1.0 or 2.0)",
	"idp":            "identity provider that authenticated the user",
	"idtyp":          "token subject type: user or app (Azure AD)",
	"upn":            "user principal name (Azure AD)",
	"unique_name":    "display username (Azure AD v1)",
	"uti":            "internal token id (Azure AD)",
	"rh":             "internal refresh hint (Azure AD)",
	"aio":            "internal data (Azure AD)",
	"wids":           "directory role template ids (Azure AD)",
	"xms_cc":         "client capabilities (Azure AD)",
	"xms_tcdt":       "tenant creation time (Azure AD)",
	"hasgroups":      "too many groups to list: query Graph (Azure AD)",
	"_claim_names":   "claims too large to include (groups overage)",
	"_claim_sources": "where to fetch the omitted claims",
	"ipaddr":         "client IP address at sign-in (Azure AD)",
	"onprem_sid":     "on-premises security identifier (Azure AD)",
	"login_hint":     "opaque sign-in hint (Azure AD)",
	"acrs":           "authentication context ids satisfied (Azure AD)",
	// Okta, Auth0, Keycloak, Cognito, Google
	"cid":              "client id (Okta)",
	"uid":              "user id (Okta)",
	"gty":              "grant type used (Auth0)",
	"permissions":      "granted permissions (Auth0 RBAC)",
	"org_id":           "organization id (Auth0)",
	"realm_access":     "realm roles (Keycloak)",
	"resource_access":  "client roles per client (Keycloak)",
	"session_state":    "session id (Keycloak)",
	"allowed-origins":  "CORS origins allowed for the client (Keycloak)",
	"token_use":        "id or access (AWS Cognito)",
	"cognito:groups":   "user pool groups (AWS Cognito)",
	"cognito:username": "username (AWS Cognito)",
	"username":         "username",
	"origin_jti":       "id of the original token (AWS Cognito)",
	"event_id":         "sign-in event id (AWS Cognito)",
	"hd":               "hosted domain of a Google Workspace account",
	"kubernetes.io":    "Kubernetes service account binding",
	"rat":              "when the token was requested",
}

// ExplainHeader returns a short explanation of a header parameter, or "".
func ExplainHeader(name, value string) string {
	if name == "typ" {
		switch strings.ToLower(strings.TrimPrefix(strings.ToLower(value), "application/")) {
		case "at+jwt":
			return "access token (RFC 9068)"
		case "jwt":
			return "a JWT"
		case "dpop+jwt":
			return "DPoP proof (RFC 9449)"
		case "logout+jwt":
			return "back-channel logout token"
		case "secevent+jwt":
			return "security event token (RFC 8417)"
		}
	}
	if name == "alg" {
		return algMeaning(value)
	}
	return headerNames[name]
}

// ExplainClaim returns a short explanation of a claim, or "".
func ExplainClaim(name string) string {
	if e, ok := claimNames[name]; ok {
		return e
	}
	if strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://") {
		return "custom namespaced claim"
	}
	return ""
}

func algMeaning(alg string) string {
	switch {
	case strings.EqualFold(alg, "none"):
		return "unsecured: no signature at all"
	case strings.HasPrefix(alg, "HS"):
		return "HMAC with SHA-" + alg[2:] + ": a shared secret"
	case strings.HasPrefix(alg, "RS"):
		return "RSA PKCS#1 v1.5 with SHA-" + alg[2:]
	case strings.HasPrefix(alg, "PS"):
		return "RSA-PSS with SHA-" + alg[2:]
	case alg == "ES256K":
		return "ECDSA secp256k1 with SHA-256"
	case alg == "ES256":
		return "ECDSA P-256 with SHA-256"
	case alg == "ES384":
		return "ECDSA P-384 with SHA-384"
	case alg == "ES512":
		return "ECDSA P-521 with SHA-512"
	case alg == "EdDSA" || alg == "Ed25519":
		return "Edwards-curve signature (Ed25519)"
	}
	return ""
}
