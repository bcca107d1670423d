// Package config reads jwtrace's configuration file, named profiles of
// defaults (authority, client, scopes, audience, issuer, validator), and resolves the
// defaults in effect from flags, the environment and a profile, saying
// where each value came from. Flags win over the environment, the
// environment over the profile.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileBytes bounds the configuration file.
const MaxFileBytes = 256 << 10

// Profile is one named set of defaults. Secrets have no place here: a
// client secret comes from $JWTRACE_CLIENT_SECRET or --client-secret.
type Profile struct {
	// Authority is the issuer URL (--authority).
	Authority string `yaml:"authority,omitempty" json:"authority,omitempty"`
	// ClientID is the OAuth client (--client-id).
	ClientID string `yaml:"client_id,omitempty" json:"client_id,omitempty"`
	// Scopes are the scopes login asks for (--scope).
	Scopes []string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	// Audience is login's audience parameter and verify's audience rule
	// (--audience).
	Audience string `yaml:"audience,omitempty" json:"audience,omitempty"`
	// Issuer is verify's issuer rule (--issuer).
	Issuer string `yaml:"issuer,omitempty" json:"issuer,omitempty"`
	// Validator is the library the services validate with (verify's
	// --validator; jwtrace validators lists them).
	Validator string `yaml:"validator,omitempty" json:"validator,omitempty"`
}

// File is the configuration file.
type File struct {
	// Default is the profile used when neither --profile nor
	// $JWTRACE_PROFILE names one.
	Default  string             `yaml:"default,omitempty"`
	Profiles map[string]Profile `yaml:"profiles,omitempty"`
}

// Path is the configuration file: $JWTRACE_CONFIG, else
// jwtrace/config.yaml under $XDG_CONFIG_HOME, else under the user config
// directory (userConfigDir, os.UserConfigDir in production).
func Path(getenv func(string) string, userConfigDir func() (string, error)) (string, error) {
	if p := getenv("JWTRACE_CONFIG"); p != "" {
		return p, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "jwtrace", "config.yaml"), nil
	}
	d, err := userConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "jwtrace", "config.yaml"), nil
}

// Read reads and checks the file at path. A missing file is an empty
// configuration (exists false). The file must be the user's own and not
// writable by others: a profile decides where tokens and secrets are sent.
func Read(path string) (f *File, exists bool, err error) {
	fd, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return nil, true, err
	}
	if err := private(path, fi); err != nil {
		return nil, true, err
	}
	b, err := io.ReadAll(io.LimitReader(fd, MaxFileBytes+1))
	if err != nil {
		return nil, true, err
	}
	if len(b) > MaxFileBytes {
		return nil, true, fmt.Errorf("%s is larger than %d KiB", path, MaxFileBytes>>10)
	}
	f, err = Parse(b)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", path, err)
	}
	return f, true, nil
}

// Parse reads a configuration: unknown keys, duplicate keys, anchors and
// aliases are errors, and every profile is checked. The schema is shallow,
// so deep nesting is refused before the YAML parser sees it (its memory
// grows with the square of the depth).
func Parse(b []byte) (*File, error) {
	if err := shallow(b); err != nil {
		return nil, err
	}
	f := &File{}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, nil
	}
	tree, err := parser.ParseBytes(b, 0)
	if err != nil {
		return nil, errors.New(strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	for _, doc := range tree.Docs {
		var found error
		ast.Walk(visitor(func(n ast.Node) bool {
			switch n.(type) {
			case *ast.AliasNode, *ast.AnchorNode:
				found = fmt.Errorf("line %d: anchors and aliases (&name, *name) are not used in jwtrace's configuration", n.GetToken().Position.Line)
			}
			return found == nil
		}), doc)
		if found != nil {
			return nil, found
		}
	}
	// Duplicate keys are a parse error in goccy/go-yaml by default.
	if err := yaml.UnmarshalWithOptions(b, f, yaml.DisallowUnknownField()); err != nil {
		return nil, errors.New(strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	for _, name := range f.Names() {
		if err := f.Profiles[name].check(); err != nil {
			return nil, fmt.Errorf("profile %q: %w", name, err)
		}
	}
	if f.Default != "" {
		if _, ok := f.Profiles[f.Default]; !ok {
			return nil, fmt.Errorf("default: there is no profile %q (profiles: %s)", f.Default, f.list())
		}
	}
	return f, nil
}

type visitor func(ast.Node) bool

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if v(n) {
		return v
	}
	return nil
}

// shallow refuses what the configuration's three levels (profiles, name,
// key) never need: lines indented more than 32 columns, or more than 64
// brackets in all.
func shallow(b []byte) error {
	if n := bytes.Count(b, []byte("[")) + bytes.Count(b, []byte("{")); n > 64 {
		return fmt.Errorf("%d brackets: the configuration is profiles of a few keys each, not nested data", n)
	}
	for i, line := range bytes.Split(b, []byte("\n")) {
		if indent := len(line) - len(bytes.TrimLeft(line, " \t")); indent > 32 && len(bytes.TrimSpace(line)) > 0 {
			return fmt.Errorf("line %d: indented %d columns: the configuration is profiles of a few keys each, not nested data", i+1, indent)
		}
	}
	return nil
}

func (p Profile) check() error {
	for key, v := range map[string]string{"authority": p.Authority, "client_id": p.ClientID, "audience": p.Audience, "issuer": p.Issuer, "validator": p.Validator} {
		if v != "" && strings.TrimSpace(v) != v {
			return fmt.Errorf("%s %q has spaces around it", key, v)
		}
	}
	if p.Authority != "" && !strings.HasPrefix(p.Authority, "https://") && !strings.HasPrefix(p.Authority, "http://") {
		return fmt.Errorf("authority %q: want an https:// URL (http:// for loopback)", p.Authority)
	}
	for _, s := range p.Scopes {
		if strings.TrimSpace(s) == "" {
			return errors.New("scopes: an empty scope")
		}
	}
	return nil
}

// Names lists the profiles, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (f *File) list() string {
	if len(f.Profiles) == 0 {
		return "none"
	}
	return strings.Join(f.Names(), ", ")
}

// Source says where a value in effect came from.
type Source string

// The sources, strongest first.
const (
	FromFlag    Source = "flag"
	FromEnv     Source = "environment"
	FromProfile Source = "profile"
	NotSet      Source = ""
)

// Setting is one default in effect.
type Setting struct {
	// Key is the profile key: authority, client_id, scopes, audience,
	// issuer.
	Key string `json:"key"`
	// Flag is the command-line flag it fills.
	Flag string `json:"flag"`
	// Value is what is in effect ("" when not set).
	Value string `json:"value,omitempty"`
	// Source is where Value came from; From names it (the variable or the
	// profile).
	Source Source `json:"source,omitempty"`
	From   string `json:"from,omitempty"`
}

// Keys are the profile keys, their flags and environment variables, in
// the order jwtrace config shows them.
var Keys = []struct{ Key, Flag, Env string }{
	{"authority", "authority", "JWTRACE_AUTHORITY"},
	{"client_id", "client-id", "JWTRACE_CLIENT_ID"},
	{"scopes", "scope", "JWTRACE_SCOPE"},
	{"audience", "audience", "JWTRACE_AUDIENCE"},
	{"issuer", "issuer", ""},
	{"validator", "validator", "JWTRACE_VALIDATOR"},
}

// Selected names the profile in effect and why: --profile, then
// $JWTRACE_PROFILE, then the file's default. An unknown name is an error.
func (f *File) Selected(flag, env string) (name, why string, err error) {
	switch {
	case flag != "":
		name, why = flag, "--profile"
	case env != "":
		name, why = env, "$JWTRACE_PROFILE"
	case f.Default != "":
		name, why = f.Default, "the file's default"
	default:
		return "", "", nil
	}
	if _, ok := f.Profiles[name]; !ok {
		return "", "", fmt.Errorf("%s names profile %q, which the configuration does not have (profiles: %s)", why, name, f.list())
	}
	return name, why, nil
}

// Resolve returns the settings in effect, given which flags were set on
// the command line (flags: flag name to value, for those given), the
// environment and the selected profile ("" for none).
func (f *File) Resolve(profile string, flags map[string]string, getenv func(string) string) []Setting {
	p := f.Profiles[profile]
	fromProfile := map[string]string{
		"authority": p.Authority, "client_id": p.ClientID, "scopes": strings.Join(p.Scopes, " "),
		"audience": p.Audience, "issuer": p.Issuer, "validator": p.Validator,
	}
	var out []Setting
	for _, k := range Keys {
		s := Setting{Key: k.Key, Flag: k.Flag}
		switch {
		case flags[k.Flag] != "":
			s.Value, s.Source, s.From = flags[k.Flag], FromFlag, "--"+k.Flag
		case k.Env != "" && getenv(k.Env) != "":
			s.Value, s.Source, s.From = getenv(k.Env), FromEnv, "$"+k.Env
		case fromProfile[k.Key] != "":
			s.Value, s.Source, s.From = fromProfile[k.Key], FromProfile, "profile "+profile
		}
		out = append(out, s)
	}
	return out
}
