package report

import (
	"io"
	"strings"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// GitHub Actions workflow commands
// (https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions):
// "::error title=T,file=F::message". A command is one line; the runner
// parses it with ActionCommand.TryParseV2 (actions/runner
// src/Runner.Common/ActionCommand.cs, commit 258d6c8): the line must start
// with "::" (after leading white space), the command info ends at the next
// "::", properties are split at "," and at the first "=", and the data and
// the properties are unescaped from %25, %0D, %0A (and, in properties,
// %3A, %2C). escapeData and escapeProperty are those of
// actions/toolkit packages/core/src/command.ts (commit 4b9afa4).
//
// The docs say commands are sent over stdout, but the runner reads them
// from the step's stdout and its stderr alike: ScriptHandler.cs (lines
// 331-336 at 258d6c8) and NodeScriptActionHandler.cs hand both streams to
// an OutputManager (one each), whose OnDataReceived calls
// ActionCommandManager.TryProcessCommand on every line. jwtrace writes them
// to stderr, so that stdout stays the report (or the --json object).
//
// The runner also still parses the old "##[command]data" form anywhere in
// a line (ActionCommand.TryParse, tried after TryParseV2); an annotation
// line parses as V2 first, so a "##[" in a server's text inside it is
// data.

// maxAnnotation bounds an annotation's message; maxTitle its title.
const (
	maxAnnotation = 4 << 10
	maxTitle      = 256
)

// escapeData escapes a workflow command's message (command.ts escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value (command.ts
// escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// command is one workflow command line. The texts are made safe first
// (control and bidirectional characters escaped visibly, so that no
// server text can end the line or hide in it); the message keeps its own
// line breaks, which the escaping encodes.
func command(name, title, file, message string) string {
	var b strings.Builder
	b.WriteString("::" + name + " title=" + escapeProperty(textsafe.CutBytes(clean(title), maxTitle)))
	if file != "" {
		b.WriteString(",file=" + escapeProperty(clean(file)))
	}
	b.WriteString("::" + escapeData(textsafe.CutBytes(cleanLines(message), maxAnnotation)) + "\n")
	return b.String()
}

// Annotations are the workflow commands for a chain report: ::error for a
// hop that did not answer as expected (rejected, failed, unanswered, or
// accepted where another status was expected), ::warning for one that
// answered as expected but disagrees with its declared rules. A hop not
// sent gets none (the hop that stopped the chain has its error). source is
// the chain file, given as the annotations' file ("" for none).
func Annotations(rep *chain.Report, source string) []string {
	var out []string
	for _, r := range rep.Hops {
		kind, _ := Judge(r)
		if kind == Passed || kind == NotSent {
			continue
		}
		name, title := "error", "jwtrace chain: "+HopRef(r)+" "+Says(r)
		if kind == Failure && r.AsExpected {
			name, title = "warning", "jwtrace chain: "+HopRef(r)+" disagrees with its declared rules"
		}
		var msg strings.Builder
		msg.WriteString(Message(r))
		for _, d := range Details(r) {
			msg.WriteString("\n" + d[0] + ": " + d[1])
		}
		out = append(out, command(name, title, source, msg.String()))
	}
	return out
}

// WriteAnnotations writes Annotations to w.
func WriteAnnotations(w io.Writer, rep *chain.Report, source string) error {
	for _, c := range Annotations(rep, source) {
		if _, err := io.WriteString(w, c); err != nil {
			return err
		}
	}
	return nil
}
