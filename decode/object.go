package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// MaxDepth is the deepest nesting of JSON arrays and objects that a header or
// claims set may have. Real tokens nest two or three levels; anything deeper
// is hostile or broken, and refusing it keeps decoding cheap and bounded.
const MaxDepth = 32

// Member is one name/value pair of a JSON object, in the order the token
// wrote it. Value holds the member's JSON text exactly as the token had it
// (numbers keep their precision).
type Member struct {
	Key   string
	Value json.RawMessage
}

// Object is a JSON object with its members in the token's own order. Raw is
// the compacted JSON text of the whole object, also in the token's order, so
// that it can be printed without reordering keys.
type Object struct {
	Members []Member
	Raw     json.RawMessage
}

// MarshalJSON writes the object in the token's key order.
func (o Object) MarshalJSON() ([]byte, error) {
	if o.Raw == nil {
		return []byte("null"), nil
	}
	return o.Raw, nil
}

// Get returns the value of the first member named key.
func (o *Object) Get(key string) (json.RawMessage, bool) {
	if o == nil {
		return nil, false
	}
	for _, m := range o.Members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// String returns the member's value if it is a JSON string.
func (o *Object) String(key string) (string, bool) {
	v, ok := o.Get(key)
	if !ok {
		return "", false
	}
	return StringValue(v)
}

// StringValue returns what json.Unmarshal of raw into a string returns,
// and whether it succeeds. A literal with no escape, control character,
// inner quote or invalid UTF-8 (nearly every claim) is its own bytes
// between the quotes, read without encoding/json's reflection, which
// decode would otherwise pull in at every start; any other text goes to
// json.Unmarshal, so the result is the same for every input
// (TestStringValueIsUnmarshal).
func StringValue(raw []byte) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && plainString(raw[1:n-1]) {
		return string(raw[1 : n-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// plainString reports whether b is a JSON string's content that decodes
// to itself: valid UTF-8 with no quote, backslash or control character.
func plainString(b []byte) bool {
	ascii := true
	for _, c := range b {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

// Strings returns a member that is a string, or an array of strings, as
// a list; a string is split at spaces when fields (a scope claim). nil
// when it is absent or of another type.
func (o *Object) Strings(key string, fields bool) []string {
	v, ok := o.Get(key)
	if !ok {
		return nil
	}
	if s, ok := StringValue(v); ok {
		if fields {
			return strings.Fields(s)
		}
		return []string{s}
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return list
	}
	return nil
}

// Has reports whether the object has a member named key.
func (o *Object) Has(key string) bool {
	_, ok := o.Get(key)
	return ok
}

// objectError says why a JSON text is not a usable object. Kind is one of
// "json" (not JSON at all), "type" (JSON, but not an object) or "depth".
type objectError struct {
	Kind string
	Msg  string
}

func (e *objectError) Error() string { return e.Msg }

// parseObject parses data as one JSON object, keeping member order, and
// returns the keys that occur more than once at any level (each reported once,
// as a path such as "aud" or "address.country").
func parseObject(data []byte) (*Object, []string, error) {
	d, space := shape(data)
	if d > MaxDepth {
		return nil, nil, &objectError{"depth", fmt.Sprintf("JSON is nested more than %d levels deep", MaxDepth)}
	}
	if !utf8.Valid(data) {
		// Keep output valid UTF-8; callers report the original bytes.
		data = validUTF8(data)
	}
	trimmed := bytes.Trim(data, " \t\r\n") // JSON's whitespace, no more
	if !json.Valid(trimmed) {
		return nil, nil, &objectError{"json", "not valid JSON: " + jsonSyntaxHint(trimmed)}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, &objectError{"type", "JSON " + jsonKind(trimmed) + ", not an object"}
	}
	// The text is valid JSON now, so a plain scan can split it.
	compact := trimmed
	if space {
		var buf bytes.Buffer
		if err := json.Compact(&buf, trimmed); err != nil {
			return nil, nil, &objectError{"json", err.Error()}
		}
		compact = buf.Bytes()
	}
	obj := &Object{Raw: compact}
	var dups []string
	obj.Members, dups = members(compact, "", nil)
	return obj, dups, nil
}

// members splits a compact, valid JSON object into its members, in order,
// and collects duplicate keys at any depth as dotted paths.
func members(obj []byte, path string, dups []string) ([]Member, []string) {
	out := make([]Member, 0, 16)
	// Small objects (every real header and claims set) find duplicates by
	// a scan of the keys so far, which is cheaper than a map; big ones get
	// a map.
	var seen map[string]struct{}
	i := 1 // past '{'
	for i < len(obj) && obj[i] != '}' {
		kEnd := valueEnd(obj, i)
		key := jsonString(obj[i:kEnd])
		vStart := kEnd + 1 // past ':'
		vEnd := valueEnd(obj, vStart)
		val := obj[vStart:vEnd:vEnd]
		full := key
		if path != "" {
			full = path + "." + key
		}
		dup := false
		if seen != nil {
			_, dup = seen[key]
			seen[key] = struct{}{}
		} else {
			for _, m := range out {
				if m.Key == key {
					dup = true
					break
				}
			}
			if len(out) == 32 {
				seen = make(map[string]struct{}, 64)
				for _, m := range out {
					seen[m.Key] = struct{}{}
				}
				seen[key] = struct{}{}
			}
		}
		if dup {
			dups = appendOnce(dups, full)
		}
		out = append(out, Member{Key: key, Value: val})
		dups = nestedDups(val, full, dups)
		i = vEnd
		if i < len(obj) && obj[i] == ',' {
			i++
		}
	}
	return out, dups
}

// nestedDups looks for duplicate keys inside a value's objects.
func nestedDups(val []byte, path string, dups []string) []string {
	switch val[0] {
	case '{':
		_, dups = members(val, path, dups)
	case '[':
		for i := 1; i < len(val) && val[i] != ']'; {
			end := valueEnd(val, i)
			dups = nestedDups(val[i:end], path, dups)
			i = end
			if i < len(val) && val[i] == ',' {
				i++
			}
		}
	}
	return dups
}

// valueEnd returns the index just past the JSON value that starts at i in
// compact, valid JSON.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		d := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = valueEnd(b, j) - 1
			case '{', '[':
				d++
			case '}', ']':
				d--
				if d == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		return j
	}
}

// jsonString decodes a JSON string literal.
func jsonString(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		if name, ok := commonName(lit[1 : len(lit)-1]); ok {
			return name // no allocation for the names every token has
		}
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return s
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json does
// when it decodes strings, so that jwtrace shows the same keys and values
// as Go verifiers see.
func validUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// depth returns the deepest nesting of arrays and objects in data, without
// parsing it (strings are skipped so that brackets inside them do not count).
// It stops counting once the limit is passed.
func depth(data []byte) int {
	d, _ := shape(data)
	return d
}

// shape scans JSON text once for its nesting depth (stopping past
// MaxDepth) and for whitespace between tokens (spaces inside strings do not
// count), which tells parseObject whether to compact it.
func shape(data []byte) (maxDepth int, space bool) {
	d := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			d++
			if d > maxDepth {
				maxDepth = d
				if maxDepth > MaxDepth {
					return maxDepth, space
				}
			}
		case '}', ']':
			d--
		case ' ', '\t', '\r', '\n':
			space = true
		}
	}
	return maxDepth, space
}

func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "is empty"
	}
	switch data[0] {
	case '[':
		return "is an array"
	case '"':
		return "is a string"
	case 't', 'f':
		return "is a boolean"
	case 'n':
		return "is null"
	default:
		return "is a number"
	}
}

// jsonSyntaxHint names where a JSON text breaks, for error messages.
func jsonSyntaxHint(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	if !utf8.Valid(data) {
		return "invalid UTF-8"
	}
	return "syntax error"
}

// excerpt returns the start of b as valid UTF-8, cut at limit runes
// (textsafe.Cut). It does not make text safe for a terminal; internal/ui
// does that when it prints.
func excerpt(b []byte, limit int) string {
	return textsafe.Cut(strings.ToValidUTF8(string(b), "\uFFFD"), limit)
}

// ParseObject parses data as one JSON object (at most MaxDepth deep),
// keeping its members in order, and returns the keys that occur more than
// once at any depth. verify uses it so that both commands read a header or
// claims set the same way.
func ParseObject(data []byte) (obj *Object, duplicates []string, err error) {
	return parseObject(data)
}

// JSONDepth is the deepest nesting of arrays and objects in data (which
// need not be valid JSON); strings are skipped.
func JSONDepth(data []byte) int { return depth(data) }

// commonName returns the shared string for the header and claim names every
// token has, without allocating (a switch on string(b) does not copy b).
func commonName(b []byte) (string, bool) {
	switch string(b) {
	case "alg":
		return "alg", true
	case "kid":
		return "kid", true
	case "typ":
		return "typ", true
	case "cty":
		return "cty", true
	case "crit":
		return "crit", true
	case "jku":
		return "jku", true
	case "jwk":
		return "jwk", true
	case "x5u":
		return "x5u", true
	case "x5c":
		return "x5c", true
	case "x5t":
		return "x5t", true
	case "enc":
		return "enc", true
	case "zip":
		return "zip", true
	case "iss":
		return "iss", true
	case "sub":
		return "sub", true
	case "aud":
		return "aud", true
	case "exp":
		return "exp", true
	case "nbf":
		return "nbf", true
	case "iat":
		return "iat", true
	case "jti":
		return "jti", true
	case "azp":
		return "azp", true
	case "scp":
		return "scp", true
	case "scope":
		return "scope", true
	case "tid":
		return "tid", true
	case "oid":
		return "oid", true
	case "ver":
		return "ver", true
	case "nonce":
		return "nonce", true
	case "name":
		return "name", true
	case "email":
		return "email", true
	case "email_verified":
		return "email_verified", true
	case "preferred_username":
		return "preferred_username", true
	case "client_id":
		return "client_id", true
	case "roles":
		return "roles", true
	case "groups":
		return "groups", true
	case "auth_time":
		return "auth_time", true
	case "at_hash":
		return "at_hash", true
	case "sid":
		return "sid", true
	case "acr":
		return "acr", true
	case "amr":
		return "amr", true
	case "appid":
		return "appid", true
	case "upn":
		return "upn", true
	}
	return "", false
}
