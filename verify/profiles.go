package verify

import (
	"time"

	"github.com/jwtrace/jwtrace/internal/lazy"
)

// profiles are the validator libraries jwtrace can predict for. Each
// profile's comment and Sources cite the file and version its defaults
// were read from.
var profilesOnce lazy.Value[[]*Profile]

func profiles() []*Profile { return profilesOnce.Get(buildProfiles) }

func buildProfiles() []*Profile {
	return []*Profile{
		profileJWTrace(),
		profileASPNetCore(),
		profileSpringSecurity(),
		profileExpressOAuth2JWTBearer(),
		profileExpressJWT(),
		profileJose(),
		profileFastifyJWTJWKS(),
		profileGoOIDC(),
		profileGolangJWT(),
		profilePyJWT(),
		profileEnvoy(),
		profileModAuthOpenIDC(),
	}
}

// profileJWTrace is jwtrace's own strict semantics (verify/times.go,
// verify/claims.go in this repository): no leeway, exp required, nbf and
// a future iat checked, the issuer from the authority's discovery, the
// audience checked only where declared (chain) or refused when neither
// declared nor skipped (verify).
func profileJWTrace() *Profile {
	return &Profile{
		Name:    ProfileJWTrace,
		Library: "jwtrace verify",
		Version: "this build",
		Sources: []string{"verify/times.go", "verify/claims.go"},
		Defaults: Policy{
			Leeway: DurationOf(0 * time.Second),
		},
		IssuerUnset:   UnsetDiscovered,
		AudienceUnset: UnsetSkip,
		Failure:       Failure{Status: 401, Challenge: ChallengeApp},
	}
}

// The library profiles below were read from each library's own source at
// the version named (Sources: path in its repository @ version). Where a
// default depends on how the service is set up (the library has a
// required option, or takes it from discovery), the comment says what the
// profile assumes: the typical configuration of the library's own README.

// profileASPNetCore is ASP.NET Core's JwtBearer handler validating with
// Microsoft.IdentityModel's TokenValidationParameters
// (src/Microsoft.IdentityModel.Tokens/TokenValidationParameters.cs@8.1.2:
// DefaultClockSkew = 300 s, RequireExpirationTime, ValidateIssuer and
// ValidateAudience true; ValidatorUtilities.cs@8.1.2 ValidateLifetime:
// nbf > now+ClockSkew is IDX10222, exp < now-ClockSkew is IDX10223, no exp
// is IDX10225; iat is not checked; Validators.cs@8.1.2: no ValidAudience is
// IDX10208 for every token, ValidTypes and ValidAlgorithms empty accept
// any). The issuer is the Authority's discovery document's
// (JwtBearerPostConfigureOptions.cs); the refusal is 401 with
// WWW-Authenticate: Bearer error="invalid_token", error_description="The
// token expired at '...'" (JwtBearerHandler.cs HandleChallengeAsync,
// CreateErrorDescription), no body; an authorization policy (scope, role,
// claim) that fails is ForbidAsync: 403 without a challenge. The
// aspnetcore sources were read at older stored revisions of
// dotnet/aspnetcore (the handler's logic; the "The token expired at"
// wording is the documented one of ASP.NET Core 3.0 and later). Claims:
// JwtBearerOptions.MapInboundClaims is true by default (documented), so
// the handler maps claim types with
// src/Microsoft.IdentityModel.JsonWebTokens/ClaimTypeMapping.cs@8.1.2,
// which has no entry for "name".
func profileASPNetCore() *Profile {
	return &Profile{
		Name:    "aspnetcore",
		Library: "Microsoft.AspNetCore.Authentication.JwtBearer (JwtBearerHandler) with Microsoft.IdentityModel TokenValidationParameters",
		Version: "Microsoft.IdentityModel 8.1.2 (ASP.NET Core 8+)",
		Sources: []string{
			"AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet src/Microsoft.IdentityModel.Tokens/TokenValidationParameters.cs@8.1.2",
			"AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet src/Microsoft.IdentityModel.Tokens/ValidatorUtilities.cs@8.1.2",
			"AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet src/Microsoft.IdentityModel.Tokens/Validators.cs@8.1.2",
			"AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet src/Microsoft.IdentityModel.JsonWebTokens/ClaimTypeMapping.cs@8.1.2",
			"dotnet/aspnetcore src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs@02d05b5 (older stored revision)",
			"dotnet/aspnetcore src/Security/Authentication/JwtBearer/src/JwtBearerPostConfigureOptions.cs@2729878 (older stored revision)",
			"https://learn.microsoft.com/dotnet/api/microsoft.aspnetcore.authentication.jwtbearer.jwtbeareroptions.mapinboundclaims (documentation)",
		},
		Defaults: Policy{
			Leeway:         DurationOf(5 * time.Minute),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(false),
		},
		IssuerUnset:   UnsetDiscovered,
		AudienceUnset: UnsetRejectAll,
		Failure: Failure{
			Status:        401,
			StatusByCheck: map[string]int{CheckScopes: 403, CheckClaims: 403},
			Challenge:     ChallengeRFC6750,
			Body:          "empty",
		},
		Claims: []ClaimMap{
			{From: "sub", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"},
			{From: "nameid", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"},
			{From: "unique_name", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"},
			{From: "email", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
			{From: "given_name", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"},
			{From: "family_name", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"},
			{From: "upn", To: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"},
			{From: "role", To: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"},
			{From: "roles", To: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"},
			{From: "scp", To: "http://schemas.microsoft.com/identity/claims/scope"},
			{From: "oid", To: "http://schemas.microsoft.com/identity/claims/objectidentifier"},
			{From: "tid", To: "http://schemas.microsoft.com/identity/claims/tenantid"},
			{From: "amr", To: "http://schemas.microsoft.com/claims/authnmethodsreferences"},
			{From: "acr", To: "http://schemas.microsoft.com/claims/authnclassreference"},
			// Not in the inbound map: the claim keeps its name.
			{From: "name", To: "name"},
		},
		ClaimsNote: `User.Identity.Name reads ClaimTypes.Name, which only unique_name maps to; ` +
			`OIDC name is not mapped, so User.Identity.Name is empty for Azure AD v2 tokens ` +
			`(name, preferred_username, no unique_name) unless TokenValidationParameters.NameClaimType = "name" ` +
			`(or MapInboundClaims = false, which keeps every claim's own name)`,
		NameFrom:     "unique_name",
		NameProperty: "User.Identity.Name",
		NameFix:      `TokenValidationParameters.NameClaimType = "name"`,
		Words: map[string]string{
			"leeway":           "ClockSkew",
			"allow_no_exp":     "RequireExpirationTime",
			"allow_future_iat": "not configurable",
			"skip_nbf":         "ValidateLifetime",
			"algs":             "ValidAlgorithms",
			"typ":              "ValidTypes",
			"issuer":           "Authority / ValidIssuer",
			"audience":         "Audience / ValidAudience",
		},
	}
}

// profileSpringSecurity is Spring Security's OAuth 2.0 resource server:
// NimbusJwtDecoder with JwtValidators.createDefaultWithIssuer.
// oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/
// JwtTimestampValidator.java@7.1.1: DEFAULT_MAX_CLOCK_SKEW 60 s on exp and
// nbf, allowEmptyExpiryClaim = true (no exp passes), iat not checked.
// JwtValidators.java@7.1.1: createDefault adds JwtTypeValidator.jwt() (typ
// "JWT" or absent; at+jwt refused). Since 7.0 (commit 6d3b54df21 "Change
// Type Validation Default") JwtTypeValidator does this and Nimbus's typ
// check is off; in 6.x (and before) Nimbus's DefaultJOSEObjectTypeVerifier
// (JWT, null) refused at+jwt the same way (NimbusJwtDecoder.java@6.5.0, and
// @6.4.0 by Nimbus's own default), so every version refuses at+jwt unless
// configured. JwtIssuerValidator.java@7.1.1: iss must equal the issuer-uri;
// no audience validator unless configured. NimbusJwtDecoder.java@7.1.1:
// withJwkSetUri defaults to RS256 (withIssuerLocation takes the algorithms
// of the JWK Set's keys; Spring Boot's jws-algorithms property is RS256 by
// default, from its documentation, not read). oauth2/oauth2-resource-server
// .../web/BearerTokenAuthenticationEntryPoint.java@7.1.1: 401,
// WWW-Authenticate: Bearer error="invalid_token", error_description="...",
// error_uri="https://tools.ietf.org/html/rfc6750#section-3.1",
// resource_metadata="..." and no body; .../access/BearerTokenAccessDeniedHandler
// .java@7.1.1: 403 error="insufficient_scope" for an authorization rule
// (scope, authority) that fails. .../authentication/
// JwtGrantedAuthoritiesConverter.java@7.1.1: scope (else scp) becomes
// SCOPE_ authorities.
func profileSpringSecurity() *Profile {
	return &Profile{
		Name:    "spring-security",
		Library: "spring-security-oauth2-resource-server (NimbusJwtDecoder, JwtValidators.createDefaultWithIssuer)",
		Version: "7.1.1",
		Sources: []string{
			"spring-projects/spring-security oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtTimestampValidator.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtValidators.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtTypeValidator.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtIssuerValidator.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/NimbusJwtDecoder.java@7.1.1 (and @6.5.0, @6.4.0 for typ)",
			"spring-projects/spring-security oauth2/oauth2-resource-server/src/main/java/org/springframework/security/oauth2/server/resource/web/BearerTokenAuthenticationEntryPoint.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-resource-server/src/main/java/org/springframework/security/oauth2/server/resource/web/access/BearerTokenAccessDeniedHandler.java@7.1.1",
			"spring-projects/spring-security oauth2/oauth2-resource-server/src/main/java/org/springframework/security/oauth2/server/resource/authentication/JwtGrantedAuthoritiesConverter.java@7.1.1",
		},
		Defaults: Policy{
			Leeway:         DurationOf(60 * time.Second),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
			TypAllowed:     List("JWT"),
			Algs:           List("RS256"),
		},
		IssuerUnset:   UnsetDiscovered,
		AudienceUnset: UnsetSkip,
		Failure: Failure{
			Status:        401,
			StatusByCheck: map[string]int{CheckScopes: 403, CheckClaims: 403},
			Challenge:     ChallengeRFC6750,
			ClaimError:    "insufficient_scope",
			Body:          "empty",
		},
		Claims: []ClaimMap{
			{From: "scope", To: "SCOPE_<each value> authorities"},
			{From: "scp", To: "SCOPE_<each value> authorities (when there is no scope)"},
			{From: "sub", To: "Authentication.getName()"},
		},
		ClaimsNote: `JwtGrantedAuthoritiesConverter turns each value of scope (else scp) into a SCOPE_ authority: ` +
			`hasAuthority("SCOPE_read") checks scope "read"; roles and other claims grant nothing unless a converter is configured`,
		Words: map[string]string{
			"leeway":           "JwtTimestampValidator clockSkew",
			"allow_no_exp":     "JwtTimestampValidator allowEmptyExpiryClaim",
			"allow_future_iat": "not configurable",
			"skip_nbf":         "JwtTimestampValidator",
			"typ_allowed":      "JwtTypeValidator.jwt()",
			"algs":             "jwsAlgorithms (spring.security.oauth2.resourceserver.jwt.jws-algorithms)",
			"issuer":           "issuer-uri (JwtIssuerValidator)",
			"audience":         "audiences (JwtAudienceValidator)",
		},
	}
}

// profileExpressOAuth2JWTBearer is Auth0's express-oauth2-jwt-bearer
// auth({ issuerBaseURL, audience }).
// packages/access-token-jwt/src/jwt-verifier.ts@v1.10.0: clockTolerance = 5
// (s), strict = false, maxTokenAge unset; audience is asserted at start-up
// ("An 'audience' is required"); the issuer and the allowed algorithms
// come from issuerBaseURL's discovery (id_token_signing_alg_values_supported;
// without it any but none); jose's jwtVerify checks nbf and exp with the
// clockTolerance. packages/access-token-jwt/src/validate.ts@v1.10.0:
// exp must be a number (required), iat is only checked with maxTokenAge
// (a future iat passes), typ is only checked in strict mode (at+jwt).
// packages/oauth2-bearer/src/errors.ts@v1.10.0: InvalidTokenError is 401
// WWW-Authenticate: Bearer realm="api", error="invalid_token",
// error_description="..."; InsufficientScopeError (requiredScopes) is 403
// error="insufficient_scope" (claim-check.ts); the middleware passes the
// error to next(), so the body is Express's default error page (HTML),
// unless the application has an error handler. The installed package in
// interop/node_modules (1.10.0) was checked against the same code.
func profileExpressOAuth2JWTBearer() *Profile {
	return &Profile{
		Name:    "express-oauth2-jwt-bearer",
		Library: "express-oauth2-jwt-bearer auth() (access-token-jwt jwtVerifier, on jose)",
		Version: "1.10.0",
		Tested:  "express-oauth2-jwt-bearer 1.10.0",
		Sources: []string{
			"auth0/node-oauth2-jwt-bearer packages/access-token-jwt/src/jwt-verifier.ts@v1.10.0",
			"auth0/node-oauth2-jwt-bearer packages/access-token-jwt/src/validate.ts@v1.10.0",
			"auth0/node-oauth2-jwt-bearer packages/access-token-jwt/src/claim-check.ts@v1.10.0",
			"auth0/node-oauth2-jwt-bearer packages/oauth2-bearer/src/errors.ts@v1.10.0",
			"auth0/node-oauth2-jwt-bearer packages/express-oauth2-jwt-bearer/src/index.ts@v1.10.0",
		},
		Defaults: Policy{
			Leeway:         DurationOf(5 * time.Second),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(false),
		},
		// express-oauth2-jwt-bearer/dist/index.js@1.10.0 (defaultValidators):
		// alg must be one of the discovery document's
		// id_token_signing_alg_values_supported.
		AlgsFromDiscovery: true,
		IssuerUnset:       UnsetDiscovered,
		AudienceUnset:     UnsetRejectAll,
		Failure: Failure{
			Status:        401,
			StatusByCheck: map[string]int{CheckScopes: 403},
			Challenge:     ChallengeRFC6750,
			ClaimError:    "insufficient_scope",
			Body:          "html",
		},
		Words: map[string]string{
			"leeway":           "clockTolerance",
			"allow_no_exp":     "validators.exp",
			"allow_future_iat": "maxTokenAge",
			"skip_nbf":         "clockTolerance",
			"typ":              "strict",
			"algs":             "tokenSigningAlg (else the discovery document's id_token_signing_alg_values_supported)",
			"issuer":           "issuerBaseURL",
			"audience":         "audience",
		},
	}
}

// profileExpressJWT is express-jwt with jwks-rsa's expressJwtSecret, as
// their READMEs configure it: expressjwt({ secret:
// jwksRsa.expressJwtSecret({ jwksUri }), algorithms: ['RS256'], issuer,
// audience }). src/index.ts@v8.5.1: algorithms is a required option (the
// profile takes the README's RS256); the token goes to jsonwebtoken's
// verify (verify.js@v9.0.3 as installed, v9.0.2 tag read): clockTolerance
// 0, exp only checked when present, nbf checked, iat only with maxAge (a
// future iat passes), no typ check, issuer and audience only when given.
// src/errors/UnauthorizedError.ts@v8.5.1: status 401, code invalid_token,
// no headers, so Express's default error handler answers 401 with no
// WWW-Authenticate and an HTML page (finalhandler), unless the
// application has an error handler.
func profileExpressJWT() *Profile {
	return &Profile{
		Name:    "express-jwt",
		Library: "express-jwt expressjwt() with jwks-rsa expressJwtSecret (jsonwebtoken verify)",
		Version: "express-jwt 8.5.1, jsonwebtoken 9.0.3",
		Tested:  "express-jwt 8.5.1 with jwks-rsa 4.1.0",
		Sources: []string{
			"auth0/express-jwt src/index.ts@v8.5.1",
			"auth0/express-jwt src/errors/UnauthorizedError.ts@v8.5.1",
			"auth0/node-jsonwebtoken verify.js@v9.0.2 (and 9.0.3 as installed in interop/node_modules)",
			"auth0/node-jwks-rsa README (documentation: the typical configuration, algorithms ['RS256'])",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
			Algs:           List("RS256"),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetSkip,
		Failure:       Failure{Status: 401, Challenge: ChallengeNone, Body: "html"},
		Words: map[string]string{
			"leeway":           "clockTolerance",
			"allow_no_exp":     "not configurable (jsonwebtoken)",
			"allow_future_iat": "maxAge",
			"skip_nbf":         "ignoreNotBefore",
			"algs":             "algorithms",
			"issuer":           "issuer",
			"audience":         "audience",
		},
	}
}

// profileJose is panva/jose's jwtVerify(token, createRemoteJWKSet(url),
// { issuer, audience }). src/lib/jwt_claims_set.ts@v6.2.10 (and
// dist/webapi/lib/jwt_claims_set.js of 6.2.18 as installed in
// interop/node_modules): clockTolerance 0; exp only checked when present
// (exp <= now - tolerance fails); nbf checked (nbf > now + tolerance
// fails); iat only checked with maxTokenAge; typ only with the typ
// option; issuer and audience only when given. src/lib/jws_verify.ts
// @v6.2.10: no algorithms option allows any the key fits. jose throws: the
// application writes the answer.
func profileJose() *Profile {
	return &Profile{
		Name:    "jose",
		Library: "jose jwtVerify",
		Version: "6.2.18",
		Tested:  "jose 6.2.18",
		Sources: []string{
			"panva/jose src/lib/jwt_claims_set.ts@v6.2.10",
			"panva/jose src/lib/jws_verify.ts@v6.2.10",
			"jose dist/webapi/lib/jwt_claims_set.js@6.2.18 (installed package)",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetSkip,
		Failure:       Failure{Challenge: ChallengeApp},
		Words: map[string]string{
			"leeway":           "clockTolerance",
			"allow_no_exp":     "requiredClaims",
			"allow_future_iat": "maxTokenAge",
			"skip_nbf":         "nbf is checked when present",
			"typ":              "typ",
			"algs":             "algorithms",
			"issuer":           "issuer",
			"audience":         "audience",
		},
	}
}

// profileFastifyJWTJWKS is nearform's fastify-jwt-jwks with jwksUrl (and
// optional issuer, audience). index.js@v3.0.0: the algorithms option is
// refused and RS256 is set with jwksUrl (HS256 only with a secret); the
// issuer is the option or else the JWKS URL's origin with a trailing "/"
// (allowedIss); the audience is only checked when configured. The token is
// verified by @fastify/jwt (index.js@v10.2.0) on fast-jwt
// (src/verifier.js@v6.3.2): clockTolerance 0 (milliseconds), exp and nbf
// checked when present, iat only with maxAge, typ only with checkTyp.
// Refusals are http-errors Unauthorized (401, "Expired token.", "Invalid
// token.", or @fastify/jwt's message) with no WWW-Authenticate; Fastify's
// default error handler writes JSON {statusCode, error, message}.
func profileFastifyJWTJWKS() *Profile {
	return &Profile{
		Name:    "fastify-jwt-jwks",
		Library: "fastify-jwt-jwks (on @fastify/jwt and fast-jwt)",
		Version: "fastify-jwt-jwks 3.0.0, @fastify/jwt 10.2.0, fast-jwt 6.3.2",
		Tested:  "fastify-jwt-jwks 3.0.0 on fastify 5.12.8",
		Sources: []string{
			"nearform/fastify-jwt-jwks index.js@v3.0.0",
			"fastify/fastify-jwt index.js@v10.2.0",
			"nearform/fast-jwt src/verifier.js@v6.3.2",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
			Algs:           List("RS256"),
		},
		// Not discovery: without an issuer option the token's iss must be the
		// JWKS URL's origin and "/" (index.js verifyOptions).
		IssuerUnset:   UnsetJWKSOrigin,
		AudienceUnset: UnsetSkip,
		Failure:       Failure{Status: 401, Challenge: ChallengeNone, Body: "json"},
		Words: map[string]string{
			"leeway":           "clockTolerance (ms, fast-jwt)",
			"allow_no_exp":     "requiredClaims",
			"allow_future_iat": "maxAge",
			"skip_nbf":         "ignoreNotBefore",
			"algs":             "RS256 with jwksUrl (the algorithms option is refused)",
			"issuer":           "issuer (else the jwksUrl origin)",
			"audience":         "audience",
		},
	}
}

// profileGoOIDC is coreos/go-oidc's IDTokenVerifier from
// provider.Verifier(&oidc.Config{ClientID: audience}).
// oidc/verify.go@v3.21.0 (module cache; also read at v3.10.0 and v3.17.0,
// the same): the issuer must equal the provider's; ClientID must be in
// aud, and an empty ClientID without SkipClientIDCheck refuses every
// token; exp: t.Expiry.Before(now) fails with no skew, and a missing exp
// is the zero time, so it fails too (exp required); nbf is checked with a
// fixed 5 minute leeway ("what other OpenID Connect providers do"); iat
// and typ are not checked; SupportedSigningAlgs, when empty, is the
// provider's discovered id_token_signing_alg_values_supported
// (oidc/oidc.go@v3.21.0), and RS256 when neither gives any. go-oidc
// returns an error: the application writes the answer.
func profileGoOIDC() *Profile {
	return &Profile{
		Name:    "go-oidc",
		Library: "github.com/coreos/go-oidc/v3 oidc.IDTokenVerifier",
		Version: "v3.21.0",
		Tested:  "go-oidc v3.21.0",
		Sources: []string{
			"coreos/go-oidc oidc/verify.go@v3.21.0",
			"coreos/go-oidc oidc/oidc.go@v3.21.0",
		},
		Defaults: Policy{
			ExpLeeway:      DurationOf(0),
			NbfLeeway:      DurationOf(5 * time.Minute),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(false),
			Algs:           List("RS256"),
		},
		// oidc/oidc.go@v3.21.0 (NewProvider, supportedAlgorithms): the
		// discovered id_token_signing_alg_values_supported that go-oidc
		// supports; RS256 only when discovery lists none (verify.go:297-304).
		AlgsFromDiscovery: true,
		AlgsSupported:     []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"},
		IssuerUnset:       UnsetDiscovered,
		AudienceUnset:     UnsetRejectAll,
		Failure:           Failure{Challenge: ChallengeApp},
		Words: map[string]string{
			"exp_leeway":       "not configurable",
			"nbf_leeway":       "not configurable",
			"allow_no_exp":     "SkipExpiryCheck",
			"allow_future_iat": "not configurable",
			"skip_nbf":         "SkipExpiryCheck",
			"algs":             "SupportedSigningAlgs",
			"issuer":           "NewProvider issuer (SkipIssuerCheck)",
			"audience":         "ClientID (SkipClientIDCheck)",
		},
	}
}

// profileGolangJWT is golang-jwt/jwt v5's jwt.Parse with a keyfunc
// (MicahParks/keyfunc v3) and WithIssuer/WithAudience. validator.go
// @v5.3.1: leeway 0 (WithLeeway); exp only required with
// WithExpirationRequired (now < exp+leeway passes); nbf checked when
// present; iat only checked with WithIssuedAt; issuer and audience only
// with WithIssuer and WithAudience. parser.go@v5.3.1: without
// WithValidMethods any method the keyfunc's key fits (keyfunc.go@v3.9.2
// checks the JWK's alg when it has one). No typ check. Parse returns an
// error: the application writes the answer.
func profileGolangJWT() *Profile {
	return &Profile{
		Name:    "golang-jwt",
		Library: "github.com/golang-jwt/jwt/v5 jwt.Parser",
		Version: "v5.3.1",
		Tested:  "golang-jwt v5.3.1 with keyfunc v3.9.2",
		Sources: []string{
			"golang-jwt/jwt validator.go@v5.3.1",
			"golang-jwt/jwt parser.go@v5.3.1",
			"MicahParks/keyfunc keyfunc.go@v3.9.2",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetSkip,
		Failure:       Failure{Challenge: ChallengeApp},
		Words: map[string]string{
			"leeway":           "WithLeeway",
			"allow_no_exp":     "WithExpirationRequired",
			"allow_future_iat": "WithIssuedAt",
			"skip_nbf":         "nbf is checked when present",
			"algs":             "WithValidMethods",
			"issuer":           "WithIssuer",
			"audience":         "WithAudience",
		},
	}
}

// profilePyJWT is PyJWT's jwt.decode(token, key, algorithms=[...],
// audience=..., issuer=...). jwt/api_jwt.py@2.12.1: leeway 0; verify_exp,
// verify_nbf, verify_iat, verify_aud, verify_iss true; require [] (exp
// optional); exp <= now-leeway fails; nbf > now+leeway fails; iat >
// now+leeway fails with ImmatureSignatureError (since 2.6.0, PR #794,
// CHANGELOG.rst); no audience given and a token with aud is
// InvalidAudienceError; the issuer only when given. jwt/api_jws.py
// @2.12.1: algorithms must be given (DecodeError otherwise) unless the key
// is a PyJWK (PyJWKClient), whose own algorithm is then the only one; the
// profile leaves the algorithms to the key. No typ check. decode raises:
// the application writes the answer.
func profilePyJWT() *Profile {
	return &Profile{
		Name:    "pyjwt",
		Library: "PyJWT jwt.decode",
		Version: "2.12.1",
		Tested:  "PyJWT 2.6.0 (Debian python3-jwt)",
		Sources: []string{
			"jpadilla/pyjwt jwt/api_jwt.py@2.12.1",
			"jpadilla/pyjwt jwt/api_jws.py@2.12.1",
			"jpadilla/pyjwt CHANGELOG.rst@2.12.1 (future iat rejected since 2.6.0)",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(false),
			AllowNoExp:     Some(true),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetRejectPresent,
		Failure:       Failure{Challenge: ChallengeApp},
		Words: map[string]string{
			"leeway":           "leeway",
			"allow_no_exp":     `options["require"]`,
			"allow_future_iat": `options["verify_iat"]`,
			"skip_nbf":         `options["verify_nbf"]`,
			"algs":             "algorithms",
			"issuer":           "issuer",
			"audience":         "audience",
		},
	}
}

// profileEnvoy is Envoy's jwt_authn HTTP filter with one JwtProvider.
// source/extensions/filters/http/jwt_authn/authenticator.cc (stored main
// revision 0198b8f): clock_skew_seconds 0 means 60 (kClockSkewInSecond,
// jwt_verify_lib jwt_verify_lib/jwt.h); the issuer only when the provider
// sets one; audiences only when listed. jwt_verify_lib src/jwt.cc
// (b59e807) verifyTimeConstraint: now+skew < nbf fails, exp only when
// present (now > exp+skew fails); iat and typ not checked; any implemented
// algorithm the key fits. api/envoy/extensions/filters/http/jwt_authn/v3/
// config.proto (stored revision 0016b95): require_expiration defaults to
// false. source/extensions/filters/http/jwt_authn/filter.cc (0016b95):
// JwtAudienceNotAllowed is 403, every other failure 401, both with
// WWW-Authenticate: Bearer realm="<request URL>", error="invalid_token"
// (no error_description) and the status text as body ("Jwt is expired").
// Envoy's source was read at stored main revisions, not a tagged release
// (another stored revision's VERSION.txt reads 1.36.6).
func profileEnvoy() *Profile {
	return &Profile{
		Name:    "envoy",
		Library: "Envoy envoy.filters.http.jwt_authn (google/jwt_verify_lib)",
		Version: "1.36 (main revisions 0016b95, 0198b8f; jwt_verify_lib b59e807)",
		Sources: []string{
			"envoyproxy/envoy source/extensions/filters/http/jwt_authn/authenticator.cc@0198b8f",
			"envoyproxy/envoy source/extensions/filters/http/jwt_authn/filter.cc@0016b95",
			"envoyproxy/envoy api/envoy/extensions/filters/http/jwt_authn/v3/config.proto@0016b95",
			"google/jwt_verify_lib src/jwt.cc@b59e807",
			"google/jwt_verify_lib jwt_verify_lib/jwt.h@b59e807",
		},
		Defaults: Policy{
			Leeway:         DurationOf(60 * time.Second),
			SkipNbf:        Some(false),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(true),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetSkip,
		Failure: Failure{
			Status:        401,
			StatusByCheck: map[string]int{CheckAudience: 403},
			Challenge:     ChallengeRFC6750,
			Body:          "text",
		},
		Words: map[string]string{
			"leeway":           "clock_skew_seconds",
			"allow_no_exp":     "require_expiration",
			"skip_nbf":         "nbf is checked with clock_skew_seconds",
			"allow_future_iat": "not configurable",
			"algs":             "the JWKS's keys",
			"issuer":           "issuer",
			"audience":         "audiences",
		},
	}
}

// profileModAuthOpenIDC is Apache mod_auth_openidc as an OAuth 2.0
// resource server validating JWT access tokens locally
// (OIDCOAuthVerifyJwksUri; AuthType oauth20). src/oauth.c@v2.4.20.2
// oidc_oauth_validate_jwt_access_token: oidc_proto_jwt_validate(r, jwt,
// NULL, TRUE, FALSE, -1): exp required (since 2.4.20, ChangeLog
// 07/27/2026: it was optional before), iat not enforced (slack -1:
// OIDCIDTokenIatSlack applies to ID tokens only), nbf never checked;
// src/proto/jwt.c@v2.4.20.2: now > exp fails, no skew. The issuer
// (OIDCOAuthVerifyIssuer) and the audience (OIDCOAuthVerifyAudience), both
// new in 2.4.20, are only checked when configured; before 2.4.20 neither
// was checked at all. oidc_proto_jwt_verify: any algorithm but none the
// keys fit. src/proto/proto.c@v2.4.20.2 oidc_proto_return_www_authenticate:
// 401, WWW-Authenticate: Bearer realm="<AuthName>", error="invalid_token",
// error_description="JWT token could not be validated", Apache's HTML
// error page. src/handle/authz.c@v2.4.20.2: a Require claim that fails is
// 401 with OIDC_OAUTH_BEARER_SCOPE_ERROR = Bearer
// error="insufficient_scope", ... set for mod_headers (ChangeLog 2.4.8,
// #572): the challenge says insufficient_scope when the server adds the
// documented "Header always append WWW-Authenticate
// %{OIDC_OAUTH_BEARER_SCOPE_ERROR}e" line.
func profileModAuthOpenIDC() *Profile {
	return &Profile{
		Name:    "mod_auth_openidc",
		Library: "mod_auth_openidc OAuth 2.0 resource server (OIDCOAuthVerifyJwksUri)",
		Version: "2.4.20.2",
		Sources: []string{
			"OpenIDC/mod_auth_openidc src/oauth.c@v2.4.20.2",
			"OpenIDC/mod_auth_openidc src/proto/jwt.c@v2.4.20.2",
			"OpenIDC/mod_auth_openidc src/proto/proto.c@v2.4.20.2",
			"OpenIDC/mod_auth_openidc src/handle/authz.c@v2.4.20.2",
			"OpenIDC/mod_auth_openidc auth_openidc.conf@v2.4.20.2",
			"OpenIDC/mod_auth_openidc ChangeLog@v2.4.20.2",
		},
		Defaults: Policy{
			Leeway:         DurationOf(0),
			SkipNbf:        Some(true),
			AllowFutureIat: Some(true),
			AllowNoExp:     Some(false),
		},
		IssuerUnset:   UnsetSkip,
		AudienceUnset: UnsetSkip,
		Failure: Failure{
			Status:     401,
			Challenge:  ChallengeRFC6750,
			ClaimError: "insufficient_scope",
			Body:       "html",
		},
		Words: map[string]string{
			"leeway":           "not configurable",
			"allow_no_exp":     "exp is mandatory for JWT access tokens (2.4.20)",
			"skip_nbf":         "not configurable",
			"allow_future_iat": "OIDCIDTokenIatSlack is for ID tokens only",
			"algs":             "OIDCOAuthVerifyJwksUri keys",
			"issuer":           "OIDCOAuthVerifyIssuer",
			"audience":         "OIDCOAuthVerifyAudience",
		},
	}
}
