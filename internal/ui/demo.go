package ui

import (
	"fmt"
	"strings"
)

// Step writes a demo step's heading: "── 2/4  Decode the token ──".
func (p *Printer) Step(n, total int, title string) {
	fmt.Fprintf(p.w, "\n%s\n", p.th.st().section.Render(fmt.Sprintf("── %d/%d  %s ", n, total, title)+strings.Repeat("─", max(3, 72-len([]rune(title))-10))))
}

// Command writes a command line the way a shell shows it.
func (p *Printer) Command(line string) {
	fmt.Fprintln(p.w, p.th.st().dim.Render("$ ")+p.th.st().key.Render(Safe(line)))
}

// Paste writes lines meant to be copied into a shell as they are: no
// prompt, indented by two spaces (which a shell ignores).
func (p *Printer) Paste(lines ...string) {
	for _, l := range lines {
		fmt.Fprintln(p.w, "  "+p.th.st().key.Render(Safe(l)))
	}
}

// Para writes a line of narration.
func (p *Printer) Para(s string) { fmt.Fprintln(p.w, s) }

// Dim writes a faint line.
func (p *Printer) Dim(s string) { fmt.Fprintln(p.w, p.th.st().dim.Render(s)) }

// OK and Fail write a verdict line.
func (p *Printer) OK(s string)   { fmt.Fprintln(p.w, p.th.st().ok.Render(s)) }
func (p *Printer) Fail(s string) { fmt.Fprintln(p.w, p.th.st().err.Render(s)) }

// Table writes rows of cells in aligned columns, indented by two spaces.
func (p *Printer) Table(rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(Safe(c))
			} else {
				b.WriteString(pad(Safe(c), widths[i]+2))
			}
		}
		fmt.Fprintln(p.w, strings.TrimRight(b.String(), " "))
	}
}
