package verify

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// str decodes a JSON string value.
func str(raw json.RawMessage, ok bool) (string, bool) {
	if !ok || len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if !strings.Contains(string(raw), `\`) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// strList decodes a string or an array of strings. An array with any
// member that is not a string (null among them, which encoding/json would
// quietly turn into "") is not one.
func strList(raw json.RawMessage, ok bool) ([]string, bool) {
	if s, isStr := str(raw, ok); isStr {
		return []string{s}, true
	}
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var members []json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil, false
	}
	list := make([]string, 0, len(members))
	for _, m := range members {
		s, isStr := str(m, true)
		if !isStr {
			return nil, false
		}
		list = append(list, s)
	}
	return list, true
}

// excerpt is a claim's JSON text, cut to 60 runes.
func excerpt(raw json.RawMessage) string { return textsafe.Cut(string(raw), 60) }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	sort.Strings(q)
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// containsASCIIFold compares ignoring ASCII case only (tenant IDs are
// GUIDs or domain names): Unicode folding would let "\u212Aontoso" (Kelvin
// sign) pass for "kontoso".
func containsASCIIFold(list []string, s string) bool {
	for _, x := range list {
		if len(x) == len(s) && asciiLower(x) == asciiLower(s) {
			return true
		}
	}
	return false
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
