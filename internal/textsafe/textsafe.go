// Package textsafe makes hostile text (from a token or a server) safe to
// print: control characters, bidirectional formatting characters and line
// separators are written as escapes. It depends on the standard library
// only, so logic packages (verify, chain, ...) and the renderers in
// internal/ui can share one definition of what is risky.
package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Risky reports whether r is a rune that JSON may carry raw but a terminal
// acts on or that changes how the text around it reads: C1 controls
// (U+0080–U+009F, among them NEL U+0085 and CSI U+009B), the line and
// paragraph separators U+2028/U+2029, and the bidirectional formatting
// characters of Unicode's UAX #9 §2 (ALM U+061C, LRM/RLM U+200E/U+200F,
// LRE..RLO U+202A–U+202E, LRI..PDI U+2066–U+2069), the "Trojan Source"
// set (CVE-2021-42574).
func Risky(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r == '\u061c' || r == '\u200e' || r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// Control reports whether r must not reach a terminal raw in plain text:
// C0 controls, DEL, and the Risky runes.
func Control(r rune) bool { return r < 0x20 || r == 0x7f || Risky(r) }

// Text escapes the Control runes of s (\x1b, \u202e) and replaces invalid
// UTF-8 with U+FFFD. Clean text is returned as it is.
//
// It also writes "##[" as "#\x23[": a GitHub Actions runner reads
// "##[command]" anywhere in a line of a job's log as a workflow command
// (actions/runner ActionCommand.TryParse), so a server's text would
// otherwise add annotations or stop command processing in the log of a
// CI job that runs jwtrace. ("::command" counts only at the start of a
// line, which hostile text never is: it is escaped and labelled.)
func Text(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case Control(r):
			b.WriteString(escape(r))
		case r == '#' && strings.HasPrefix(s[i:], workflowCommand):
			b.WriteString(`#\x23[`)
			size = len(workflowCommand)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Line is Text for a message that must stay one line of at most max bytes
// (max <= 0: no bound): line breaks are escaped like every other control,
// and a longer text is cut at a rune boundary with "…" and the number of
// bytes left out.
func Line(s string, max int) string {
	s = Text(s)
	if max <= 0 || len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	// An escape such as \u202e is not cut in half.
	if i := strings.LastIndexByte(s[:cut], '\\'); i >= 0 && cut-i < 6 {
		cut = i
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)-cut) + " more bytes)"
}

// AppendJSON appends r as a JSON \u escape.
func AppendJSON(buf []byte, r rune) []byte {
	return append(buf, '\\', 'u', hex[(r>>12)&0xf], hex[(r>>8)&0xf], hex[(r>>4)&0xf], hex[r&0xf])
}

// EscapeJSON rewrites the Risky runes of encoded JSON as \u escapes. They
// can only occur inside strings (JSON's syntax is ASCII), so the document
// stays valid and means the same. b is returned as it is when clean.
func EscapeJSON(b []byte) []byte {
	risky := false
	for _, c := range b {
		if c >= 0x80 {
			risky = true
			break
		}
	}
	if !risky {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if Risky(r) {
			out = AppendJSON(out, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

const hex = "0123456789abcdef"

func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return !strings.Contains(s, workflowCommand)
}

// workflowCommand starts a GitHub Actions workflow command of the old
// form, wherever it is in a line.
const workflowCommand = "##["

// escape writes r as \xHH (below U+0100) or \uHHHH, the forms ui.Safe has
// always used.
func escape(r rune) string {
	if r < 0x100 {
		return `\x` + string(hex[r>>4]) + string(hex[r&0xf])
	}
	return string(AppendJSON(nil, r))
}
