// Package cmd holds jwtrace's cobra commands. Each file is a thin adapter:
// it binds flags to an options struct, calls a logic package, hands the
// result to internal/ui, and returns typed errors that exit.go maps to exit
// codes.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/internal/version"
)

// Main runs jwtrace with the process's arguments and streams and returns the
// exit code.
func Main(ctx context.Context) int {
	return Run(ctx, ui.System(), nil, time.Now)
}

// Run runs jwtrace with the given streams and clock, and the system's
// browser; args nil means os.Args[1:]. It prints the error, if any, and
// returns the exit code.
func Run(ctx context.Context, s *ui.Streams, args []string, now func() time.Time) int {
	return RunWith(ctx, Deps{Streams: s, Now: now}, args)
}

// RunWith is Run with all of a run's dependencies given (see Deps).
func RunWith(ctx context.Context, d Deps, args []string) int {
	deps := d.withDefaults()
	line := args
	if line == nil {
		line = os.Args[1:] // what cobra runs
	}
	var started bool
	root := newRootFor(deps, &started, line)
	if args != nil {
		root.SetArgs(args)
	}
	return execute(ctx, deps, root, &started)
}

// execute runs root (built by newRoot on deps and started), prints the
// error, if any, and returns the exit code.
func execute(ctx context.Context, deps *Deps, root *cobra.Command, started *bool) int {
	s := deps.Streams
	ran, err := root.ExecuteContextC(ctx)
	if err != nil && !*started && !typed(err) {
		// cobra's own: an unknown command, an argument count refused.
		err = &inputError{err}
	}
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
	return newRoot(Deps{Streams: s, Now: now}.withDefaults(), new(bool))
}

// command is one of jwtrace's commands: the name it is run by, and how to
// build it.
type command struct {
	name  string
	build func(*Deps) *cobra.Command
}

// commands are jwtrace's commands; profile is the root's --profile. Add a
// command here as {"name", newNameCmd}: TestEveryCommandIsListedUnderItsName
// checks that the name is the one the command is run by.
func commands(profile *string) []command {
	return []command{
		{"decode", newDecodeCmd},
		{"verify", newVerifyCmd},
		{"chain", newChainCmd},
		{"demo", newDemoCmd},
		{"login", newLoginCmd},
		{"logout", newLogoutCmd},
		{"token", newTokenCmd},
		{"exchange", newExchangeCmd},
		{"introspect", newIntrospectCmd},
		{"userinfo", newUserinfoCmd},
		{"authority", newAuthorityCmd},
		{"mint", newMintCmd},
		{"version", newVersionCmd},
		{"validators", newValidatorsCmd},
		{"config", func(d *Deps) *cobra.Command { return newConfigCmd(d, profile) }},
	}
}

// newRoot builds the whole command tree on d; *started becomes true when a
// command begins to run (after cobra has parsed its flags and arguments).
func newRoot(d *Deps, started *bool) *cobra.Command {
	return newRootFor(d, started, nil)
}

// newRootFor is newRoot for the command line line.
//
// When line starts with a command's name, only that command is built (with
// its subcommands): building every command and its flags was a tenth of
// decode's start-up. Anything else (no command, a flag first, help,
// completion, a name cobra must suggest a command for) gets the whole tree,
// as does line nil (newRoot, and so NewRootCmd and the generated docs).
func newRootFor(d *Deps, started *bool, line []string) *cobra.Command {
	s := d.Streams
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
		*started = true
		return applyDefaults(s, cmd, profile)
	}
	// cobra's --version, with the version computed when it is asked for,
	// by this command tree (cobra.AddTemplateFunc would write a global
	// that every run shares).
	root.Flags().AddFlag(&pflag.Flag{Name: "version", Shorthand: "v", Usage: "version for jwtrace",
		Value: &versionFlag{root: root}, DefValue: "false", NoOptDefVal: "true",
		Annotations: map[string][]string{cobra.FlagSetByCobraAnnotation: {"true"}}})
	root.SetVersionTemplate("jwtrace {{.Version}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(flagErrors)
	all := commands(&profile)
	if len(line) > 0 {
		for _, c := range all {
			if c.name == line[0] {
				root.AddCommand(c.build(d))
				// Not the command being run: without this, cobra would
				// build the completion commands at every run.
				root.CompletionOptions.DisableDefaultCmd = true
				return root
			}
		}
	}
	for _, c := range all {
		root.AddCommand(c.build(d))
	}
	addCompletionExamples(root)
	return root
}

// versionFlag is --version: setting it computes the root's Version, which
// cobra's version template prints.
type versionFlag struct {
	root *cobra.Command
	set  bool
}

func (f *versionFlag) String() string   { return strconv.FormatBool(f.set) }
func (f *versionFlag) Type() string     { return "bool" }
func (f *versionFlag) IsBoolFlag() bool { return true }

func (f *versionFlag) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	f.set = b
	if b {
		f.root.Version = version.String()
	}
	return nil
}

// typed reports whether err is one of jwtrace's own (rather than cobra's).
func typed(err error) bool {
	var (
		usage   *usageError
		flagVal *flagValueError
	)
	return errors.As(err, &usage) || errors.As(err, &flagVal) || errors.Is(err, context.Canceled)
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
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only on the root
	}
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
