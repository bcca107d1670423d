package demo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jwtrace/jwtrace/chain"
)

// Step is one step of the story jwtrace demo tells: the command a user
// would type, which is also exactly the command the demo runs (its words
// split by Words), and what the story expects of it.
type Step struct {
	// Name is the step's name in demo --json ("login", "decode", ...).
	Name string
	// Title is the step's heading.
	Title string
	// Command is the jwtrace command line, as a POSIX shell would read
	// it: split into words and $VARIABLES expanded by Words.
	Command string
	// Capture, when set, names the variable the command's standard
	// output (trimmed) is exported as: the step prints
	// export NAME=$(COMMAND), and a later step can name $NAME.
	Capture string
	// Exports are variables the step sets before its command, each
	// printed as export NAME=VALUE (the exchange file's client secret).
	Exports []Export
	// Env names variables the command reads from its environment (as
	// chain's --token-env does): they are exported to it.
	Env []string
	// ShowFile is a file whose text the step shows before the command
	// (the chain file).
	ShowFile string
	// ExpectExit is the exit status the story expects.
	ExpectExit int
	// ExpectHops, for the chain steps, is what each hop should do.
	ExpectHops []HopExpect
	// After is what the story says when the step went as scripted: its
	// paragraphs, each a list of lines.
	After [][]string
}

// Export is a variable a step sets.
type Export struct{ Name, Value string }

// Printed is the export line a shell reads.
func (e Export) Printed() string { return "export " + Join(e.Name+"="+e.Value) }

// HopExpect is what the story expects of one hop of the chain.
type HopExpect struct {
	Verdict chain.Verdict
	// Agrees is whether jwtrace's prediction from the hop's declared rules
	// matches the server's answer.
	Agrees bool
	// Cause, when set, is the claim the hop's cause must name.
	Cause string
	// Act, when set, is the act chain (decode's "alice via workouts") of
	// the token the hop received: it was exchanged.
	Act string
}

// Printed is the step's command as the story prints it.
func (s Step) Printed() string {
	if s.Capture != "" {
		return "export " + s.Capture + "=$(" + s.Command + ")"
	}
	return s.Command
}

// LoginCommand is the command line that logs the demo user in against the
// authority at url.
func LoginCommand(url string) string {
	return Join("jwtrace", "login", "--no-browser", "--authority", url, "--client-id", ClientID, "--scope", Scope, "--audience", Audience)
}

// Story is the demo's steps, in order, against w.
func (w *World) Story() []Step {
	return []Step{
		{
			Name:    "login",
			Title:   "Log in with the device flow (approved by the authority as " + User + ")",
			Command: LoginCommand(w.Authority),
			Capture: "TOKEN",
		},
		{
			Name:    "decode",
			Title:   "Decode it: header, claims, readable times, what looks wrong",
			Command: `jwtrace decode "$TOKEN"`,
		},
		{
			Name:    "verify",
			Title:   "Verify it against the authority's keys, with explicit rules",
			Command: Join("jwtrace", "verify", "--authority", w.Authority, "--audience", Audience) + ` "$TOKEN"`,
		},
		{
			Name:     "chain",
			Title:    "Send it from service to service, each with its declared rules",
			Command:  Join("jwtrace", "chain", "--token-env", "TOKEN", "--file", w.ChainFile),
			Env:      []string{"TOKEN"},
			ShowFile: w.ChainFile,
			// billing rejects the token, so the chain ends in 1.
			ExpectExit: 1,
			ExpectHops: []HopExpect{
				{Verdict: chain.Accepted, Agrees: true},                // workouts
				{Verdict: chain.Accepted, Agrees: true},                // workout-log
				{Verdict: chain.Rejected, Agrees: true, Cause: "aud"},  // billing
				{Verdict: chain.Accepted, Agrees: false, Cause: "aud"}, // reports
			},
			After: [][]string{{
				"billing rejected the token: it was issued for " + Audience + " and billing wants " + BillingAudience + ".",
				"jwtrace's prediction from billing's declared rules agrees, and names the claim at fault. The fix",
				"belongs to the caller: ask for a token with billing's audience before calling billing.",
			}, {
				"reports accepted the same token, though its declared rules want " + ReportsAudience + ": it checks the",
				"audience against the wrong value, or not at all, and would take any token meant for another API.",
				"That disagreement between a service and its declared rules is what jwtrace chain is for.",
			}},
		},
		{
			Name:  "compare",
			Title: "The same chain with real delegation: each caller exchanges the token (RFC 8693)",
			// Each exchange: in the file names the client that performs it
			// (the service that calls the hop) and its secret as
			// ${SERVICE_SECRET}: a chain file takes a secret from the
			// environment only.
			Exports:  []Export{{SecretEnv, w.Secret}},
			Command:  Join("jwtrace", "chain", "--compare", "--token-env", "TOKEN", "--file", w.ExchangeFile),
			Env:      []string{"TOKEN", SecretEnv},
			ShowFile: w.ExchangeFile,
			// reports rejects the token meant for it, so the exchange run
			// (whose status chain --compare gives) ends in 1 too.
			ExpectExit: 1,
			ExpectHops: []HopExpect{
				{Verdict: chain.Accepted, Agrees: true},                                           // workouts
				{Verdict: chain.Accepted, Agrees: true},                                           // workout-log
				{Verdict: chain.Accepted, Agrees: true, Act: User + " via workouts"},              // billing
				{Verdict: chain.Rejected, Agrees: false, Act: User + " via workouts via billing"}, // reports
			},
			After: [][]string{{
				"With the exchanges, billing accepted: workouts exchanged the token for one meant for " + BillingAudience + ",",
				"recorded in act (" + User + " via workouts), so billing's own audience check passes. No service turned a",
				"check off, and no token went anywhere but to its audience.",
			}, {
				"reports is still the misconfigured service, now from the other side: billing exchanged its token",
				"for one meant for " + ReportsAudience + " (" + User + " via workouts via billing), and reports rejected it,",
				"because it checks for " + Audience + ". Its declared rules accept that token: jwtrace flags the",
				"disagreement again. Pass-through hid the mistake; real delegation makes it fail, where it shows.",
			}},
		},
	}
}

// CheckChain says whether rep went as the step expects; if not, the detail
// says how it did not.
func (s Step) CheckChain(rep *chain.Report) (bool, string) {
	if rep == nil || len(rep.Hops) != len(s.ExpectHops) {
		return false, "the chain did not run"
	}
	for i, h := range rep.Hops {
		want := s.ExpectHops[i]
		if h.Verdict != want.Verdict {
			detail := fmt.Sprintf("hop %d (%s): %s, want %s", h.Index, h.Name, h.Verdict, want.Verdict)
			if h.Error != "" {
				// A failed exchange says why (the authority's OAuth
				// error, escaped by the renderer).
				detail += ": " + h.Error
			}
			return false, detail
		}
		if h.Agrees == nil || *h.Agrees != want.Agrees {
			return false, fmt.Sprintf("hop %d (%s): the prediction and the server do not compare as scripted", h.Index, h.Name)
		}
		if want.Cause != "" && (h.Cause == nil || h.Cause.Claim != want.Cause) {
			return false, fmt.Sprintf("hop %d (%s): the cause is not the %s claim", i+1, h.Name, want.Cause)
		}
		if want.Act != "" {
			got := ""
			if h.Received != nil && h.Received.From == chain.FromExchange && h.Received.Delegation != nil {
				got = h.Received.Delegation.Chain
			}
			if got != want.Act {
				what := "no exchanged token"
				if got != "" {
					what = "a token with act " + got
				}
				return false, fmt.Sprintf("hop %d (%s): received %s, want a token exchanged for it (act %s)", i+1, h.Name, what, want.Act)
			}
		}
	}
	return true, ""
}

// Join quotes words for a POSIX shell where needed, and joins them with
// spaces.
func Join(words ...string) string {
	out := make([]string, len(words))
	for i, a := range words {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
		}) < 0 {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// Words splits a command line the way a POSIX shell does for the lines
// the story prints (POSIX.1-2017, Shell Command Language §2.2 Quoting and
// §2.6.2 Parameter Expansion, the subset used): words separated by blanks,
// '…' taken literally, "…" with $NAME and ${NAME} expanded, and unquoted
// $NAME and ${NAME} expanded (without field splitting: a value is never
// split into several words), \c outside quotes the character c. lookup gives the variables; one it does not
// know is an error, as is anything else a shell would read differently
// (a backslash in double quotes, a command substitution, an operator, an open quote).
func Words(line string, lookup func(string) (string, bool)) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case c == '$':
			name, n := varName(line[i+1:])
			if name == "" {
				return nil, fmt.Errorf("%q: a $ that is not $NAME or ${NAME}", line)
			}
			v, ok := lookup(name)
			if !ok {
				return nil, fmt.Errorf("%q: $%s is not set", line, name)
			}
			cur.WriteString(v)
			inWord = true
			i += n
			continue
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' || c == '`' {
				return nil, fmt.Errorf("%q: %c in double quotes is not supported", line, c)
			} else {
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote, inWord = c, true
		case ' ', '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\\':
			// §2.2.1: an unquoted backslash keeps the next character.
			if i+1 >= len(line) || line[i+1] == '\n' {
				return nil, fmt.Errorf("%q: a backslash at the end of the line is not supported", line)
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		case '`', '|', '&', ';', '<', '>', '(', ')', '\n', '*', '?', '[':
			return nil, fmt.Errorf("%q: %q is not supported", line, c)
		case '#', '~':
			if !inWord {
				// A comment, or a home directory.
				return nil, fmt.Errorf("%q: %q at the start of a word is not supported", line, c)
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New(line + ": an unclosed quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// varName reads NAME or {NAME} after a $ and returns the name and how many
// bytes it took ("" when there is none).
func varName(s string) (string, int) {
	braced := strings.HasPrefix(s, "{")
	t := s
	if braced {
		t = s[1:]
	}
	n := 0
	for n < len(t) && (t[n] == '_' || t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z' || n > 0 && t[n] >= '0' && t[n] <= '9') {
		n++
	}
	if n == 0 {
		return "", 0
	}
	if braced {
		if n >= len(t) || t[n] != '}' {
			return "", 0
		}
		return t[:n], n + 2
	}
	return t[:n], n
}
