package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/internal/version"
)

func newVersionCmd(d *Deps) *cobra.Command {
	s := d.Streams
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print jwtrace's version",
		Example: "  jwtrace version\n  jwtrace version --json",
		Args:    requireNoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := version.Get()
			if asJSON {
				return ui.WriteJSON(s.Out, v, s.StdoutIsTerminal())
			}
			_, err := fmt.Fprintf(s.Out, "jwtrace %s (%s, %s)\n", v.Version, v.GoVersion, v.Platform)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}
