package verify

import "time"

// profiles are the validator libraries jwtrace can predict for. Each
// profile's comment and Sources cite the file and version its defaults
// were read from.
var profiles = []*Profile{
	profileJWTrace,
}

// profileJWTrace is jwtrace's own strict semantics (verify/times.go,
// verify/claims.go in this repository): no leeway, exp required, nbf and
// a future iat checked, the issuer from the authority's discovery, the
// audience checked only where declared (chain) or refused when neither
// declared nor skipped (verify).
var profileJWTrace = &Profile{
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
