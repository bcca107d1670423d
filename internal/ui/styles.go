package ui

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// theme holds the styles of one output stream. Styles belong to a
// lipgloss renderer whose color profile was decided for that stream, so
// piped output gets plain text and a terminal gets color.
type theme struct {
	// plain is true when the stream has no color profile (termenv.Ascii):
	// then a style writes its text as it is, and render (below) skips
	// lipgloss, which would only copy it.
	plain bool
	// w and prof make the renderer and the styles, on first use (st): a
	// plain decode never needs them, and building nine lipgloss styles
	// was a start-up cost.
	w      io.Writer
	prof   termenv.Profile
	styles *styles
}

type styles struct {
	title, section, key, dim, ok, warn, err, info lipgloss.Style
	box                                           lipgloss.Style
	okPlain                                       lipgloss.Style
}

// st is the theme's styles.
func (th *theme) st() *styles {
	if th.styles == nil {
		r := lipgloss.NewRenderer(th.w)
		r.SetColorProfile(th.prof)
		th.styles = newStyles(r)
	}
	return th.styles
}

// render is st.Render(s), without lipgloss on a plain theme. With no color
// profile, lipgloss v1.1.0 (style.go, Render) writes one line of text as it
// is (termenv's Styled returns it unchanged for Ascii) unless it has tabs
// (made spaces), "\r\n" (made "\n") or several lines (padded to one
// width): such text still goes through lipgloss. Going through lipgloss for
// every span was a tenth of decode's start-up.
func (th *theme) render(id styleID, s string) string {
	if th.plain && !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	return th.st().get(id).Render(s)
}

// styleID names a style for render, which needs the style itself only
// when it goes through lipgloss.
type styleID int

const (
	sTitle styleID = iota
	sSection
	sKey
	sDim
	sWarn
	sErr
	sOK
	sInfo
	sOKPlain // ok, not bold
)

func (st *styles) get(id styleID) *lipgloss.Style {
	switch id {
	case sTitle:
		return &st.title
	case sSection:
		return &st.section
	case sKey:
		return &st.key
	case sWarn:
		return &st.warn
	case sErr:
		return &st.err
	case sOK:
		return &st.ok
	case sInfo:
		return &st.info
	case sOKPlain:
		return &st.okPlain
	}
	return &st.dim
}

// Colors are the basic ANSI ones so they read on light and dark
// backgrounds alike, without asking the terminal for its background.
func newStyles(r *lipgloss.Renderer) *styles {
	st := r.NewStyle
	return &styles{
		title:   st().Bold(true),
		section: st().Bold(true),
		key:     st().Foreground(lipgloss.Color("6")),
		dim:     st().Faint(true),
		ok:      st().Foreground(lipgloss.Color("2")).Bold(true),
		warn:    st().Foreground(lipgloss.Color("3")),
		err:     st().Foreground(lipgloss.Color("1")).Bold(true),
		info:    st().Faint(true),
		box:     st().Border(lipgloss.NormalBorder()).Padding(0, 1),
		okPlain: st().Foreground(lipgloss.Color("2")),
	}
}

// Safe makes text that came from a token or a server safe to print: control
// characters (terminal escape sequences among them), bidirectional
// formatting characters and line separators are shown escaped, and invalid
// UTF-8 is replaced. It is textsafe.Text, the one definition logic packages
// share.
func Safe(s string) string { return textsafe.Text(s) }

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

// pad right-pads s to width display cells.
func pad(s string, width int) string {
	w := textWidth(s)
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}

// textWidth is lipgloss.Width(s): the display cells of s's widest line.
// Printable ASCII takes one cell a byte, without lipgloss's parser.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return lipgloss.Width(s)
		}
	}
	return len(s)
}
