package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// MaxInputBytes is the most input jwtrace reads for decode. A pasted token
// response or log excerpt fits easily; a 10 MB paste is refused with a
// clear message instead of being scanned.
const MaxInputBytes = 1 << 20

// Candidate is one token-shaped value found in the input.
type Candidate struct {
	// Source names where it was found: "input", "Authorization header",
	// "id_token", "access_token", a JSON path, "text".
	Source string
	Token  string
}

// Extracted is what Extract found: token candidates, and notes about values
// that looked like tokens but are not JWTs (opaque refresh tokens, say).
type Extracted struct {
	Candidates []Candidate
	Notes      []string
}

// InputError says why the input holds no token, and what it holds instead.
type InputError struct {
	Msg string
	// FileName is set when the input looks like the name of a file, so
	// that a command can suggest how to read one.
	FileName string
}

func (e *InputError) Error() string { return e.Msg }

// ErrEmpty is returned for input that is empty or only whitespace.
var ErrEmpty = &InputError{Msg: "the input is empty"}

// tokenKeys are the names under which token responses, URLs and forms carry
// tokens; a value under one of them that is not a JWT is reported as opaque.
var tokenKeys = []string{"access_token", "id_token", "refresh_token", "token", "jwt", "assertion", "client_assertion", "logout_token", "subject_token", "actor_token"}

// Extract finds the tokens in what a person pasted: a bare JWT (with stray
// whitespace, line breaks or quotes), "Bearer <jwt>", an "Authorization:"
// line or curl -H argument, a URL or fragment with id_token= or
// access_token=, a JSON token response, or text such as a log line that
// contains JWTs.
func Extract(input []byte) (*Extracted, error) {
	if len(input) > MaxInputBytes {
		return nil, &InputError{Msg: fmt.Sprintf("the input is %s; jwtrace reads at most %s (a token response is a few KiB)", sizeString(len(input)), sizeString(MaxInputBytes))}
	}
	if !utf8.Valid(input) {
		return nil, &InputError{Msg: "the input is not UTF-8 text (binary data?); a JWT is plain ASCII"}
	}
	s := strings.TrimPrefix(string(input), "\uFEFF")
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrEmpty
	}
	if looksBinary([]byte(s)) {
		return nil, &InputError{Msg: "the input contains control characters (binary data?); a JWT is plain ASCII"}
	}

	// A JSON document (or JSON Lines): a token endpoint response, a HAR
	// file, a structured log, or any JSON holding tokens.
	if s[0] == '{' || s[0] == '[' {
		return extractJSON(s)
	}

	// One value, possibly quoted, prefixed or wrapped over several lines.
	tok, source, ok := single(s)
	if ok {
		return limit(&Extracted{Candidates: []Candidate{{Source: source, Token: tok}}}), nil
	}
	if source == "Basic credentials" {
		return nil, &InputError{Msg: "the input is HTTP Basic credentials (a user name and password in base64), not a bearer token; jwtrace does not decode them"}
	}

	// A URL, fragment or form with token parameters.
	params := extractParams(s)
	if params != nil && len(params.Candidates) > 0 {
		return limit(params), nil
	}

	// Anything else: look for JWT-shaped words in the text.
	if c := scan(s); len(c) > 0 {
		ex := &Extracted{Candidates: c}
		if params != nil {
			ex.Notes = params.Notes
		}
		return limit(ex), nil
	}

	// No token: say what the input is instead.
	switch {
	case params != nil:
		return nil, &InputError{Msg: "no JWT in the parameters: " + strings.Join(params.Notes, "; ")}
	case source != "input" && tok != "" && !strings.ContainsAny(tok, " \t\r\n"):
		// "Bearer <something>" where the something is not a JWT.
		return nil, &InputError{Msg: describe(tok, "the value after "+prefixName(s))}
	}
	ie := &InputError{Msg: describe(s, "the input")}
	if looksLikeFileName(s) {
		ie.FileName = s
	}
	return nil, ie
}

func looksLikeFileName(s string) bool {
	lower := strings.ToLower(s)
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for _, ext := range []string{".jwt", ".txt", ".json", ".token", ".jwe", ".jws"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// MaxTokens is how many tokens one input may yield; more are reported and
// skipped, so that a pasted file of thousands of tokens stays cheap.
const MaxTokens = 100

func limit(ex *Extracted) *Extracted {
	if n := len(ex.Candidates); n > MaxTokens {
		ex.Candidates = ex.Candidates[:MaxTokens]
		ex.Notes = append(ex.Notes, fmt.Sprintf("the input holds %d tokens; only the first %d are decoded", n, MaxTokens))
	}
	return ex
}

// single handles input that is one token, perhaps quoted, behind a
// "Bearer" or "Authorization:" prefix, or in a curl -H argument.
//
// It returns the value with prefixes, quotes and whitespace removed, and
// whether that value is token-shaped.
func single(s string) (string, string, bool) {
	source := "input"
	s = unquote(s)
	for _, p := range []string{"-H ", "--header ", "--header="} {
		if hasPrefixFold(s, p) {
			s = unquote(strings.TrimSpace(s[len(p):]))
			source = "Authorization header"
		}
	}
	if i := strings.IndexByte(s, ':'); i > 0 && strings.EqualFold(strings.TrimSpace(s[:i]), "authorization") {
		s = strings.TrimSpace(s[i+1:])
		source = "Authorization header"
	}
	for _, scheme := range []string{"bearer", "dpop", "jwt", "basic"} {
		if rest, ok := cutScheme(s, scheme); ok && rest != "" {
			s = strings.TrimSpace(rest)
			switch {
			case scheme == "basic":
				return s, "Basic credentials", false
			case source == "input":
				source = "bearer token"
			}
			break
		}
	}
	s = unquote(s)
	if !strings.ContainsAny(s, " \t\r\n\v\f") {
		return s, source, tokenish(s)
	}
	// A token broken over lines (by a terminal, an editor, or a shell's
	// line continuation): join the pieces, but only when every piece is
	// strict base64url and the pieces are not separate whole tokens.
	s = strings.NewReplacer("\\\r\n", "", "\\\n", "", "`\r\n", "", "`\n", "").Replace(s)
	fields := strings.Fields(s)
	whole := 0
	for _, f := range fields {
		if !strictTokenChars(f) {
			return s, source, false
		}
		if looksLikeJWT(f) {
			whole++
		}
	}
	joined := strings.Join(fields, "")
	if whole > 1 || !tokenish(joined) {
		return s, source, false
	}
	return joined, source, true
}

// strictTokenChars: only base64url characters and dots.
func strictTokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isB64(s[i]) && s[i] != '.' {
			return false
		}
	}
	return s != ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// unquote removes one pair of matching quotes (and a trailing comma or
// semicolon left over from copying out of code or JSON).
func unquote(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ",;")
	for _, q := range []string{`"`, `'`, "`"} {
		if len(s) >= 2 && strings.HasPrefix(s, q) && strings.HasSuffix(s, q) {
			return strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	return s
}

// tokenChars reports whether s consists only of characters that occur in
// compact JWTs, including the base64 padding and standard-alphabet
// characters that decode tolerates.
func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isB64(c) || c == '.' || c == '+' || c == '/':
		case c == '=':
			// Padding ends a part: "id_token=eyJ…" is a parameter, not a token.
			if i+1 < len(s) && s[i+1] != '=' && s[i+1] != '.' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// extractParams reads query, fragment or form parameters.
func extractParams(s string) *Extracted {
	lower := strings.ToLower(s)
	found := false
	for _, k := range tokenKeys {
		if strings.Contains(lower, k+"=") || strings.Contains(lower, k+"%3d") {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	// Parameters follow '?' or '#', or the input is a bare form.
	raw := s
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		raw = s[i+1:]
	}
	ex := &Extracted{}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == '#' || r == '?' || r == ';' }) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		// A key is the last word before '=': the rest of a log line is not part of it.
		if f := strings.Fields(k); len(f) > 0 {
			k = f[len(f)-1]
		}
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		// A value ends at whitespace: the rest of a log line is not part of it.
		if f := strings.Fields(v); len(f) > 0 {
			v = f[0]
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		ex.add(k, unquote(v))
	}
	if len(ex.Candidates) == 0 && len(ex.Notes) == 0 {
		return nil
	}
	return ex
}

// add records a named value: a JWT-shaped one as a candidate, a known token
// parameter that is not a JWT as a note.
func (ex *Extracted) add(name, v string) {
	v = strings.TrimSpace(v)
	if looksLikeJWT(v) || (isTokenKey(name) && tokenish(v)) {
		ex.Candidates = append(ex.Candidates, Candidate{Source: name, Token: v})
		return
	}
	// A value that holds a token inside it: "Bearer eyJ…", a log message,
	// a URL-encoded redirect_uri with a fragment.
	if strings.Contains(v, "ey") || strings.Count(v, ".") >= 2 {
		found := scan(v)
		for _, c := range found {
			c.Source = name
			ex.Candidates = append(ex.Candidates, c)
		}
		if len(found) > 0 {
			return
		}
	}
	switch {
	case !isTokenKey(name):
	case v == "":
		ex.Notes = append(ex.Notes, name+" is empty")
	default:
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s is not a JWT: an opaque value of %d characters (only its issuer can look it up, for example through token introspection)", name, len(v)))
	}
}

// tokenish reports whether s is worth decoding: token characters only, and
// either a JWT header start ("ey") or the two or four dots of a JWS or JWE.
// Damaged tokens qualify so that decode can say what is wrong with them.
func tokenish(s string) bool {
	if s == "" || !tokenChars(s) || !strings.Contains(s, ".") {
		return false
	}
	n := strings.Count(s, ".")
	return strings.HasPrefix(s, "ey") || n == 2 || n == 4
}

func isTokenKey(name string) bool {
	for _, k := range tokenKeys {
		if strings.EqualFold(name, k) || strings.HasSuffix(strings.ToLower(name), "."+k) {
			return true
		}
	}
	return false
}

// looksLikeJWT: base64url words joined by two or four dots, header first.
// The header is what starts with "ey" (base64url of `{"` and of `{ `), or
// any first part that decodes to a JSON object after leading whitespace
// (RFC 8259 section 2 allows it, and JSON parsers, jwtrace's and the
// verifiers', accept it): ` {"alg":…}` is IHsi…, "\n{…" Cnsi…, "{\n  …" ewog….
func looksLikeJWT(s string) bool {
	if len(s) < 10 || !tokenChars(s) {
		return false
	}
	n := strings.Count(s, ".")
	if n != 2 && n != 4 {
		return false
	}
	return strings.HasPrefix(s, "ey") || headerIsObject(s[:strings.IndexByte(s, '.')])
}

// headerIsObject reports whether a token's first part decodes (leniently,
// as Parse does: padding and the standard alphabet allowed) to a JSON
// object, perhaps after whitespace.
func headerIsObject(part string) bool {
	// The first byte decoded is JSON whitespace or '{': base64 I (space),
	// C (tab, newline), D (carriage return) or e ('{'). Most words stop here.
	if part == "" || strings.IndexByte("ICDe", part[0]) < 0 || len(part) > MaxTokenBytes {
		return false
	}
	part = strings.TrimRight(part, "=")
	if strings.ContainsAny(part, "+/") {
		part = strings.NewReplacer("+", "-", "/", "_").Replace(part)
	}
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return false
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func extractJSON(s string) (*Extracted, error) {
	if d := depth([]byte(s)); d > MaxDepth {
		return nil, &InputError{Msg: fmt.Sprintf("the input is JSON nested more than %d levels deep; jwtrace does not read it", MaxDepth)}
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(docs) > 0 {
				break // JSON Lines followed by something else: keep what parsed
			}
			// Not JSON after all: maybe text that starts with a brace.
			if c := scan(s); len(c) > 0 {
				return limit(&Extracted{Candidates: c}), nil
			}
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, &InputError{Msg: fmt.Sprintf("the input starts like JSON but is not valid JSON (%v at byte %d), and holds no JWT", se, se.Offset)}
			}
			return nil, &InputError{Msg: "the input starts like JSON but is not valid JSON, and holds no JWT"}
		}
		docs = append(docs, v)
	}
	ex := &Extracted{}
	for i, v := range docs {
		prefix := ""
		if len(docs) > 1 {
			prefix = fmt.Sprintf("line %d", i+1)
		}
		walkJSON(v, prefix, ex)
	}
	if len(ex.Candidates) == 0 {
		msg := "the input is JSON but holds no JWT"
		if obj, ok := docs[0].(map[string]any); ok && len(docs) == 1 {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) > 12 {
				keys = append(keys[:12], "…")
			}
			msg += " (its keys: " + strings.Join(keys, ", ") + ")"
		}
		if len(ex.Notes) > 0 {
			msg += "; " + strings.Join(ex.Notes, "; ")
		}
		return nil, &InputError{Msg: msg}
	}
	return limit(ex), nil
}

// walkJSON visits string values in document order. Go maps lose the
// order, so object keys are visited with the well-known token names first
// (access_token, id_token, refresh_token) and the rest sorted.
func walkJSON(v any, path string, ex *Extracted) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, rj := keyRank(keys[i]), keyRank(keys[j])
			if ri != rj {
				return ri < rj
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkJSON(x[k], p, ex)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, fmt.Sprintf("%s[%d]", path, i), ex)
		}
	case string:
		if path == "" {
			path = "input"
		}
		ex.add(path, x)
	}
}

func keyRank(k string) int {
	for i, t := range tokenKeys {
		if k == t {
			return i
		}
	}
	return len(tokenKeys)
}

// scan finds JWT-shaped words anywhere in text (log lines, curl commands,
// HTTP dumps, cookies). A word is a run of base64url characters, dots and
// padding that ends the text or at a delimiter; a token in it starts at
// the word's start when that follows a delimiter, ':' or '/', or after an
// '=' ("token=…", "Cookie: a=…"). Every word that looksLikeJWT is a
// candidate, whatever its header starts with: a token whose header is
// " {…" (IHsi…) must not hide next to an eyJ… one. It runs in time linear
// in len(s): each word is looked at from one start only.
func scan(s string) []Candidate {
	var out []Candidate
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		if !wordChar(s[i]) {
			i++
			continue
		}
		a := i
		lastEq := -1 // the last '=' followed by a base64url character
		for i < len(s) && wordChar(s[i]) {
			if s[i] == '=' && i+1 < len(s) && isB64(s[i+1]) {
				lastEq = i
			}
			i++
		}
		b := i
		if b < len(s) && !delimiter(s[b]) {
			// The word goes on with a character tokens never have: it is
			// not a token (or a damaged one that describe explains).
			continue
		}
		startsWord := a == 0 || delimiter(s[a-1]) || s[a-1] == ':' || s[a-1] == '/'
		// A token holds no '=' before a base64url character (padding only
		// ends a part), so it can only start after the last such '='.
		start := -1
		switch {
		case lastEq >= 0:
			start = lastEq + 1
		case startsWord:
			start = a
		}
		if start >= 0 {
			// An unsecured token ends with its dot; a sentence may end
			// with one too.
			w := s[start:b]
			if !looksLikeJWT(w) {
				w = strings.TrimRight(w, ".")
			}
			if looksLikeJWT(w) {
				if !seen[w] {
					seen[w] = true
					out = append(out, Candidate{Source: label(s[:start]), Token: w})
				}
				continue
			}
		}
		if len(out) > 0 {
			continue
		}
		// A damaged token, starting with eyJ where a token may start: keep
		// it so that decode says what is wrong, unless something better
		// turns up.
		p := -1
		if startsWord && strings.HasPrefix(s[a:b], "ey") {
			p = a
		} else if j := strings.Index(s[a:b], "=ey"); j >= 0 {
			p = a + j + 1
		}
		if p >= 0 {
			if w := strings.TrimRight(s[p:b], "."); strings.Contains(w, ".") && len(w) > 20 && !seen[w] {
				seen[w] = true
				out = append(out, Candidate{Source: label(s[:p]), Token: w})
			}
		}
	}
	// A damaged token only counts when nothing better was found.
	if len(out) > 1 {
		good := out[:0]
		for _, c := range out {
			if looksLikeJWT(c.Token) {
				good = append(good, c)
			}
		}
		out = good
	}
	return out
}

// wordChar: the characters of a token in text (base64url, dots, padding).
func wordChar(c byte) bool { return isB64(c) || c == '.' || c == '=' }

// label names a token found in text by what precedes it: "token=" gives
// "token", "Bearer " gives "bearer token", anything else "text".
func label(before string) string {
	b := strings.TrimRight(before, "'\"`")
	if strings.HasSuffix(b, "=") || strings.HasSuffix(b, ":") {
		b = strings.TrimRight(b[:len(b)-1], " \t'\"")
		i := len(b)
		for i > 0 && (isB64(b[i-1]) || b[i-1] == '.') {
			i--
		}
		if name := b[i:]; name != "" && len(name) <= 40 {
			return name
		}
	}
	f := strings.Fields(before)
	if len(f) > 0 && (strings.EqualFold(f[len(f)-1], "bearer") || strings.EqualFold(f[len(f)-1], "dpop")) {
		return "bearer token"
	}
	return "text"
}

// delimiter reports whether c can end a token embedded in text.
func delimiter(c byte) bool {
	return strings.IndexByte(" \t\r\n\"'`,;&<>()[]{}|\\^", c) >= 0
}

// prefixName names the prefix single() removed, for messages.
func prefixName(s string) string {
	if strings.Contains(strings.ToLower(s), "authorization") {
		return "the Authorization header's scheme"
	}
	f := strings.Fields(s)
	return f[0]
}

// describe says what the input is, when it holds no token. subject names
// the input in the message ("the input", "the value after Bearer").
func describe(s, subject string) string {
	first := s
	if i := strings.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		return subject + " is a URL without a token parameter (looked for " + strings.Join(tokenKeys[:4], "=, ") + "=)"
	case strings.Count(s, ".") == 0 && len(s) >= 16 && tokenChars(strings.TrimSpace(s)):
		return fmt.Sprintf("%s is an opaque value of %d characters, not a JWT (no dots): a reference token can only be looked up by its issuer, for example through token introspection", subject, len(s))
	case DottedOpaque(strings.TrimSpace(s)):
		return fmt.Sprintf("%s is an opaque value of %d characters, not a JWT (its first part is not a JOSE header): a reference token can only be looked up by its issuer, for example through token introspection", subject, len(strings.TrimSpace(s)))
	case !strings.ContainsAny(s, " \t\n") && strings.Contains(s, ".") && !tokenChars(s):
		bad := firstBad(s)
		return fmt.Sprintf("%s is not a JWT: %q contains %q, which base64url does not use", subject, textsafe.Cut(first, 40), bad)
	case looksLikeFileName(s):
		return fmt.Sprintf("the input %q is not a token; it looks like a file name", textsafe.Cut(first, 60))
	}
	return fmt.Sprintf("no JWT found in the input (it starts %q); a JWT looks like eyJhbGciOi….eyJ….signature", excerpt([]byte(first), 40))
}

// DottedOpaque reports whether s is an opaque token with dots in it, such as
// Ory Hydra's ory_at_<43>.<43>: token characters only, every part at least
// 16 long (a host name's are not), and a first part that is no JOSE header
// (a JWT cut short is a damaged token, not an opaque one).
func DottedOpaque(s string) bool {
	if !strings.Contains(s, ".") || !tokenChars(s) || strings.HasPrefix(s, "ey") {
		return false
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if len(p) < 16 {
			return false
		}
	}
	return !headerIsObject(parts[0])
}

func firstBad(s string) string {
	for _, r := range s {
		if r > 127 || (!isB64(byte(r)) && r != '.' && r != '=') {
			return string(r)
		}
	}
	return ""
}

func sizeString(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadLimited reads all of r, up to MaxInputBytes; more is an InputError,
// found without reading the rest.
func ReadLimited(r io.Reader) ([]byte, error) { return ReadLimitedHint(r, 0) }

// ReadLimitedHint is ReadLimited for an input of about size bytes (a
// file's size), read in one go where io.ReadAll would grow its buffer read
// by read.
func ReadLimitedHint(r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, MaxInputBytes)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, MaxInputBytes+1)); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if len(b) > MaxInputBytes {
		return nil, &InputError{Msg: fmt.Sprintf("the input is larger than %s; jwtrace reads at most that much (a token response is a few KiB)", sizeString(MaxInputBytes))}
	}
	return b, nil
}
