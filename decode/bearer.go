package decode

import "strings"

// BearerToken reads the value of an Authorization header (or what a user
// pasted of one) as Bearer credentials: "Bearer" in any case, then
// whitespace, then the token (RFC 6750 section 2.1; the scheme is
// case-insensitive, RFC 9110 section 11.1). Whitespace around the value
// and the token is dropped, and a tab counts as a space, as pastes have
// them. ok is false for another scheme (or none); ok with an empty token
// is "Bearer" with nothing after it, which callers refuse in their own
// words. The token itself is not checked.
//
// It is the one reading of "Bearer ..." for jwtrace: decode's input
// cleanup, chain's and introspect's --token, the test resource server and
// the authority's userinfo endpoint.
func BearerToken(value string) (token string, ok bool) {
	return cutScheme(strings.Trim(value, " \t"), "bearer")
}

// cutScheme cuts an authentication scheme (case-insensitive) and the
// whitespace after it off s, which starts with it: ok when s is the scheme
// alone or the scheme, whitespace and the rest.
func cutScheme(s, scheme string) (rest string, ok bool) {
	if !hasPrefixFold(s, scheme) {
		return s, false
	}
	rest = s[len(scheme):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return s, false
	}
	return strings.Trim(rest, " \t"), true
}
