// Package cmd holds jwtrace's cobra commands. Each file is a thin adapter:
// it binds flags to an options struct, calls a logic package, hands the
// result to internal/ui, and returns typed errors that exit.go maps to exit
// codes.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/internal/version"
)

// Main runs jwtrace with the process's arguments and streams and returns the
// exit code.
func Main(ctx context.Context) int {
	return Run(ctx, ui.System(), nil, time.Now)
}

// Run runs jwtrace with the given streams and clock; args nil means
// os.Args[1:]. It prints the error, if any, and returns the exit code.
func Run(ctx context.Context, s *ui.Streams, args []string, now func() time.Time) int {
	root := NewRootCmd(s, now)
	if args != nil {
		root.SetArgs(args)
	}
	ran, err := root.ExecuteContextC(ctx)
	if err != nil && ctx.Err() != nil {
		// Interrupted: whatever failed on the way out is not news.
		return ExitInterrupted
	}
	if err != nil {
		path := "jwtrace"
		if ran != nil {
			path = ran.CommandPath()
		}
		if msg := errorMessage(err, path); msg != "" {
			// Messages can quote the input: never let it drive the terminal.
			// cobra indents its "Did you mean this?" suggestions with a tab,
			// which the escaper would show as \x09: indent with spaces.
			msg = strings.ReplaceAll(msg, "\n\t", "\n  ")
			fmt.Fprintln(s.ErrOut, "jwtrace: "+ui.SafeLines(msg))
		}
	}
	return exitCode(err)
}

// NewRootCmd builds the command tree. now is the clock every command uses.
func NewRootCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	root := &cobra.Command{
		Use:   "jwtrace",
		Short: "Inspect and debug JWT bearer tokens as they travel between services",
		Long: `jwtrace inspects and debugs JWT bearer tokens as they pass from service
to service.

Data goes to stdout and messages to stderr; every command that reports
data has --json.
Exit status: 0 success, 1 check failed, 2 usage or input error, 3 could not
complete (network), 4 login denied or expired, 130 interrupted.`,
		Example: `  jwtrace demo
  jwtrace decode 'Authorization: Bearer eyJhbGciOi...'
  pbpaste | jwtrace decode
  jwtrace verify --authority https://login.microsoftonline.com/$TENANT/v2.0 --audience api://workouts "$TOKEN"
  jwtrace chain --token-env TOKEN --file chain.yaml
  jwtrace authority serve --auto-approve alice &
  export TOKEN=$(jwtrace login --authority http://127.0.0.1:9400 --client-id jwtrace)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Version is computed when --version is asked, not at start-up.
		Version: "set-lazily",
	}
	// --profile picks a configuration profile (see jwtrace config); the
	// defaults it and the environment give fill the flags not given.
	var profile string
	root.PersistentFlags().StringVar(&profile, "profile", "", "use the defaults of configuration profile `NAME` (see jwtrace config; or $JWTRACE_PROFILE)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return applyDefaults(s, cmd, profile)
	}
	cobra.AddTemplateFunc("jwtraceVersion", version.String)
	root.SetVersionTemplate("jwtrace {{jwtraceVersion}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err}
	})
	root.AddCommand(
		newDecodeCmd(s, now),
		newVerifyCmd(s, now),
		newChainCmd(s, now),
		newDemoCmd(s, now),
		newLoginCmd(s, now),
		newLogoutCmd(s),
		newTokenCmd(s, now),
		newIntrospectCmd(s, now),
		newUserinfoCmd(s, now),
		newAuthorityCmd(s, now),
		newMintCmd(s, now),
		newVersionCmd(s),
		newConfigCmd(s, &profile),
	)
	addCompletionExamples(root)
	return root
}

// addCompletionExamples gives cobra's completion commands real examples.
func addCompletionExamples(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	examples := map[string]string{
		"completion": "  source <(jwtrace completion bash)\n  jwtrace completion zsh > \"${fpath[1]}/_jwtrace\"",
		"bash":       "  source <(jwtrace completion bash)\n  jwtrace completion bash > /etc/bash_completion.d/jwtrace",
		"zsh":        "  jwtrace completion zsh > \"${fpath[1]}/_jwtrace\"",
		"fish":       "  jwtrace completion fish > ~/.config/fish/completions/jwtrace.fish",
		"powershell": "  jwtrace completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = examples["completion"]
		// Without this, "jwtrace completion tcsh" prints the help and
		// exits 0, so a script that installs completions never notices.
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownSubcommand(cmd, args[0])
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		for _, sub := range c.Commands() {
			sub.Example = examples[sub.Name()]
		}
	}
}

// unknownSubcommand is the usage error for "jwtrace GROUP NAME" where GROUP
// has no subcommand NAME, with cobra's suggestions (which cobra itself makes
// only for the root command).
func unknownSubcommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += "\n\nDid you mean this?\n  " + strings.Join(s, "\n  ")
	}
	return &usageError{errors.New(msg)}
}

// requireNoArgs is cobra.NoArgs with a usage error.
func requireNoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
