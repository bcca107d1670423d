package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/jwtrace/jwtrace/decode"
)

// DecodeView controls how decoded tokens are shown.
type DecodeView struct {
	// Explain adds a short explanation next to well-known header and claim
	// names.
	Explain bool
	// Local is the zone for the local-time column; nil or UTC omits it.
	Local *time.Location
}

// RenderTokens writes decoded tokens for people. w should come from
// Streams.Styled so that color is dropped where it must be.
func RenderTokens(w io.Writer, tokens []*decode.Token, v DecodeView) error {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteString("\n")
		}
		renderToken(&b, t, v, 0, len(tokens) > 1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderToken(b *strings.Builder, t *decode.Token, v DecodeView, level int, showSource bool) {
	ind := strings.Repeat("  ", level)
	line := func(format string, args ...any) {
		b.WriteString(ind)
		fmt.Fprintf(b, format, args...)
		b.WriteString("\n")
	}

	// Title: kind, algorithm, key id, source.
	title := []string{}
	switch t.Kind {
	case decode.KindJWE:
		title = append(title, "JWE (encrypted)")
		if t.Encryption != nil {
			title = append(title, Safe(t.Encryption.Alg)+" + "+Safe(t.Encryption.Enc))
		}
	case decode.KindUnsecured:
		title = append(title, "JWT (unsecured)")
	default:
		title = append(title, "JWT")
		if t.Signature != nil && t.Signature.Alg != "" {
			title = append(title, Safe(t.Signature.Alg))
		}
	}
	if kid, ok := t.Header.String("kid"); ok {
		title = append(title, `kid "`+Safe(kid)+`"`)
	}
	if level > 0 {
		title[0] = "nested " + title[0]
	}
	if showSource || (t.Source != "input" && level == 0) {
		title = append(title, "from "+Safe(t.Source))
	}
	line("%s", titleStyle.Render(strings.Join(title, " · ")))
	b.WriteString("\n")

	// Header.
	line("%s", sectionStyle.Render("Header"))
	rows := make([]row, 0, len(t.Header.Members))
	for _, m := range t.Header.Members {
		val := valueText(m.Value)
		r := row{key: Safe(m.Key), value: val}
		if v.Explain {
			r.note = decode.ExplainHeader(m.Key, stringValue(m.Value))
		}
		rows = append(rows, r)
	}
	writeRows(b, ind+"  ", rows)

	// Claims, or why there are none.
	if t.Claims != nil {
		b.WriteString("\n")
		line("%s", sectionStyle.Render("Claims"))
		times := map[string]decode.Time{}
		for _, tm := range t.Times {
			times[tm.Claim] = tm
		}
		rows = rows[:0]
		for _, m := range t.Claims.Members {
			r := row{key: Safe(m.Key), value: valueText(m.Value)}
			if tm, ok := times[m.Key]; ok {
				r.value = tm.UTC
				if loc := localTime(tm, v.Local); loc != "" {
					r.value += "  (" + loc + ")"
				}
				r.note = relStyle(tm).Render(tm.Relative)
				r.styled = true
			} else if v.Explain {
				r.note = decode.ExplainClaim(m.Key)
			}
			rows = append(rows, r)
		}
		if t.Lifetime != nil {
			rows = append(rows, row{key: "lifetime", value: t.Lifetime.Human, note: "exp - iat", styled: false, derived: true})
		}
		writeRows(b, ind+"  ", rows)
	} else if t.Payload != nil {
		b.WriteString("\n")
		line("%s", sectionStyle.Render("Payload"))
		line("  %s", Safe(*t.Payload))
	}

	// Signature or encryption.
	b.WriteString("\n")
	switch {
	case t.Kind == decode.KindJWE && t.Encryption != nil:
		line("%s  %s", pad(sectionStyle.Render("Encrypted"), 10), fmt.Sprintf("alg %s, enc %s, %d bytes of ciphertext", Safe(t.Encryption.Alg), Safe(t.Encryption.Enc), t.Encryption.Ciphertext))
	case t.Signature != nil:
		if t.Kind == decode.KindUnsecured {
			line("%s  %s", pad(sectionStyle.Render("Signature"), 10), errStyle.Render("none: the token is not signed"))
		} else {
			sig := fmt.Sprintf("%s, %d bytes", Safe(t.Signature.Alg), t.Signature.Bytes)
			line("%s  %s  %s", pad(sectionStyle.Render("Signature"), 10), sig, dimStyle.Render("not verified (use jwtrace verify)"))
		}
	}
	line("%s  %s", pad(sectionStyle.Render("Status"), 10), statusStyle(t.Status).Render(t.StatusText))

	// Diagnostics.
	if len(t.Diagnostics) > 0 {
		line("%s", sectionStyle.Render("Notes"))
		for _, d := range t.Diagnostics {
			mark, st := "i", infoStyle
			switch d.Severity {
			case decode.SevError:
				mark, st = "✗", errStyle
			case decode.SevWarning:
				mark, st = "!", warnStyle
			}
			line("  %s %s %s", st.Render(mark), Safe(d.Message), dimStyle.Render("["+d.Code+"]"))
		}
	}

	if t.Nested != nil {
		b.WriteString("\n")
		renderToken(b, t.Nested, v, level+1, false)
	}
}

type row struct {
	key, value, note string
	styled           bool // note is already styled
	derived          bool // computed by jwtrace, not in the token
}

// writeRows prints key/value rows with aligned columns. Values longer than
// the alignment limit push their note further right instead of widening
// every row.
func writeRows(b *strings.Builder, ind string, rows []row) {
	kw, vw := 0, 0
	for _, r := range rows {
		kw = max(kw, lipgloss.Width(r.key))
		if n := lipgloss.Width(r.value); n <= 44 && r.note != "" {
			vw = max(vw, n)
		}
	}
	for _, r := range rows {
		k := keyStyle.Render(pad(r.key, kw))
		if r.derived {
			k = dimStyle.Render(pad(r.key, kw))
		}
		b.WriteString(ind + k + "  ")
		if r.note == "" {
			b.WriteString(r.value + "\n")
			continue
		}
		note := r.note
		if !r.styled {
			note = dimStyle.Render(note)
		}
		b.WriteString(pad(r.value, vw) + "  " + note + "\n")
	}
}

// valueText shows a JSON value: strings without quotes, anything else as
// compact JSON (which escapes control characters itself).
func valueText(raw json.RawMessage) string {
	if s, ok := stringOf(raw); ok {
		return Safe(s)
	}
	return Safe(string(raw))
}

func stringValue(raw json.RawMessage) string {
	s, _ := stringOf(raw)
	return s
}

func stringOf(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func localTime(t decode.Time, loc *time.Location) string {
	if loc == nil || loc == time.UTC || t.UTC == "out of range" {
		return ""
	}
	at := t.At().In(loc)
	if _, off := at.Zone(); off == 0 && (loc.String() == "UTC" || loc.String() == "Local") {
		return ""
	}
	return at.Format("2006-01-02 15:04:05 MST")
}

func relStyle(t decode.Time) styleRenderer {
	switch t.Claim {
	case "exp":
		switch {
		case t.Delta <= 0:
			return errStyle
		case t.Delta < 15*60:
			return warnStyle
		default:
			return okStyle.Bold(false)
		}
	case "nbf":
		if t.Delta > 0 {
			return warnStyle
		}
	}
	return dimStyle
}

type styleRenderer interface{ Render(...string) string }

func statusStyle(s decode.Status) styleRenderer {
	switch s {
	case decode.StatusValid:
		return okStyle
	case decode.StatusExpired, decode.StatusMalformed:
		return errStyle
	case decode.StatusNotYetValid, decode.StatusNoExpiry:
		return warnStyle
	}
	return dimStyle
}

// WriteJSON writes v as JSON: indented for people at a terminal, one
// compact line otherwise (so that several objects form JSON Lines).
func WriteJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
