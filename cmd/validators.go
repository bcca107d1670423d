package cmd

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

func newValidatorsCmd(d *Deps) *cobra.Command {
	s := d.Streams
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validators [NAME]",
		Short: "List the validator libraries jwtrace predicts for, with their defaults",
		Long: `Validators lists the libraries a chain hop's validator: (or verify's
--validator) can name, with the defaults jwtrace models from each library's
source: the clock skew allowed on exp and on nbf, whether nbf is checked,
whether a token issued in the future is refused, whether exp is required,
the typ values that pass, the algorithms when none are configured, what the
library does when no issuer or audience is configured, and how it answers a
token it refuses. A hop's declared rules win over these defaults.

Name one to see its sources and, where the library renames claims for the
application (aspnetcore), the claim map.`,
		Example: "  jwtrace validators\n  jwtrace validators go-oidc\n  jwtrace validators --json",
		Args:    cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return verify.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			list := verify.Profiles()
			if len(args) == 1 {
				p := verify.LookupProfile(args[0])
				if p == nil {
					return &usageError{unknownValidator(args[0])}
				}
				list = []*verify.Profile{p}
			}
			if asJSON {
				out := make([]validatorJSON, len(list))
				for i, p := range list {
					out[i] = validatorJSON{Profile: p, Summary: p.Summary()}
				}
				if len(args) == 1 {
					return ui.WriteJSON(s.Out, out[0], s.StdoutIsTerminal())
				}
				return ui.WriteJSON(s.Out, out, s.StdoutIsTerminal())
			}
			pr := s.Printer(s.Out)
			if len(args) == 1 {
				pr.Validator(list[0])
				return nil
			}
			pr.Validators(list)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the validators as JSON")
	return cmd
}

type validatorJSON struct {
	*verify.Profile
	Summary verify.ProfileSummary `json:"summary"`
}

type unknownValidatorError struct{ name string }

func (e unknownValidatorError) Error() string {
	return "no validator " + strconv.Quote(e.name) + ": jwtrace knows " + strings.Join(verify.ProfileNames(), ", ")
}

func unknownValidator(name string) error { return unknownValidatorError{name} }
