package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/internal/config"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// The defaults a profile or the environment may fill, by kind of command:
// a login-like command (one with --client-id: login, token, logout, chain
// --login, …) takes the authority, client, scopes and audience it asks for;
// verify takes the authority, audience and issuer rules. verify's --scope is
// a rule about the token, not the scopes a login asks for, so it is never
// filled from a profile.
var (
	loginKeys  = []string{"authority", "client_id", "scopes", "audience"}
	verifyKeys = []string{"authority", "audience", "issuer", "validator"}
)

// defaultKeys says which profile keys fill cmd's flags, given the flags
// already set (a key source given on the command line is not joined by a
// profile's authority, nor a --skip-* flag by the rule it skips).
func defaultKeys(cmd *cobra.Command) []string {
	f := cmd.Flags()
	changed := func(names ...string) bool {
		for _, n := range names {
			if fl := f.Lookup(n); fl != nil && fl.Changed {
				return true
			}
		}
		return false
	}
	var keys []string
	switch {
	case f.Lookup("client-id") != nil:
		if f.Lookup("login") != nil && !changed("login") {
			return nil // chain without --login: the login flags are not used
		}
		keys = loginKeys
		if changed("token-endpoint", "device-endpoint") {
			keys = keys[1:]
		}
	case cmd.Name() == "verify":
		for _, k := range verifyKeys {
			switch {
			case k == "authority" && changed("key", "jwks-url", "secret"):
			case k == "audience" && changed("skip-audience"):
			case k == "issuer" && changed("skip-issuer"):
			default:
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// applyDefaults fills the flags the user did not give from the environment
// ($JWTRACE_AUTHORITY, $JWTRACE_CLIENT_ID, $JWTRACE_SCOPE,
// $JWTRACE_AUDIENCE), then from the profile in effect. The configuration
// file is read only when a command takes such defaults, or --profile or
// $JWTRACE_PROFILE names a profile: a broken file never breaks decode.
func applyDefaults(s *ui.Streams, cmd *cobra.Command, profileFlag string) error {
	keys := defaultKeys(cmd)
	if len(keys) == 0 && profileFlag == "" {
		return nil
	}
	cfg, profile, _, err := loadProfile(s, profileFlag, len(keys) > 0)
	if err != nil {
		return err
	}
	given := map[string]string{}
	cmd.Flags().Visit(func(fl *pflag.Flag) { given[fl.Name] = fl.Value.String() })
	for _, set := range cfg.Resolve(profile, given, s.Getenv) {
		if set.Source == config.FromFlag || set.Source == config.NotSet || !containsString(keys, set.Key) {
			continue
		}
		fl := cmd.Flags().Lookup(set.Flag)
		if fl == nil {
			continue
		}
		values := []string{set.Value}
		if set.Key == "scopes" {
			values = strings.Fields(set.Value)
		}
		for _, v := range values {
			if err := cmd.Flags().Set(set.Flag, v); err != nil {
				return &usageError{fmt.Errorf("%s: --%s %q: %w", set.From, set.Flag, v, err)}
			}
		}
	}
	return nil
}

// loadProfile reads the configuration and picks the profile in effect
// ("" for none). When the file is not needed (no profile named, need
// false), a missing one is fine and nothing is read.
func loadProfile(s *ui.Streams, profileFlag string, need bool) (cfg *config.File, profile, why string, err error) {
	if !need && profileFlag == "" && s.Getenv("JWTRACE_PROFILE") == "" {
		return &config.File{}, "", "", nil
	}
	path, err := config.Path(s.Getenv, func() (string, error) { return userConfigDir(s.Getenv) })
	if err != nil {
		if profileFlag != "" {
			return nil, "", "", &usageError{fmt.Errorf("--profile %s: no configuration directory: %v; set $JWTRACE_CONFIG", profileFlag, err)}
		}
		return &config.File{}, "", "", nil
	}
	cfg, exists, err := config.Read(path)
	if err != nil {
		return nil, "", "", &usageError{fmt.Errorf("the configuration: %w", err)}
	}
	if !exists && (profileFlag != "" || s.Getenv("JWTRACE_PROFILE") != "") {
		return nil, "", "", &usageError{fmt.Errorf("no configuration file at %s, so no profile %q: write one (see jwtrace config --help)", path, firstNonEmpty(profileFlag, s.Getenv("JWTRACE_PROFILE")))}
	}
	profile, why, err = cfg.Selected(profileFlag, s.Getenv("JWTRACE_PROFILE"))
	if err != nil {
		return nil, "", "", &usageError{err}
	}
	return cfg, profile, why, nil
}

type configOptions struct {
	streams *ui.Streams
	profile *string
	json    bool
}

func newConfigCmd(d *Deps, profile *string) *cobra.Command {
	s := d.Streams
	opts := &configOptions{streams: s, profile: profile}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the configuration file, its profiles, and the defaults in effect",
		Long: `Config shows where jwtrace looks for its configuration file, the profiles in
it, which profile is in effect and why, and each default in effect with
where it came from.

The file is $JWTRACE_CONFIG, else jwtrace/config.yaml under
$XDG_CONFIG_HOME or the user config directory (~/.config on Linux). It
holds named profiles of defaults; secrets do not belong there:

  default: dev
  profiles:
    dev:
      authority: http://127.0.0.1:9400
      client_id: jwtrace
      scopes: [openid, workouts.read]
      audience: api://workouts
    prod:
      authority: https://login.microsoftonline.com/TENANT/v2.0
      issuer: https://login.microsoftonline.com/{tenantid}/v2.0

A profile is picked with --profile NAME, else $JWTRACE_PROFILE, else the
file's default. Flags win over the environment ($JWTRACE_AUTHORITY,
$JWTRACE_CLIENT_ID, $JWTRACE_SCOPE, $JWTRACE_AUDIENCE), and the
environment over the profile. login, token, logout and chain --login take
the authority, client, scopes and audience; verify takes the authority
(unless --key, --jwks-url or --secret is given), the audience and the
issuer. The file must be yours and not writable by others.

Exit status: 0 shown, 2 the file or the profile is wrong.`,
		Example: `  jwtrace config
  jwtrace config --profile prod --json
  JWTRACE_PROFILE=dev jwtrace login`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConfig(opts) },
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the file, the profiles and the defaults in effect as JSON")
	return cmd
}

type configJSON struct {
	File     string           `json:"file"`
	Exists   bool             `json:"exists"`
	Profiles []string         `json:"profiles"`
	Profile  string           `json:"profile,omitempty"`
	Why      string           `json:"why,omitempty"`
	Settings []config.Setting `json:"settings"`
}

func runConfig(opts *configOptions) error {
	s := opts.streams
	path, err := config.Path(s.Getenv, func() (string, error) { return userConfigDir(s.Getenv) })
	if err != nil {
		return &usageError{fmt.Errorf("no configuration directory: %v; set $JWTRACE_CONFIG", err)}
	}
	cfg, exists, err := config.Read(path)
	if err != nil {
		return &usageError{fmt.Errorf("the configuration: %w", err)}
	}
	profile, why, err := cfg.Selected(*opts.profile, s.Getenv("JWTRACE_PROFILE"))
	if err != nil {
		return &usageError{err}
	}
	out := configJSON{File: path, Exists: exists, Profiles: cfg.Names(), Profile: profile, Why: why, Settings: cfg.Resolve(profile, nil, s.Getenv)}
	if out.Profiles == nil {
		out.Profiles = []string{}
	}
	if opts.json {
		return ui.WriteJSON(s.Out, out, s.StdoutIsTerminal())
	}
	file := path
	if !exists {
		file += " (none yet)"
	}
	rows := [][]string{{"file", file}}
	if len(out.Profiles) > 0 {
		rows = append(rows, []string{"profiles", strings.Join(out.Profiles, ", ")})
	}
	if profile != "" {
		rows = append(rows, []string{"profile", profile + " (" + why + ")"})
	} else {
		rows = append(rows, []string{"profile", "none"})
	}
	p := s.Printer(s.Out)
	p.Table(rows)
	p.Para("")
	var set [][]string
	for _, st := range out.Settings {
		v, from := st.Value, st.From
		if st.Source == config.NotSet {
			v, from = "–", "not set"
		}
		set = append(set, []string{st.Key, v, from})
	}
	p.Table(set)
	p.Para("")
	p.Para("Flags on a command win over these.")
	return nil
}
