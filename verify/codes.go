package verify

// Code is a check's reason: why it passed, failed or was skipped. Codes
// are stable (scripts read them from --json) and documented in the README;
// a new code needs a rendering in verify/explain for every surface, which
// explain's tests enforce. The params each code carries are listed beside
// it; values that come from the token are raw and must be escaped by
// whoever prints them.
type Code string

// The format check.
const (
	CodeFormatOK          Code = "format.ok"            // alg, kid (may be empty)
	CodeFormatTooLarge    Code = "format.too-large"     // bytes, max
	CodeFormatLineTooLong Code = "format.line-too-long" // max (--batch)
	CodeFormatJWE         Code = "format.jwe"
	CodeFormatTwoParts    Code = "format.two-parts"
	CodeFormatParts       Code = "format.parts"       // parts
	CodeFormatBase64      Code = "format.base64"      // part: header, payload or signature
	CodeFormatHeaderJSON  Code = "format.header-json" // error
	CodeFormatClaimsJSON  Code = "format.claims-json" // error
	CodeFormatDuplicate   Code = "format.duplicate"   // part: header or claims; names
	CodeFormatCrit        Code = "format.crit"        // crit
	CodeFormatUnencoded   Code = "format.unencoded-payload"
	CodeFormatKidType     Code = "format.kid-not-string"
	CodeFormatNoSignature Code = "format.signature-empty"
	CodeAlgMissing        Code = "alg.missing"
	CodeAlgNotString      Code = "alg.not-string"
	CodeAlgNone           Code = "alg.none" // alg
)

// Checks not made.
const (
	CodeUnreadable Code = "skip.unreadable" // the token could not be read
	CodeNotClaims  Code = "skip.not-claims" // the payload is not a claims set
	CodeNoKey      Code = "skip.no-key"     // the signature: no usable key
	// CodeNotDeclared is a rule the rule set does not have (issuer and
	// audience only when explicitly skipped, or undeclared in a chain
	// hop). Params: rule (a Rule name).
	CodeNotDeclared Code = "rule.not-declared"
)

// The key check.
const (
	CodeKeyOK         Code = "key.ok"            // key
	CodeKeyCandidates Code = "key.candidates"    // count, alg
	CodeAlgNotAllowed Code = "alg.not-allowed"   // alg
	CodeAlgUnknown    Code = "alg.unknown"       // alg
	CodeKeyNone       Code = "key.none"          // no keys at all
	CodeKeyRefused    Code = "key.refused"       // kid, source, reason
	CodeKidNotFound   Code = "key.kid-not-found" // kid, origin, kids; refetched ("true"), refetch_error
	CodeKeyConfusion  Code = "key.hmac-public"   // alg
	CodeSecretShort   Code = "key.secret-short"  // alg
	CodeKeyNoFit      Code = "key.no-fit"        // alg, keys
	CodeKidAmbiguous  Code = "key.kid-ambiguous" // count, origin, kid
)

// The signature check. Params: key (one candidate) or count (several).
const (
	CodeSigOK        Code = "sig.ok"        // key
	CodeSigInvalid   Code = "sig.invalid"   // key or count
	CodeSigTruncated Code = "sig.truncated" // bytes, want
	CodeSigSize      Code = "sig.size"      // bytes, want, alg
	CodeSigGraph     Code = "sig.graph-nonce"
)

// The issuer check.
const (
	CodeIssOK        Code = "iss.ok" // iss; template, or azure_version, tenant, rule_version, rule
	CodeIssMissing   Code = "iss.missing"
	CodeIssNotString Code = "iss.not-string"
	CodeIssMismatch  Code = "iss.mismatch" // iss
	CodeIssTenant    Code = "iss.tenant"   // tenant, tenants
)

// The audience check.
const (
	CodeAudOK       Code = "aud.ok" // aud
	CodeAudMissing  Code = "aud.missing"
	CodeAudType     Code = "aud.type"     // value (an excerpt)
	CodeAudMismatch Code = "aud.mismatch" // aud, want
	// A validator's rules where the service configures no audience
	// (Profile.AudienceUnset): the token carries aud and the library
	// refuses that (PyJWT); the library refuses every token.
	CodeAudUnexpected    Code = "aud.unexpected"     // aud
	CodeAudNotConfigured Code = "aud.not-configured" //
	// CodeIssNotConfigured: the library refuses every token until an
	// issuer is configured.
	CodeIssNotConfigured Code = "iss.not-configured"
)

// The time checks (exp, nbf, iat). Params: at (the claim, Unix seconds),
// delta (at minus the evaluation time, seconds), leeway (when not zero).
const (
	CodeExpOK         Code = "exp.ok"
	CodeExpExpired    Code = "exp.expired"
	CodeExpMissing    Code = "exp.missing"
	CodeExpAllowed    Code = "exp.missing-allowed"
	CodeExpNotNumeric Code = "exp.not-numeric"
	CodeNbfOK         Code = "nbf.ok"
	CodeNbfAbsent     Code = "nbf.absent"
	CodeNbfFuture     Code = "nbf.future"
	CodeNbfNotNumeric Code = "nbf.not-numeric"
	CodeIatOK         Code = "iat.ok"
	CodeIatAbsent     Code = "iat.absent"
	CodeIatFuture     Code = "iat.future"
	CodeIatNotNumeric Code = "iat.not-numeric"
	// Passed only thanks to the leeway: expired (not yet valid) by less
	// than it.
	CodeExpInLeeway Code = "exp.within-leeway"
	CodeNbfInLeeway Code = "nbf.within-leeway"
	// Not checked by the rules (skip_nbf, allow_future_iat): nbf is
	// present; iat is in the future.
	CodeNbfNotChecked    Code = "nbf.not-checked"
	CodeIatFutureAllowed Code = "iat.future-allowed"
)

// The type, claims and scopes checks.
const (
	CodeTypOK         Code = "typ.ok"          // typ
	CodeTypMissing    Code = "typ.missing"     // want
	CodeTypMismatch   Code = "typ.mismatch"    // typ, want
	CodeTypNotAllowed Code = "typ.not-allowed" // typ, allowed
	CodeClaimsOK      Code = "claims.ok"       // want
	CodeClaimsFailed  Code = "claims.failed"   // Items: claim.missing, claim.mismatch
	CodeClaimMissing  Code = "claim.missing"   // claim
	CodeClaimValue    Code = "claim.mismatch"  // claim, value (an excerpt), want
	CodeScopesOK      Code = "scopes.ok"       // scopes
	CodeScopeMissing  Code = "scopes.missing"  // missing, have
)

// AdviceCode is what to do about a check, or a warning about a rule.
type AdviceCode string

const (
	AdviceDecrypt         AdviceCode = "decrypt-first"
	AdviceTokenCut        AdviceCode = "token-cut"
	AdviceRefusedKey      AdviceCode = "refused-key"
	AdviceKidUnknown      AdviceCode = "kid-unknown"
	AdviceKeyConfusion    AdviceCode = "key-confusion"
	AdviceFixKeySet       AdviceCode = "fix-key-set"
	AdviceCopyWhole       AdviceCode = "copy-whole-token"
	AdviceExtraData       AdviceCode = "extra-data"
	AdviceTokenCarriesKey AdviceCode = "token-carries-key"
	AdviceGraphToken      AdviceCode = "graph-token"
	AdviceAltered         AdviceCode = "altered"
	// AdviceSlashInToken and AdviceSlashInRule: issuers that differ by a
	// trailing slash; AdviceIssuerCase by letter case.
	AdviceSlashInToken   AdviceCode = "iss-trailing-slash-token"
	AdviceSlashInRule    AdviceCode = "iss-trailing-slash-rule"
	AdviceIssuerCase     AdviceCode = "iss-case"
	AdviceOtherTenant    AdviceCode = "azure-other-tenant" // tenant
	AdviceTemplateNoTid  AdviceCode = "template-no-tid"
	AdviceIDToken        AdviceCode = "id-token"          // claim
	AdviceIDTokenNoScope AdviceCode = "id-token-no-scope" // claim
	AdviceAudSlash       AdviceCode = "aud-trailing-slash"
	AdviceAzureClientID  AdviceCode = "azure-client-id"     // aud
	AdviceAzureScope     AdviceCode = "request-azure-scope" // scope
	AdviceRequestFor     AdviceCode = "request-for-api"     // api
	AdviceOtherAudience  AdviceCode = "request-other-audience"
	AdviceCognito        AdviceCode = "cognito-client-id" // client, cognito ("true"), safe ("true" when client can be pasted)
	AdviceNewToken       AdviceCode = "new-token"
	AdviceClockAhead     AdviceCode = "clock-ahead"
	AdviceATJWT          AdviceCode = "at+jwt"
	AdviceRoles          AdviceCode = "roles-claim"
	// AdviceRule points at a rule that changes the outcome. Params: rule
	// (a Rule name).
	AdviceRule AdviceCode = "rule"
	// WarnAnyTenant is a warning: a {tenantid} issuer template without a
	// tenant rule accepts any tenant.
	WarnAnyTenant AdviceCode = "any-tenant"
)

// Rule names: how codes and advice name a rule, whatever the surface
// calls it (verify's --audience, a chain file's audience:).
const (
	RuleIssuer          = "issuer"
	RuleSkipIssuer      = "skip-issuer"
	RuleAudience        = "audience"
	RuleSkipAudience    = "skip-audience"
	RuleTenant          = "tenant"
	RuleAlg             = "alg"
	RuleTyp             = "typ"
	RuleRequire         = "require"
	RuleScope           = "scope"
	RuleLeeway          = "leeway"
	RuleAllowNoExp      = "allow-no-exp"
	RuleAllowWeakSecret = "allow-weak-secret"
	RuleAt              = "at"
	RuleAuthority       = "authority"
	RuleKey             = "key"
	RuleValidator       = "validator"
	RuleExpLeeway       = "exp-leeway"
	RuleNbfLeeway       = "nbf-leeway"
	RuleSkipNbf         = "skip-nbf"
	RuleAllowFutureIat  = "allow-future-iat"
	RuleTypAllowed      = "typ-allowed"
)

// RuleCode is a reason a rule set cannot be used (Policy.Validate and
// Policy.Expand).
type RuleCode string

const (
	RuleNoIssuer         RuleCode = "rule.issuer-missing"
	RuleIssuerConflict   RuleCode = "rule.issuer-conflict"
	RuleNoAudience       RuleCode = "rule.audience-missing"
	RuleAudienceConflict RuleCode = "rule.audience-conflict"
	RuleTenantNoIssuer   RuleCode = "rule.tenant-needs-issuer"
	RuleEmpty            RuleCode = "rule.empty" // rule: issuer, audience or tenant
	RuleBlank            RuleCode = "rule.blank" // rule: scope, alg, typ, authority, jwks-url or key
	RuleAlgNone          RuleCode = "rule.alg-none"
	RuleAlgUnknown       RuleCode = "rule.alg-unknown"       // alg, known
	RuleLeewayNegative   RuleCode = "rule.leeway-negative"   // rule: leeway, exp-leeway or nbf-leeway
	RuleLeewaySyntax     RuleCode = "rule.leeway-syntax"     // value; rule
	RuleValidatorUnknown RuleCode = "rule.validator-unknown" // value, known
	RuleRequireSyntax    RuleCode = "rule.require-syntax"    // value
	RuleVariableUnset    RuleCode = "rule.variable-unset"    // rule, name (Policy.Expand)
	RuleVariableEmpty    RuleCode = "rule.variable-empty"    // rule, value (Policy.Expand)
)
