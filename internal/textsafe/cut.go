package textsafe

import "unicode/utf8"

// The truncation helpers of jwtrace, one set: Line bounds escaped text in
// bytes (for one-line messages), Cut and Middle bound text in runes (for
// excerpts and table cells). None splits a rune, and what they leave out
// is marked "…". Cut and Middle do not escape: the text is escaped where
// it is printed (ui.Safe), and an escape is never cut in half because it
// does not exist yet.

// Cut is s cut to its first n runes and "…", or s as it is when it has no
// more than n. Invalid UTF-8 in what is kept of a cut text becomes
// U+FFFD, one for each byte.
func Cut(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Middle is s cut in the middle to n runes in all, the "…" among them, or
// s as it is when it has no more than n: the start and the end of a URL
// say more than either alone.
func Middle(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return "…"
	}
	r := []rune(s)
	half := (n - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-(n-1-half):])
}

// CutBytes is s cut to at most n bytes at a rune boundary and "…", or s
// as it is when it has no more than n: for bounds in bytes on raw text
// (a header value) that must stay valid UTF-8.
func CutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
