package cmd

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// Every command's --help has examples, and every example there and every
// jwtrace command line in the sh blocks of README.md and docs/guide/*.md,
// and the "$ " lines of their console and text blocks, names real commands
// and flags: an example that a renamed flag broke fails here.
func TestExamplesUseRealFlags(t *testing.T) {
	t.Parallel()
	root := NewRootCmd(&ui.Streams{}, time.Now)
	var lines []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			if sub.Runnable() && strings.TrimSpace(sub.Example) == "" {
				t.Errorf("%s has no examples in --help", sub.CommandPath())
			}
			for _, l := range strings.Split(sub.Example, "\n") {
				lines = append(lines, strings.TrimSpace(l))
			}
			walk(sub)
		}
	}
	walk(root)
	for _, file := range docFiles(t, "..") {
		for _, b := range regexp.MustCompile("(?s)```(sh|console|text)\n(.*?)```").FindAllSubmatch(readDoc(t, "..", file), -1) {
			for _, l := range strings.Split(string(b[2]), "\n") {
				if string(b[1]) != "sh" && !strings.HasPrefix(l, "$ ") {
					continue // output, not a command
				}
				if strings.HasPrefix(strings.TrimSpace(l), "#") {
					continue
				}
				lines = append(lines, l)
			}
		}
	}
	// A command starts a line or follows $(, a pipe or &&.
	start := regexp.MustCompile(`(?:^|\$\(|\| |&& )jwtrace `)
	checked := 0
	for _, l := range lines {
		l = strings.TrimPrefix(strings.TrimSpace(l), "$ ")
		// The jwtrace command of a line: "jwtrace ..." up to a pipe,
		// redirection or the end of a $( ).
		loc := start.FindStringIndex(l)
		if loc == nil {
			continue
		}
		cmdline := l[loc[1]:]
		if j := strings.IndexAny(cmdline, "|>)<#\\"); j >= 0 {
			cmdline = cmdline[:j]
		}
		words, err := shellWords(cmdline)
		if err != nil || len(words) == 0 {
			continue
		}
		c, rest, err := root.Find(words)
		if err != nil || (c == root && !strings.HasPrefix(words[0], "-")) {
			t.Errorf("%q: no such command", l)
			continue
		}
		c.InitDefaultHelpFlag()
		c.InitDefaultVersionFlag()
		if err := c.ParseFlags(rest); err != nil {
			t.Errorf("%q: %v", l, err)
		}
		checked++
		// Parsing sets the flags; build a fresh tree for the next line.
		root = NewRootCmd(&ui.Streams{}, time.Now)
	}
	t.Logf("%d command lines checked", checked)
	if checked < 40 {
		t.Errorf("only %d example command lines checked", checked)
	}
}
