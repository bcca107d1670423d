package verify

// algInfo is one JWS algorithm jwtrace verifies (RFC 7518 §3.1, RFC 8037
// §3.1, RFC 9864 for "Ed25519").
type algInfo struct {
	name string
	// kty is the key type that verifies it; curve the EC curve.
	kty, curve string
	// hashBytes is an HMAC algorithm's hash size: its shortest secret
	// (RFC 7518 §3.2) and its signature size.
	hashBytes int
}

// algTable is the one table of algorithms: the --alg values Check takes,
// the algorithms each key allows and the HMAC sizes all come from it.
var algTable = []algInfo{
	{name: "RS256", kty: "RSA"}, {name: "RS384", kty: "RSA"}, {name: "RS512", kty: "RSA"},
	{name: "PS256", kty: "RSA"}, {name: "PS384", kty: "RSA"}, {name: "PS512", kty: "RSA"},
	{name: "ES256", kty: "EC", curve: "P-256"}, {name: "ES384", kty: "EC", curve: "P-384"}, {name: "ES512", kty: "EC", curve: "P-521"},
	{name: "EdDSA", kty: "OKP"}, {name: "Ed25519", kty: "OKP"},
	{name: "HS256", kty: "oct", hashBytes: 32}, {name: "HS384", kty: "oct", hashBytes: 48}, {name: "HS512", kty: "oct", hashBytes: 64},
}

// The algorithms each key type allows, built from algTable once (shared,
// never modified).
var (
	knownAlgs = algNames(func(a algInfo) bool { return true })
	rsaAlgs   = algNames(func(a algInfo) bool { return a.kty == "RSA" })
	edAlgs    = algNames(func(a algInfo) bool { return a.kty == "OKP" })
	curveAlgs = map[string][]string{
		"P-256": algNames(func(a algInfo) bool { return a.curve == "P-256" }),
		"P-384": algNames(func(a algInfo) bool { return a.curve == "P-384" }),
		"P-521": algNames(func(a algInfo) bool { return a.curve == "P-521" }),
	}
)

func algNames(keep func(algInfo) bool) []string {
	var out []string
	for _, a := range algTable {
		if keep(a) {
			out = append(out, a.name)
		}
	}
	return out
}

// KnownAlgs lists the algorithms jwtrace verifies.
func KnownAlgs() []string { return append([]string(nil), knownAlgs...) }

func knownAlg(a string) bool { return lookupAlg(a) != nil }

func lookupAlg(name string) *algInfo {
	for i := range algTable {
		if algTable[i].name == name {
			return &algTable[i]
		}
	}
	return nil
}

// hmacBytes is an HMAC algorithm's hash size, or 0.
func hmacBytes(alg string) int {
	if a := lookupAlg(alg); a != nil {
		return a.hashBytes
	}
	return 0
}
