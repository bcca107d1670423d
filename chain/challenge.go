package chain

import (
	"slices"
	"strings"
)

// Challenge is one authentication challenge from a WWW-Authenticate header
// (RFC 9110 §11.6.1, RFC 6750 §3).
type Challenge struct {
	Scheme  string            // as sent, e.g. "Bearer", "DPoP", "Basic"
	Token68 string            // for schemes like Negotiate/Basic that carry a token68 instead of params
	Params  map[string]string // auth-params, keys lower-cased, values unquoted and unescaped; nil when there are none
}

// Bounds on what ParseChallenges considers, so that a hostile server cannot
// make it use more than a few tens of KiB whatever it sends.
const (
	// MaxChallenges is the most challenges ParseChallenges returns; the
	// rest of the input is ignored.
	MaxChallenges = 32
	// MaxChallengeParams is the most auth-params kept per challenge; later
	// ones are dropped.
	MaxChallengeParams = 64
	// MaxChallengeBytes is the most input considered across all header
	// values, each value counting one byte more than its length (so a flood
	// of empty values is bounded too). A value that crosses the limit is cut
	// there and parsed as far as it goes.
	MaxChallengeBytes = 16 << 10
)

// ParseChallenges parses every challenge in every given header value (a
// response may carry several WWW-Authenticate headers, each with several
// challenges). It never panics and never fails: malformed parts are skipped
// or salvaged as best as a debugging tool should.
//
// The grammar is RFC 9110's:
//
//	challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param = token BWS "=" BWS ( token / quoted-string )
//
// A token followed by "=" (spaces allowed around it) is an auth-param of the
// current challenge; any other token starts a new challenge. After the scheme
// and a space, a lone word of token68 bytes, with or without "=" padding,
// followed by a comma or the end is a token68: `Negotiate YIIB/w==`,
// `Basic dXM6cA=`, and so also `Bearer realm` or `Bearer error=`. Beyond the
// grammar it salvages what real servers send:
//
//   - Commas may be missing between params (`realm="x" error="y"`), doubled,
//     leading or trailing, or stray right after the scheme (`Bearer, error=…`).
//   - An unquoted value runs to the next space, tab or comma, whatever bytes
//     it holds; a value may be empty (`error=""`, or `error=` where it is not
//     the lone word after the scheme).
//   - An unterminated quoted string runs to the end of the value; a backslash
//     with nothing after it is kept as itself.
//   - Non-ASCII and control bytes are kept in values as sent: the caller
//     escapes them for display.
//   - Outside quoted strings, bytes that cannot start a token (such as ";"
//     used as a separator) are skipped one by one, and so is an auth-param
//     with no name (`="x"`) or a stray quoted string.
//   - A param name that occurs twice in one challenge keeps its first value.
//     RFC 9110 lets each name occur only once, so a repeat is the sender's
//     mistake; keeping the first means nothing appended later (by a proxy,
//     say) can override what the challenge said first.
//   - Params before any scheme are dropped. Params after a token68 are kept
//     in that challenge's Params.
//
// Several values are read as RFC 9110 §5.3 combines field lines, as if
// joined by commas: params at the start of a value belong to the last
// challenge of the value before. Quoted strings never run from one value
// into the next.
//
// Scheme names keep their case; param names are lower-cased. Params is nil
// for a challenge without params. Strings in the result may share memory
// with the input, except with a value cut at MaxChallengeBytes.
func ParseChallenges(values []string) []Challenge {
	p := challengeParser{cur: -1}
	budget := MaxChallengeBytes
	for _, v := range values {
		if budget <= 0 || p.done {
			break
		}
		budget--
		if len(v) > budget {
			// Copy the prefix so that the result does not keep the
			// whole oversized value alive.
			v = strings.Clone(v[:budget])
		}
		budget -= len(v)
		p.parse(v)
	}
	return p.out
}

// challengeParser holds the challenges found so far; cur indexes the one
// that auth-params attach to (-1 for none yet).
type challengeParser struct {
	out  []Challenge
	cur  int
	done bool // MaxChallenges reached and another challenge began
}

// parse reads one header value.
func (p *challengeParser) parse(s string) {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == ',':
			i++
			continue
		case c == '"': // a stray quoted string
			_, i = quotedString(s, i)
			continue
		case c == '=': // an auth-param without a name
			_, i = paramValue(s, i+1)
			continue
		case !isTchar(c):
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isTchar(s[j]) {
			j++
		}
		name := s[i:j]
		k := skipWS(s, j)
		if k < len(s) && s[k] == '=' {
			var v string
			v, i = paramValue(s, k+1)
			p.param(name, v)
			continue
		}
		if len(p.out) == MaxChallenges {
			p.done = true
			return
		}
		p.out = append(p.out, Challenge{Scheme: name})
		p.cur = len(p.out) - 1
		i = j
		if k > j { // 1*SP after the scheme: perhaps a token68
			if t, end, ok := token68(s, k); ok {
				p.out[p.cur].Token68 = t
				i = end
			}
		}
	}
}

// param records an auth-param on the current challenge: the first value of
// a name wins, and at most MaxChallengeParams are kept.
func (p *challengeParser) param(name, value string) {
	if p.cur < 0 {
		return
	}
	ch := &p.out[p.cur]
	name = strings.ToLower(name)
	if ch.Params == nil {
		ch.Params = make(map[string]string)
	} else if _, dup := ch.Params[name]; dup || len(ch.Params) >= MaxChallengeParams {
		return
	}
	ch.Params[name] = value
}

// paramValue reads an auth-param's value at or after s[i] (after the "="),
// quoted or not, and returns it with the index just past it.
func paramValue(s string, i int) (string, int) {
	i = skipWS(s, i)
	if i < len(s) && s[i] == '"' {
		return quotedString(s, i)
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != ',' {
		j++
	}
	return s[i:j], j
}

// quotedString reads the quoted-string opening at s[i], undoing quoted-pairs,
// and returns its content with the index just past the closing quote (or
// len(s) when it is unterminated).
func quotedString(s string, i int) (string, int) {
	start := i + 1
	j := start
	for j < len(s) && s[j] != '"' && s[j] != '\\' {
		j++
	}
	if j == len(s) {
		return s[start:], j
	}
	if s[j] == '"' {
		return s[start:j], j + 1
	}
	var b strings.Builder
	b.WriteString(s[start:j])
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			return b.String(), j + 1
		case c == '\\' && j+1 < len(s):
			j++
			c = s[j]
		}
		b.WriteByte(c)
	}
	return b.String(), j
}

// token68 reports whether s[i:] starts with a token68 that ends the
// challenge, that is, is followed only by optional spaces and then a comma or
// the end. "abc==" is a token68; "abc=def" and `abc="x"` are auth-params.
func token68(s string, i int) (tok string, end int, ok bool) {
	j := i
	for j < len(s) && isToken68Char(s[j]) {
		j++
	}
	if j == i {
		return "", i, false
	}
	for j < len(s) && s[j] == '=' {
		j++
	}
	end = skipWS(s, j)
	if end < len(s) && s[end] != ',' {
		return "", i, false
	}
	return s[i:j], end, true
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isTchar reports whether c may appear in an RFC 9110 token.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isToken68Char reports whether c may appear in a token68 before its "="
// padding.
func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/':
		return true
	}
	return false
}

// Bearer returns the challenge that matters for a bearer token: the first
// "Bearer" challenge (scheme case-insensitive); if none, the first "DPoP"
// one; else nil. The result points into chs.
func Bearer(chs []Challenge) *Challenge {
	for _, scheme := range [...]string{"Bearer", "DPoP"} {
		for i := range chs {
			if strings.EqualFold(chs[i].Scheme, scheme) {
				return &chs[i]
			}
		}
	}
	return nil
}

// Param returns the value of the auth-param name (case-insensitive), or ""
// when c is nil or has no such param.
func (c *Challenge) Param(name string) string {
	if c == nil {
		return ""
	}
	return c.Params[strings.ToLower(name)]
}

// ErrorCode returns the "error" param (RFC 6750 §3.1), such as
// "invalid_token". (Not Error: that would make *Challenge an error, and
// fmt would print only the code.)
func (c *Challenge) ErrorCode() string { return c.Param("error") }

// Description returns the "error_description" param.
func (c *Challenge) Description() string { return c.Param("error_description") }

// Scope returns the "scope" param: space-separated scopes the resource needs.
func (c *Challenge) Scope() string { return c.Param("scope") }

// Realm returns the "realm" param.
func (c *Challenge) Realm() string { return c.Param("realm") }

// ErrorURI returns the "error_uri" param.
func (c *Challenge) ErrorURI() string { return c.Param("error_uri") }

// challengeParamOrder is the order String renders the well-known params in,
// before the rest sorted by name.
var challengeParamOrder = [...]string{"realm", "error", "error_description", "scope"}

// String renders the challenge back canonically: the scheme, the token68 if
// any, then the params in a stable order (realm, error, error_description,
// scope, then the rest sorted by name), every value quoted with `"` and `\`
// escaped. Other bytes are written as they are, so a caller printing to a
// terminal escapes control bytes itself. Parsing the result gives c back.
// A nil c renders as "".
func (c *Challenge) String() string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(c.Scheme)
	sep := " "
	if c.Token68 != "" {
		b.WriteString(" ")
		b.WriteString(c.Token68)
		sep = ", "
	}
	write := func(k, v string) {
		b.WriteString(sep)
		sep = ", "
		b.WriteString(k)
		b.WriteString(`="`)
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('"')
	}
	for _, k := range challengeParamOrder {
		if v, ok := c.Params[k]; ok {
			write(k, v)
		}
	}
	if len(c.Params) > 0 {
		rest := make([]string, 0, len(c.Params))
		for k := range c.Params {
			if !slices.Contains(challengeParamOrder[:], k) {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		for _, k := range rest {
			write(k, c.Params[k])
		}
	}
	return b.String()
}
