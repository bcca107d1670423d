package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
)

// theme holds the styles of one output stream. Styles belong to a
// lipgloss renderer whose color profile was decided for that stream, so
// piped output gets plain text and a terminal gets color.
type theme struct {
	title, section, key, dim, ok, warn, err, info lipgloss.Style
	box                                           lipgloss.Style
}

// Colors are the basic ANSI ones so they read on light and dark
// backgrounds alike, without asking the terminal for its background.
func newTheme(r *lipgloss.Renderer) *theme {
	st := r.NewStyle
	return &theme{
		title:   st().Bold(true),
		section: st().Bold(true),
		key:     st().Foreground(lipgloss.Color("6")),
		dim:     st().Faint(true),
		ok:      st().Foreground(lipgloss.Color("2")).Bold(true),
		warn:    st().Foreground(lipgloss.Color("3")),
		err:     st().Foreground(lipgloss.Color("1")).Bold(true),
		info:    st().Faint(true),
		box:     st().Border(lipgloss.NormalBorder()).Padding(0, 1),
	}
}

// Safe makes text that came from a token or a server safe to print: control
// characters (terminal escape sequences among them) are shown escaped, and
// invalid UTF-8 is replaced.
func Safe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			// Control characters and bidirectional overrides.
			b.WriteString(strings.Trim(strconvQuoteRune(r), "'"))
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// SafeLines is Safe for text whose line breaks are its own (indented JSON,
// multi-line messages): each line is made safe and the breaks are kept.
func SafeLines(s string) string {
	if !strings.Contains(s, "\n") {
		return Safe(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Safe(l)
	}
	return strings.Join(lines, "\n")
}

func strconvQuoteRune(r rune) string {
	const hex = "0123456789abcdef"
	if r < 0x100 {
		return `\x` + string(hex[r>>4]) + string(hex[r&0xf])
	}
	return `\u` + string(hex[(r>>12)&0xf]) + string(hex[(r>>8)&0xf]) + string(hex[(r>>4)&0xf]) + string(hex[r&0xf])
}

// pad right-pads s to width display cells.
func pad(s string, width int) string {
	w := lipgloss.Width(s)
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}
