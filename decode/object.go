package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
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
	if d := depth(data); d > MaxDepth {
		return nil, nil, &objectError{"depth", fmt.Sprintf("JSON is nested more than %d levels deep", MaxDepth)}
	}
	if !utf8.Valid(data) {
		// Keep output valid UTF-8; callers report the original bytes.
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	trimmed := bytes.Trim(data, " \t\r\n") // JSON's whitespace, no more
	if !json.Valid(trimmed) {
		return nil, nil, &objectError{"json", "not valid JSON: " + jsonSyntaxHint(trimmed)}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, &objectError{"type", "JSON " + jsonKind(trimmed) + ", not an object"}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, nil, &objectError{"json", err.Error()}
	}
	obj := &Object{}
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, &objectError{"json", err.Error()}
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, &objectError{"json", err.Error()}
		}
		var cb bytes.Buffer
		if json.Compact(&cb, raw) == nil {
			raw = cb.Bytes()
		}
		if seen[key] {
			dups = appendOnce(dups, key)
		}
		seen[key] = true
		obj.Members = append(obj.Members, Member{Key: key, Value: raw})
		dups = nestedDuplicates(raw, key, dups)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, nil, &objectError{"json", err.Error()}
	}
	obj.Raw = buf.Bytes()
	return obj, dups, nil
}

// nestedDuplicates walks a member's value and records duplicate keys inside
// nested objects, with their dotted path.
func nestedDuplicates(raw json.RawMessage, path string, dups []string) []string {
	t := raw
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return dups
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	// One frame per open object or array; arrays have no key set.
	type frame struct {
		keys      map[string]bool
		path      string
		lastKey   string
		expectKey bool
	}
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return path
		}
		top := stack[len(stack)-1]
		if top.keys != nil {
			return top.path + "." + top.lastKey
		}
		return top.path
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return dups
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, path: childPath(), expectKey: true})
			case '[':
				stack = append(stack, &frame{path: childPath()})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].keys != nil {
					stack[len(stack)-1].expectKey = true
				}
			}
			continue
		case string:
			if top != nil && top.keys != nil && top.expectKey {
				if top.keys[v] {
					dups = appendOnce(dups, top.path+"."+v)
				}
				top.keys[v] = true
				top.lastKey = v
				top.expectKey = false
				continue
			}
		}
		// A scalar value: in an object, the next string is a key again.
		if top != nil && top.keys != nil {
			top.expectKey = true
		}
	}
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
	d, maxD := 0, 0
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
			if d > maxD {
				maxD = d
				if maxD > MaxDepth {
					return maxD
				}
			}
		case '}', ']':
			d--
		}
	}
	return maxD
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

// printable makes bytes safe to show in a terminal message: invalid UTF-8 and
// control characters are replaced, and long text is cut.
func printable(b []byte, limit int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > limit {
		r := []rune(s)
		s = string(r[:limit]) + "…"
	}
	return s
}
