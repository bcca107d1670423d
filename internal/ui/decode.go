package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// DecodeView controls how decoded tokens are shown.
type DecodeView struct {
	// Explain adds a short explanation next to well-known header and claim
	// names.
	Explain bool
	// Local is the zone for the local-time column; nil or UTC omits it.
	Local *time.Location
}

// Tokens writes decoded tokens for people.
func (p *Printer) Tokens(tokens []*decode.Token, v DecodeView) error {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteString("\n")
		}
		renderToken(&b, p.th, t, v, 0, len(tokens) > 1)
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

func renderToken(b *strings.Builder, th *theme, t *decode.Token, v DecodeView, level int, showSource bool) {
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
	if what := tokenWhat(t); what != "" && v.Explain {
		// With --explain: which provider issued it and what it is for.
		title = append(title, what)
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
	line("%s", th.render(sTitle, strings.Join(title, " · ")))
	b.WriteString("\n")

	// Header and claims as JSON in the token's own order, with notes.
	line("%s", th.render(sSection, "Header"))
	notes := make([]string, len(t.Header.Members))
	if v.Explain {
		for i, m := range t.Header.Members {
			notes[i] = th.render(sDim, Safe(t.ExplainHeader(m.Key, stringValue(m.Value))))
		}
	}
	writeObject(b, th, ind+"  ", t.Header.Members, notes)

	if t.Claims != nil {
		b.WriteString("\n")
		line("%s", th.render(sSection, "Claims"))
		times := map[int]decode.Time{}
		for _, tm := range t.Times {
			times[tm.Member] = tm
		}
		notes = make([]string, len(t.Claims.Members))
		for i, m := range t.Claims.Members {
			if tm, ok := times[i]; ok {
				note := tm.UTC
				if loc := localTime(tm, v.Local); loc != "" {
					note += " (" + loc + ")"
				}
				notes[i] = Safe(note) + "  " + th.render(relStyle(tm), Safe(tm.Relative))
			} else if v.Explain {
				notes[i] = th.render(sDim, Safe(t.ExplainClaim(m.Key)))
			}
		}
		writeObject(b, th, ind+"  ", t.Claims.Members, notes)
		if t.Lifetime != nil {
			line("  %s %s %s", th.render(sDim, "lifetime"), t.Lifetime.Human, th.render(sDim, "(exp - iat)"))
		}
		renderDelegation(line, th, t.Delegation())
	} else if t.Payload != nil {
		b.WriteString("\n")
		line("%s", th.render(sSection, "Payload"))
		line("  %s", Safe(*t.Payload))
	}

	// Signature or encryption.
	b.WriteString("\n")
	switch {
	case t.Kind == decode.KindJWE && t.Encryption != nil:
		line("%s  %s", pad(th.render(sSection, "Encrypted"), 10), fmt.Sprintf("alg %s, enc %s, %d bytes of ciphertext", Safe(t.Encryption.Alg), Safe(t.Encryption.Enc), t.Encryption.Ciphertext))
	case t.Signature != nil:
		if t.Kind == decode.KindUnsecured {
			line("%s  %s", pad(th.render(sSection, "Signature"), 10), th.render(sErr, "none: the token is not signed"))
		} else {
			sig := fmt.Sprintf("%s, %d bytes", Safe(t.Signature.Alg), t.Signature.Bytes)
			line("%s  %s  %s", pad(th.render(sSection, "Signature"), 10), sig, th.render(sDim, "not verified (use jwtrace verify)"))
		}
	}
	line("%s  %s", pad(th.render(sSection, "Status"), 10), th.render(statusStyle(t.Status), Safe(t.StatusText)))

	// Diagnostics.
	if len(t.Diagnostics) > 0 {
		line("%s", th.render(sSection, "Notes"))
		for _, d := range t.Diagnostics {
			mark, st := "i", sInfo
			switch d.Severity {
			case decode.SevError:
				mark, st = "✗", sErr
			case decode.SevWarning:
				mark, st = "!", sWarn
			}
			line("  %s %s %s", th.render(st, mark), Safe(d.Message), th.render(sDim, "["+d.Code+"]"))
		}
	}

	if t.Nested != nil {
		b.WriteString("\n")
		renderToken(b, th, t.Nested, v, level+1, false)
	}
}

// renderDelegation shows what act, may_act and azp say (decode.Delegation)
// under the claims: the chain in the order the parties acted, the current
// actor named (RFC 8693 section 4.1: the outermost act), and what is wrong
// with the claims. Nothing for a token without act or may_act.
func renderDelegation(line func(string, ...any), th *theme, d *decode.Delegation) {
	if d == nil {
		return
	}
	subject := d.Subject
	if subject == "" {
		subject = "the subject"
	}
	if cur := d.Current(); cur != nil {
		line("  %s %s %s", th.render(sDim, "delegation"), Safe(d.Chain),
			th.render(sDim, "("+Safe(cur.Name())+" acts for "+Safe(subject)+" now; RFC 8693 section 4.1)"))
	}
	if d.MayAct != nil {
		line("  %s %s %s", pad(th.render(sDim, "may act"), 10), Safe(d.MayAct.Name()),
			th.render(sDim, "(may_act: "+Safe(d.MayAct.Name())+" may exchange this token to act for "+Safe(subject)+")"))
	}
	if d.AuthorizedParty != "" {
		line("  %s %s %s", pad(th.render(sDim, "issued to"), 10), Safe(d.AuthorizedParty), th.render(sDim, "(azp: the client that asked for this token)"))
	}
	for _, p := range d.Problems {
		line("  %s %s", th.render(sWarn, "!"), Safe(p))
	}
}

// writeObject prints an object's members as JSON, one member a line, with
// each member's note aligned to the right of its line. Long arrays and
// objects are indented over several lines.
func writeObject(b *strings.Builder, th *theme, ind string, members []decode.Member, notes []string) {
	if len(members) == 0 {
		b.WriteString(ind + "{}\n")
		return
	}
	lines := make([]string, len(members))
	width := 0
	for i, m := range members {
		key := jsonQuote(m.Key)
		val := string(m.Value)
		if len(val) > 100 && (val[0] == '[' || val[0] == '{') {
			var buf bytes.Buffer
			if json.Indent(&buf, m.Value, ind+"  ", "  ") == nil {
				val = buf.String()
			}
		}
		l := th.render(sKey, Safe(key)) + ": " + SafeLines(val)
		if i < len(members)-1 {
			l += ","
		}
		lines[i] = l
		if w := textWidth(l); notes[i] != "" && w <= 48 && !strings.Contains(l, "\n") {
			width = max(width, w)
		}
	}
	b.WriteString(ind + "{\n")
	for i, l := range lines {
		b.WriteString(ind + "  ")
		if notes[i] == "" {
			b.WriteString(l + "\n")
			continue
		}
		if first, rest, ok := strings.Cut(l, "\n"); ok {
			// A value over several lines: the note goes on its first line,
			// which only opens the array or object.
			b.WriteString(first + "  " + notes[i] + "\n" + rest + "\n")
			continue
		}
		b.WriteString(pad(l, width) + "  " + notes[i] + "\n")
	}
	b.WriteString(ind + "}\n")
}

// providerName is the name people know a provider by (a switch, not a
// map: a package-level map is built at every start-up).
func providerName(k decode.Provider) string {
	switch k {
	case decode.ProviderAzureAD:
		return "Azure AD"
	case decode.ProviderOkta:
		return "Okta"
	case decode.ProviderCognito:
		return "Cognito"
	case decode.ProviderGoogle:
		return "Google"
	case decode.ProviderFirebase:
		return "Firebase"
	case decode.ProviderKeycloak:
		return "Keycloak"
	case decode.ProviderAuth0:
		return "Auth0"
	}
	return ""
}

// useName names what a token is for.
func useName(k decode.Use) string {
	switch k {
	case decode.UseID:
		return "ID token"
	case decode.UseAccess:
		return "access token"
	case decode.UseRefresh:
		return "refresh token"
	case decode.UseLogout:
		return "logout token"
	}
	return ""
}

// tokenWhat names the provider and what the token is for, as in
// "Keycloak refresh token", or "" when neither is known.
func tokenWhat(t *decode.Token) string {
	p, u := providerName(t.Provider), useName(t.Use)
	switch {
	case p != "" && u != "":
		return p + " " + u
	case u != "":
		return u
	}
	return p
}

func stringValue(raw json.RawMessage) string {
	s, _ := stringOf(raw)
	return s
}

func stringOf(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	return decode.StringValue(raw)
}

// jsonQuote is json.Marshal of s, as a string. A key of printable ASCII
// with nothing encoding/json escapes (quote, backslash, <, >, &) is quoted
// as it is, without encoding/json's reflection; any other goes to
// json.Marshal (TestJSONQuoteIsMarshal).
func jsonQuote(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return string(b)
		}
	}
	return `"` + s + `"`
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

func relStyle(t decode.Time) styleID {
	switch t.Claim {
	case "exp":
		switch {
		case t.Delta <= 0:
			return sErr
		case t.Delta < 15*60:
			return sWarn
		default:
			return sOKPlain
		}
	case "nbf":
		if t.Delta > 0 {
			return sWarn
		}
	}
	return sDim
}

func statusStyle(s decode.Status) styleID {
	switch s {
	case decode.StatusValid:
		return sOK
	case decode.StatusExpired, decode.StatusMalformed:
		return sErr
	case decode.StatusNotYetValid, decode.StatusNoExpiry:
		return sWarn
	}
	return sDim
}

// WriteJSON writes v as JSON: indented for people at a terminal, one
// compact line otherwise (so that several objects form JSON Lines).
// Characters that JSON allows raw but a terminal would act on (C1 controls,
// bidirectional overrides, line and paragraph separators) are written as
// \u escapes, which any JSON reader decodes to the same string.
func WriteJSON(w io.Writer, v any, indent bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(textsafe.EscapeJSON(buf.Bytes()))
	return err
}
