package chain

import (
	"encoding/base64"
	"slices"
	"sort"
	"strings"
)

// masker finds the token in what a server sent back, however the server
// encoded it, and replaces it with Mask(token).
//
// Text is first decoded, one position at a time and twice over (so that
// %252F and mixtures decode), into a canonical form (with the offset in
// the text each decoded byte came from), and the token's canonical forms
// are looked for in that. Decoded are:
//
//   - percent-encoding, either hex case (RFC 3986 §2.1);
//   - JSON escapes of ASCII (RFC 8259 §7: \/ and \u002b), also as Go's %q
//     quotes them in an error message (\\/, \\u002b);
//   - HTML numeric character references of ASCII (&#47; &#x2F;);
//   - form encoding: a space and "+" are the same byte (HTML's
//     application/x-www-form-urlencoded decodes "+" to a space);
//   - the base64url alphabet: "-" and "_" are "+" and "/" (RFC 4648 §5).
//
// Besides the token itself, its base64 encodings are looked for (RFC 4648
// §4): at each of the three offsets the token can have in a longer base64
// text, the characters that encode only the token's bytes.
//
// Conflating bytes can only mask more, never less: text that differs from
// the token in "+" against "-" is masked too.
type masker struct {
	token, masked string
	// patterns are the canonical forms looked for in the canonical text;
	// raw are the plain forms looked for in the text as it is (decoding
	// can join an escape-like prefix to the token's first bytes: "%" and
	// a token that starts "41").
	patterns, raw []string
	minLen        int
	// maxEcho bounds the length of one echo of the token in the text.
	maxEcho int
}

// maxEscape is the longest text one byte can be encoded as above: \\u002b
// is 7 bytes, each of which can be encoded again in 7.
const maxEscape = 7 * 7

// minBase64 is the shortest base64 form looked for: a shorter one would
// mask text that merely happens to contain it.
const minBase64 = 12

func newMasker(token string) *masker {
	m := &masker{token: token, masked: Mask(token), maxEcho: maxEscape*len(token) + 8}
	if token == "" {
		return m
	}
	add := func(list *[]string, p string) {
		if p == "" || slices.Contains(*list, p) {
			return
		}
		*list = append(*list, p)
		if m.minLen == 0 || len(p) < m.minLen {
			m.minLen = len(p)
		}
	}
	forms := []string{token}
	for k := 0; k < 3; k++ {
		// Character i of the encoding encodes bits 6i..6i+5; keep those
		// within the token's bits 8k..8(k+len).
		bits := append(make([]byte, k), token...)
		start, end := (8*k+5)/6, 8*(k+len(token))/6
		if end-start >= minBase64 {
			forms = append(forms, base64.RawStdEncoding.EncodeToString(bits)[start:end], base64.RawURLEncoding.EncodeToString(bits)[start:end])
		}
	}
	for _, f := range forms {
		add(&m.raw, f)
		c, _ := canonical(f, false)
		add(&m.patterns, c)
	}
	return m
}

// mask replaces every echo of the token in s.
func (m *masker) mask(s string) string {
	if len(m.patterns) == 0 || s == "" {
		return s
	}
	return m.apply(s, m.spans(s), len(s))
}

// maskPrefix masks s, a prefix of a longer text, and returns the part
// that no echo beginning at or after limit can reach: the rest may hold
// the beginning of an echo whose end is not in s.
func (m *masker) maskPrefix(s string, limit int) string {
	if limit >= len(s) {
		return m.mask(s)
	}
	limit = max(limit, 0)
	spans := m.spans(s)
	cut := limit
	kept := spans[:0]
	for _, sp := range spans {
		if sp[0] >= limit {
			break
		}
		kept = append(kept, sp)
		cut = max(cut, sp[1])
	}
	return m.apply(s, kept, cut)
}

// apply writes s[:end] with the spans replaced by the masked token.
func (m *masker) apply(s string, spans [][2]int, end int) string {
	if len(spans) == 0 {
		return s[:end]
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp[0]])
		b.WriteString(m.masked)
		prev = sp[1]
	}
	if prev < end {
		b.WriteString(s[prev:end])
	}
	return b.String()
}

// spans finds the echoes in s: sorted, merged byte ranges.
func (m *masker) spans(s string) [][2]int {
	if len(s) < m.minLen {
		return nil
	}
	var spans [][2]int
	for _, p := range m.raw {
		for i := 0; i+len(p) <= len(s); {
			j := strings.Index(s[i:], p)
			if j < 0 {
				break
			}
			spans = append(spans, [2]int{i + j, i + j + len(p)})
			i += j + len(p)
		}
	}
	d, at := canonical(s, true)
	for _, p := range m.patterns {
		for i := 0; i+len(p) <= len(d); {
			j := strings.Index(d[i:], p)
			if j < 0 {
				break
			}
			spans = append(spans, [2]int{int(at[i+j]), int(at[i+j+len(p)])})
			i += j + len(p)
		}
	}
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a][0] < spans[b][0] })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}

// canonical decodes s as the masker's comment says, twice, so that
// mixtures decode too: an HTML reference whose "#" a URL encoder
// percent-encoded (&%23x2B;), a percent-encoded JSON escape (%5Cu002b).
// With offsets, at[i] is where in s the decoded byte i began, and at[len]
// is len(s).
func canonical(s string, offsets bool) (string, []int32) {
	d1, at1 := decodeOnce(s, offsets)
	d2, at2 := decodeOnce(d1, offsets)
	if offsets {
		for i, j := range at2 {
			at2[i] = at1[j]
		}
	}
	return d2, at2
}

func decodeOnce(s string, offsets bool) (string, []int32) {
	d := make([]byte, 0, len(s))
	var at []int32
	if offsets {
		at = make([]int32, 0, len(s)+1)
	}
	for i := 0; i < len(s); {
		c, n := decodeAt(s, i)
		switch c {
		case ' ', '-':
			c = '+'
		case '_':
			c = '/'
		}
		d = append(d, c)
		if offsets {
			at = append(at, int32(i))
		}
		i += n
	}
	if offsets {
		at = append(at, int32(len(s)))
	}
	return string(d), at
}

// decodeAt decodes the byte at s[i]: an escape of it, or itself. n is how
// many bytes of s it took.
func decodeAt(s string, i int) (c byte, n int) {
	switch s[i] {
	case '%':
		if v, ok := hexByte(s, i+1, 2); ok {
			return v, 3
		}
	case '\\':
		k := 1
		if i+1 < len(s) && s[i+1] == '\\' {
			k = 2
		}
		j := i + k
		if j < len(s) && s[j] == '/' {
			return '/', k + 1
		}
		if j+5 <= len(s) && (s[j] == 'u' || s[j] == 'U') && s[j+1] == '0' && s[j+2] == '0' {
			if v, ok := hexByte(s, j+3, 2); ok && v < 0x80 {
				return v, k + 5
			}
		}
	case '&':
		if i+3 < len(s) && s[i+1] == '#' {
			j, base := i+2, 10
			if s[j] == 'x' || s[j] == 'X' {
				j, base = j+1, 16
			}
			v, digits := 0, 0
			for ; j < len(s) && digits < 3; j++ {
				d := hexVal(s[j])
				if d < 0 || d >= base {
					break
				}
				v, digits = v*base+d, digits+1
			}
			if digits > 0 && j < len(s) && s[j] == ';' && v < 0x80 {
				return byte(v), j + 1 - i
			}
		}
	}
	return s[i], 1
}

// hexByte reads a byte of n hex digits at s[i].
func hexByte(s string, i, n int) (byte, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		d := hexVal(c)
		if d < 0 {
			return 0, false
		}
		v = v*16 + d
	}
	return byte(v), true
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
