package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/verify"
)

// VerifyView is what the verify report says about where the keys came from.
type VerifyView struct {
	Origin *verify.Origin
}

// checkLabels are the checks' names as a person reads them.
var checkLabels = map[string]string{
	verify.CheckFormat:    "format",
	verify.CheckKey:       "key",
	verify.CheckSignature: "signature",
	verify.CheckIssuer:    "issuer",
	verify.CheckAudience:  "audience",
	verify.CheckExpiry:    "expiry",
	verify.CheckNotBefore: "not before",
	verify.CheckIssuedAt:  "issued at",
	verify.CheckType:      "type",
	verify.CheckClaims:    "claims",
	verify.CheckScopes:    "scopes",
}

// Verification writes verify's checklist for each result: where the keys
// came from, every check with its outcome, and a summary line.
func (p *Printer) Verification(results []*verify.Result, v VerifyView) error {
	var b strings.Builder
	th := p.th
	if o := v.Origin; o != nil {
		writeOrigin(&b, th, o)
		b.WriteString("\n")
	}
	for i, r := range results {
		if i > 0 {
			b.WriteString("\n")
		}
		if len(results) > 1 && r.Source != "" {
			b.WriteString(th.section.Render(Safe(r.Source)) + "\n")
		}
		unread := 0
		for _, c := range r.Checks {
			if c.Status == verify.Skip && strings.HasPrefix(c.Detail, "not checked: the ") {
				// One line for the checks a broken token leaves unmade.
				unread++
				continue
			}
			var mark string
			switch c.Status {
			case verify.Pass:
				mark = th.ok.Render("✓")
			case verify.Fail:
				mark = th.err.Render("✗")
			default:
				mark = th.dim.Render("–")
			}
			label := fmt.Sprintf("%-10s", checkLabels[c.Name])
			detail := Safe(c.Detail)
			switch {
			case c.Status == verify.Skip && (c.Name == verify.CheckIssuer || c.Name == verify.CheckAudience):
				detail = th.warn.Render(detail)
			case c.Status == verify.Skip:
				detail = th.dim.Render(detail)
			}
			fmt.Fprintf(&b, "  %s %s  %s\n", mark, th.key.Render(label), detail)
			if c.Status == verify.Fail {
				if c.Expected != "" && !strings.Contains(c.Detail, c.Expected) {
					fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", 12), th.dim.Render("expected: ")+Safe(c.Expected))
				}
				if c.Hint != "" {
					fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", 12), th.warn.Render("hint: ")+Safe(c.Hint))
				}
			}
		}
		if unread > 0 {
			fmt.Fprintf(&b, "  %s\n", th.dim.Render(fmt.Sprintf("– %d more checks not made: %s", unread, strings.TrimPrefix(lastSkip(r), "not checked: "))))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  %s\n", th.dim.Render("note: "+Safe(n)))
		}
		b.WriteString("\n")
		if r.Valid {
			line := "VALID" + strings.TrimPrefix(r.Summary, "valid")
			if strings.Contains(line, "NOT checked") || len(r.Warnings) > 0 {
				b.WriteString(th.warn.Render(line) + "\n")
			} else {
				b.WriteString(th.ok.Render(line) + "\n")
			}
		} else {
			b.WriteString(th.err.Render("REJECTED"+strings.TrimPrefix(r.Summary, "rejected")) + "\n")
		}
	}
	_, err := p.w.Write([]byte(b.String()))
	return err
}

func writeOrigin(b *strings.Builder, th *theme, o *verify.Origin) {
	row := func(k, v string) {
		fmt.Fprintf(b, "  %s %s\n", th.key.Render(fmt.Sprintf("%-10s", k)), v)
	}
	switch {
	case o.Authority != "":
		b.WriteString(th.title.Render("Verifying against "+Safe(o.Authority)) + "\n")
	case o.JWKS != nil:
		b.WriteString(th.title.Render("Verifying with the JWKS at "+Safe(o.JWKS.URL)) + "\n")
	default:
		b.WriteString(th.title.Render("Verifying with local keys") + "\n")
	}
	if o.Discovery != nil {
		row("discovery", Safe(o.Discovery.URL)+fetched(th, o.Discovery))
	}
	if o.JWKS != nil {
		row("jwks", Safe(o.JWKS.URL)+fetched(th, o.JWKS))
	}
	for _, f := range o.Files {
		row("key file", Safe(f))
	}
	if o.Secret != "" {
		row("secret", Safe(o.Secret))
	}
	row("keys", Safe(o.KeysText()))
	for _, n := range o.Notes {
		row("note", th.dim.Render(Safe(n)))
	}
}

func fetched(th *theme, f *verify.FetchInfo) string {
	if f.Cached {
		return th.dim.Render(" (cached " + relAgo(f.Age) + ")")
	}
	return th.dim.Render(" (fetched)")
}

func relAgo(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return decode.HumanSeconds(int64(d/time.Second)) + " ago"
}

// Warning styles a warning for the Printer's stream.
func (p *Printer) Warning(s string) string { return p.th.warn.Render(s) }

// lastSkip is the reason the last unmade check gives.
func lastSkip(r *verify.Result) string {
	for i := len(r.Checks) - 1; i >= 0; i-- {
		if c := r.Checks[i]; c.Status == verify.Skip && strings.HasPrefix(c.Detail, "not checked: the ") {
			return c.Detail
		}
	}
	return ""
}

// Box draws lines in a plain box, as login shows its device code.
func (p *Printer) Box(lines []string) string {
	return p.th.box.Render(strings.Join(lines, "\n"))
}
