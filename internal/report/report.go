// Package report writes a chain's (and a verify batch's) outcome for
// machines and people other than a terminal: JUnit XML for CI test-report
// viewers, one self-contained HTML page with a sequence diagram of the
// calls, and GitHub Actions workflow commands (annotations).
//
// Everything a server sent is hostile: every text is escaped for where it
// goes (XML, HTML, a workflow command), with control and bidirectional
// characters made visible (textsafe.Text), and the token appears only as
// the caller gives it (masked, as in the terminal report, unless the user
// asked for --show-token). The chain runner has already masked the token
// wherever a server echoed it.
//
// It does not import cobra or lipgloss: cmd binds the flags and calls
// these functions.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// Chain is what a chain report says about the run besides its hops.
type Chain struct {
	// Source is the chain file's name as given (--file), "" for argument
	// hops.
	Source string
	// Token is the token sent. The reports show it as the terminal
	// report does: masked (chain.Mask) unless ShowToken (--show-token).
	Token     string
	ShowToken bool
	// TokenInfo describes the token in a few words (alg, kid, sub, aud,
	// expiry), as the terminal report's first line.
	TokenInfo string
	// At is when the chain ran.
	At time.Time
}

// shown is the token as the reports show it.
func (c Chain) shown() string {
	if c.ShowToken {
		return c.Token
	}
	return chain.Mask(c.Token)
}

// Label is a hop's label in every report: its name, or its method and URL.
func Label(r *chain.Result) string {
	if r.Name != "" {
		return r.Name
	}
	return method(r) + " " + r.URL
}

// HopRef is "hop 2 (billing)", or "hop 2" for an argument hop.
func HopRef(r *chain.Result) string {
	if r.Name != "" {
		return fmt.Sprintf("hop %d (%s)", r.Index, r.Name)
	}
	return fmt.Sprintf("hop %d", r.Index)
}

func method(r *chain.Result) string {
	if r.Method == "" {
		return "GET"
	}
	return r.Method
}

// Kind is how a report counts a hop.
type Kind int

const (
	// Passed: answered as expected, and any prediction agrees.
	Passed Kind = iota
	// Failure: answered, but not as expected, or the prediction
	// disagrees.
	Failure
	// NoAnswer: not as expected and no HTTP answer (refused, timeout,
	// TLS, another error): a JUnit <error>.
	NoAnswer
	// NotSent: not sent (--stop-on-failure): skipped.
	NotSent
)

// Judge says how a hop counts, and its failure type: the verdict
// ("rejected", "failed", "redirected", "refused", "timeout", "tls",
// "error"), "unexpected_status" for an accepted hop that should have
// answered otherwise, or "disagrees" for a hop that answered as expected
// but not as its declared rules predict.
func Judge(r *chain.Result) (Kind, string) {
	switch {
	case r.Verdict == chain.NotSent:
		return NotSent, ""
	case !r.AsExpected && !r.Verdict.Answered():
		return NoAnswer, string(r.Verdict)
	case !r.AsExpected && r.Verdict == chain.Accepted:
		return Failure, "unexpected_status"
	case !r.AsExpected:
		return Failure, string(r.Verdict)
	case Disagrees(r):
		return Failure, "disagrees"
	}
	return Passed, ""
}

// Disagrees reports whether the server's verdict contradicts the hop's
// declared rules.
func Disagrees(r *chain.Result) bool { return r.Agrees != nil && !*r.Agrees }

// Says is the server's answer in a few words (chain.Result.Says).
func Says(r *chain.Result) string { return r.Says() }

// Outcome is what happened at the hop in one sentence, for a failure's
// message: "rejected the token: invalid_token (401)", "answered 200, not
// 401", "refused the connection".
func Outcome(r *chain.Result) string {
	switch {
	case r.Verdict == chain.NotSent:
		return "not sent: an earlier hop answered unexpectedly (--stop-on-failure)"
	case r.Verdict.Answered() && !r.AsExpected && (r.Verdict == chain.Accepted || len(r.Expected) > 0):
		return fmt.Sprintf("%s: answered %d, not %s", Says(r), r.Status, chain.ExpectText(r.Expected))
	case r.Verdict.Answered():
		return fmt.Sprintf("%s (%d)", Says(r), r.Status)
	case r.Error != "":
		return Says(r) + ": " + r.Error
	}
	return Says(r)
}

// Disagreement explains a prediction the server contradicted ("" when it
// did not).
func Disagreement(r *chain.Result) string {
	if !Disagrees(r) {
		return ""
	}
	p := r.Prediction
	if p.Accept {
		return "the server rejected the token, but its declared rules accept it: the service checks something its declared rules do not, or is configured differently"
	}
	s := "the server accepted the token, but its declared rules reject it"
	if len(p.Failed) > 0 {
		s += " (" + strings.Join(p.Failed, ", ") + "): is it checking the " + p.Failed[0] + " at all, or against another value?"
	}
	return s
}

// Prediction is "accept", "reject", "unavailable" (the keys could not be
// loaded) or "" (no rules declared).
func Prediction(r *chain.Result) string {
	switch p := r.Prediction; {
	case p == nil:
		return ""
	case p.Error != "":
		return "unavailable"
	case p.Accept:
		return "accept"
	}
	return "reject"
}

// CauseFrom says where a cause comes from, in words.
func CauseFrom(r *chain.Result) string {
	if r.Cause == nil {
		return ""
	}
	switch r.Cause.From {
	case "rules":
		return fmt.Sprintf("hop %d's declared rules", r.Index)
	case "server":
		return "the server's challenge"
	case "token":
		return "the token itself"
	}
	return r.Cause.From
}

// CauseText is "aud: the token's audience … (hop 2's declared rules)", ""
// without a cause.
func CauseText(r *chain.Result) string {
	c := r.Cause
	if c == nil {
		return ""
	}
	return c.Claim + ": " + c.Detail + " (" + CauseFrom(r) + ")"
}

// Latency is the hop's time as a short text ("—" when not sent).
func Latency(r *chain.Result) string {
	if r.Verdict == chain.NotSent {
		return "—"
	}
	ms := r.LatencyMS
	switch {
	case ms < 1:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.1fs", ms/1000)
}

// clean makes hostile text safe for any of the reports: control
// characters (C0, DEL, C1), bidirectional formatting characters and line
// separators escaped visibly (\x1b, \u202e), invalid UTF-8 replaced. What
// is left is allowed in XML 1.0 (§2.2 Char) but for U+FFFE and U+FFFF,
// which encoding/xml replaces itself.
func clean(s string) string { return textsafe.Text(s) }

// cleanLines is clean for text whose line breaks are its own.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

// Details are a hop's facts as label: text lines, for a failure's body and
// an annotation: the verdict, the status and what was expected, the
// server's challenge, the prediction, the disagreement, the cause and the
// hint, notes, redirects and (with --show-body) the body.
func Details(r *chain.Result) [][2]string {
	var d [][2]string
	add := func(k, v string) {
		if v != "" {
			d = append(d, [2]string{k, v})
		}
	}
	add("hop", fmt.Sprintf("%d %s %s", r.Index, method(r), r.URL))
	add("verdict", Says(r))
	if r.Status != 0 {
		add("status", fmt.Sprint(r.Status))
	}
	add("expected", chain.ExpectText(r.Expected))
	add("error", r.Error)
	if c := r.Challenge; c != nil {
		add("server", c.Description())
		add("scope", c.Scope())
	}
	for _, w := range r.WWWAuthenticate {
		add("WWW-Authenticate", w)
	}
	if p := r.Prediction; p != nil {
		switch {
		case p.Error != "":
			add("prediction", "none: "+p.Error)
		default:
			t := Prediction(r)
			if len(p.Failed) > 0 {
				t += " (failed: " + strings.Join(p.Failed, ", ") + ")"
			}
			add("prediction", t)
		}
	}
	add("disagreement", Disagreement(r))
	if c := r.Cause; c != nil {
		add("cause", CauseText(r))
		add("hint", c.Hint)
	}
	for _, n := range r.Notes {
		add("note", n)
	}
	for _, u := range r.Redirects {
		add("redirected to", u+" (same host: followed)")
	}
	if r.BlockedRedirect != "" {
		add("redirect not followed", r.BlockedRedirect+" (jwtrace never sends the token to another host)")
	}
	if r.Body != "" {
		more := ""
		if r.BodyTruncated {
			more = " (truncated)"
		}
		add("body"+more, strings.TrimRight(r.Body, "\r\n"))
	}
	return d
}

// Message is a failing hop's one-line message: what happened, the
// disagreement, the cause and the hint.
func Message(r *chain.Result) string {
	parts := []string{HopRef(r) + " " + Outcome(r)}
	if d := Disagreement(r); d != "" {
		parts = append(parts, "DISAGREES: "+d)
	}
	if c := r.Cause; c != nil {
		parts = append(parts, "cause: "+CauseText(r))
		if c.Hint != "" {
			parts = append(parts, "hint: "+c.Hint)
		}
	}
	return strings.Join(parts, "; ")
}
