package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// VerifyView is what the verify report says about where the keys came from.
type VerifyView struct {
	Origin *verify.Origin
	// Validator is the library whose defaults fill the rules not given
	// (verify --validator), nil for none.
	Validator *verify.Profile
}

// checkLabel is a check's name as a person reads it.
func checkLabel(k string) (string, bool) {
	switch k {
	case verify.CheckFormat:
		return "format", true
	case verify.CheckKey:
		return "key", true
	case verify.CheckSignature:
		return "signature", true
	case verify.CheckIssuer:
		return "issuer", true
	case verify.CheckAudience:
		return "audience", true
	case verify.CheckExpiry:
		return "expiry", true
	case verify.CheckNotBefore:
		return "not before", true
	case verify.CheckIssuedAt:
		return "issued at", true
	case verify.CheckType:
		return "type", true
	case verify.CheckClaims:
		return "claims", true
	case verify.CheckScopes:
		return "scopes", true
	}
	return "", false
}

// Verification writes verify's checklist for each result: where the keys
// came from, every check with its outcome, and a summary line. The words
// are explain's, for verify's command line.
func (p *Printer) Verification(results []*verify.Result, v VerifyView) error {
	for _, r := range results {
		explain.CLI.Fill(r)
	}
	var b strings.Builder
	th := p.th
	if o := v.Origin; o != nil {
		writeOrigin(&b, th, o)
		if pr := v.Validator; pr != nil {
			fmt.Fprintf(&b, "  %s %s\n", th.st().key.Render(fmt.Sprintf("%-10s", "validator")),
				Safe(pr.Name)+", "+Safe(pr.Version)+": its defaults decide every rule not given")
		}
		b.WriteString("\n")
	}
	for i, r := range results {
		if i > 0 {
			b.WriteString("\n")
		}
		if len(results) > 1 && r.Source != "" {
			b.WriteString(th.st().section.Render(Safe(r.Source)) + "\n")
		}
		unread, why := 0, ""
		for _, c := range r.Checks {
			if explain.Unmade(&c) {
				// One line for the checks a broken token leaves unmade.
				unread++
				why = explain.CLI.NotMade(&c)
				continue
			}
			var mark string
			switch c.Status {
			case verify.Pass:
				mark = th.st().ok.Render("✓")
			case verify.Fail:
				mark = th.st().err.Render("✗")
			default:
				mark = th.st().dim.Render("–")
			}
			l, _ := checkLabel(c.Name)
			label := fmt.Sprintf("%-10s", l)
			detail := Safe(c.Detail)
			switch {
			case c.Status == verify.Skip && (c.Name == verify.CheckIssuer || c.Name == verify.CheckAudience):
				detail = th.st().warn.Render(detail)
			case c.Status == verify.Skip:
				detail = th.st().dim.Render(detail)
			}
			fmt.Fprintf(&b, "  %s %s  %s\n", mark, th.st().key.Render(label), detail)
			if c.Status == verify.Fail {
				if want := explain.CLI.Expected(&c); want != "" {
					fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", 12), th.st().dim.Render("expected: ")+Safe(want))
				}
				if c.Hint != "" {
					fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", 12), th.st().warn.Render("hint: ")+Safe(c.Hint))
				}
			}
		}
		if unread > 0 {
			word := "checks"
			if unread == 1 {
				word = "check"
			}
			fmt.Fprintf(&b, "  %s\n", th.st().dim.Render(fmt.Sprintf("– %d more %s not made: %s", unread, word, why)))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  %s\n", th.st().dim.Render("note: "+Safe(n)))
		}
		b.WriteString("\n")
		if r.Valid {
			line := "VALID" + strings.TrimPrefix(r.Summary, "valid")
			if skippedLoud(r) || len(r.Warnings) > 0 {
				b.WriteString(th.st().warn.Render(line) + "\n")
			} else {
				b.WriteString(th.st().ok.Render(line) + "\n")
			}
		} else {
			b.WriteString(th.st().err.Render("REJECTED"+strings.TrimPrefix(r.Summary, "rejected")) + "\n")
		}
	}
	_, err := p.w.Write([]byte(b.String()))
	return err
}

func writeOrigin(b *strings.Builder, th *theme, o *verify.Origin) {
	row := func(k, v string) {
		fmt.Fprintf(b, "  %s %s\n", th.st().key.Render(fmt.Sprintf("%-10s", k)), v)
	}
	switch {
	case o.Authority != "":
		b.WriteString(th.st().title.Render("Verifying against "+Safe(o.Authority)) + "\n")
	case o.JWKS != nil:
		b.WriteString(th.st().title.Render("Verifying with the JWKS at "+Safe(o.JWKS.URL)) + "\n")
	default:
		b.WriteString(th.st().title.Render("Verifying with local keys") + "\n")
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
		row("note", th.st().dim.Render(Safe(n)))
	}
}

func fetched(th *theme, f *verify.FetchInfo) string {
	// The kid and the error may be a token's or a server's bytes.
	switch {
	case f.Refetched && f.Before != nil && f.Before.Cached:
		return th.st().dim.Render(" (refetched: kid " + Safe(f.RefetchKid) + " was not in the copy cached " + relAgo(f.Before.Age) + ")")
	case f.Refetched:
		return th.st().dim.Render(" (fetched, then refetched: kid " + Safe(f.RefetchKid) + " was not in it)")
	case f.RefetchError != "":
		return th.st().dim.Render(" (" + firstCopy(f) + "; kid " + Safe(f.RefetchKid) + " was not in it, and the refetch failed: " + Safe(f.RefetchError) + ")")
	}
	return th.st().dim.Render(" (" + firstCopy(f) + ")")
}

func firstCopy(f *verify.FetchInfo) string {
	if f.Cached {
		return "cached " + relAgo(f.Age)
	}
	return "fetched"
}

func relAgo(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return decode.HumanSeconds(int64(d/time.Second)) + " ago"
}

// Warning styles a warning for the Printer's stream.
func (p *Printer) Warning(s string) string { return p.th.st().warn.Render(s) }

// skippedLoud reports whether a valid result left the issuer or the
// audience unchecked.
func skippedLoud(r *verify.Result) bool {
	for _, s := range r.Skipped {
		if s == verify.CheckIssuer || s == verify.CheckAudience {
			return true
		}
	}
	return false
}

// Box draws lines in a plain box, as login shows its device code.
func (p *Printer) Box(lines []string) string {
	return p.th.st().box.Render(strings.Join(lines, "\n"))
}
