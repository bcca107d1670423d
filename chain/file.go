package chain

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/jwtrace/jwtrace/verify"
)

// MaxFileBytes bounds a chain file, and MaxBodyBytes a request body read
// from a file.
const (
	MaxFileBytes = 1 << 20
	MaxBodyBytes = 1 << 20
)

// fileChain is the chain file's schema. Unknown keys are errors, with their
// line and column.
type fileChain struct {
	Defaults struct {
		Headers map[string]string `yaml:"headers"`
		Expect  intList           `yaml:"expect"`
		Rules   *fileRules        `yaml:"rules"`
	} `yaml:"defaults"`
	Hops []fileHop `yaml:"hops"`
}

type fileHop struct {
	Name     string            `yaml:"name"`
	URL      string            `yaml:"url"`
	Method   string            `yaml:"method"`
	Headers  map[string]string `yaml:"headers"`
	Body     *string           `yaml:"body"`
	BodyFile string            `yaml:"body_file"`
	Expect   intList           `yaml:"expect"`
	Rules    *fileRules        `yaml:"rules"`
}

type fileRules struct {
	Authority  string     `yaml:"authority"`
	JWKSURL    string     `yaml:"jwks_url"`
	Issuer     stringList `yaml:"issuer"`
	Tenant     stringList `yaml:"tenant"`
	Audience   stringList `yaml:"audience"`
	Algs       stringList `yaml:"algs"`
	Scopes     stringList `yaml:"scopes"`
	Typ        string     `yaml:"typ"`
	Require    stringList `yaml:"require"`
	Leeway     string     `yaml:"leeway"`
	AllowNoExp *bool      `yaml:"allow_no_exp"`
}

// stringList takes a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalYAML(node ast.Node) error {
	var one string
	if err := yaml.NodeToValue(node, &one); err == nil && node.Type() != ast.SequenceType {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := yaml.NodeToValue(node, &many); err != nil {
		return positioned(node, "want a string or a list of strings, not "+clip(node.String()))
	}
	*l = many
	return nil
}

// intList takes a status or a list of statuses.
type intList []int

func (l *intList) UnmarshalYAML(node ast.Node) error {
	var one int
	if err := yaml.NodeToValue(node, &one); err == nil && node.Type() != ast.SequenceType {
		*l = intList{one}
		return nil
	}
	var many []int
	if err := yaml.NodeToValue(node, &many); err != nil {
		return positioned(node, "want a status or a list of statuses, not "+clip(node.String()))
	}
	*l = many
	return nil
}

// positioned is an error at node, in the parser's own [line:column] form.
func positioned(node ast.Node, msg string) error {
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		return fmt.Errorf("[%d:%d] %s", tk.Position.Line, tk.Position.Column, msg)
	}
	return errors.New(msg)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// FileError is a chain file that cannot be used: Msg carries the position
// and, when the parser has it, the lines around it.
type FileError struct {
	Path string
	Msg  string
}

func (e *FileError) Error() string { return e.Path + ": " + e.Msg }

// LoadFile reads a chain file. ${NAME} in URLs, header values and rules
// takes the value of the environment variable NAME (getenv; nil for
// none).
func LoadFile(path string, getenv func(string) (string, bool)) ([]Hop, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, &FileError{path, fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	return ParseFile(path, data, getenv)
}

// ParseFile parses a chain file's contents; body_file paths are relative
// to path's directory.
func ParseFile(path string, data []byte, getenv func(string) (string, bool)) ([]Hop, error) {
	if err := noAliases(data); err != nil {
		return nil, &FileError{path, err.Error()}
	}
	var fc fileChain
	if err := yaml.UnmarshalWithOptions(data, &fc, yaml.DisallowUnknownField()); err != nil {
		return nil, &FileError{path, yaml.FormatError(err, false, true)}
	}
	if len(fc.Hops) == 0 {
		return nil, &FileError{path, "no hops: the file needs a \"hops:\" list"}
	}
	if len(fc.Hops) > MaxHops {
		return nil, &FileError{path, fmt.Sprintf("%d hops; a chain may have at most %d", len(fc.Hops), MaxHops)}
	}
	dir := filepath.Dir(path)
	hops := make([]Hop, 0, len(fc.Hops))
	for i, fh := range fc.Hops {
		h, err := fh.hop(dir, &fc)
		if err == nil {
			err = expandHop(&h, getenv)
		}
		if err != nil {
			return nil, &FileError{path, (&HopError{Index: i + 1, Name: fh.Name, Err: err}).Error()}
		}
		hops = append(hops, h)
	}
	return hops, nil
}

func (fh *fileHop) hop(dir string, fc *fileChain) (Hop, error) {
	h := Hop{Name: fh.Name, URL: fh.URL, Method: fh.Method, Expect: fh.Expect}
	if len(h.Expect) == 0 {
		h.Expect = fc.Defaults.Expect
	}
	if len(fc.Defaults.Headers)+len(fh.Headers) > 0 {
		h.Header = http.Header{}
		for _, m := range []map[string]string{fc.Defaults.Headers, fh.Headers} {
			// Sorted, so that an error names the same header every time.
			names := make([]string, 0, len(m))
			for n := range m {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if !validToken(n) {
					return h, fmt.Errorf("header name %q is not valid", n)
				}
				h.Header.Set(n, m[n])
			}
		}
	}
	switch {
	case fh.Body != nil && fh.BodyFile != "":
		return h, errors.New("give body or body_file, not both")
	case fh.Body != nil:
		h.Body = []byte(*fh.Body)
	case fh.BodyFile != "":
		p := fh.BodyFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := ReadBody(p)
		if err != nil {
			return h, fmt.Errorf("body_file: %w", err)
		}
		h.Body = b
	}
	r, err := mergeRules(fc.Defaults.Rules, fh.Rules)
	if err != nil {
		return h, err
	}
	h.Rules = r
	return h, nil
}

// ReadBody reads a request body from a file, at most MaxBodyBytes.
func ReadBody(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxBodyBytes)
	}
	return b, nil
}

// mergeRules gives a hop the defaults' rules, each field overridden by the
// hop's own.
func mergeRules(def, own *fileRules) (*Rules, error) {
	if def == nil && own == nil {
		return nil, nil
	}
	var m fileRules
	for _, r := range []*fileRules{def, own} {
		if r == nil {
			continue
		}
		if r.Authority != "" {
			m.Authority = r.Authority
		}
		if r.JWKSURL != "" {
			m.JWKSURL = r.JWKSURL
		}
		if r.Issuer != nil {
			m.Issuer = r.Issuer
		}
		if r.Tenant != nil {
			m.Tenant = r.Tenant
		}
		if r.Audience != nil {
			m.Audience = r.Audience
		}
		if r.Algs != nil {
			m.Algs = r.Algs
		}
		if r.Scopes != nil {
			m.Scopes = r.Scopes
		}
		if r.Typ != "" {
			m.Typ = r.Typ
		}
		if r.Require != nil {
			m.Require = r.Require
		}
		if r.Leeway != "" {
			m.Leeway = r.Leeway
		}
		if r.AllowNoExp != nil {
			m.AllowNoExp = r.AllowNoExp
		}
	}
	out := &Rules{
		Authority: m.Authority, JWKSURL: m.JWKSURL,
		Issuers: m.Issuer, Tenants: m.Tenant, Audiences: m.Audience,
		Algs: splitAll(m.Algs), Scopes: splitAll(m.Scopes), Typ: m.Typ,
		AllowNoExp: m.AllowNoExp != nil && *m.AllowNoExp,
	}
	for _, s := range m.Require {
		req, err := verify.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("rules: require: %w", err)
		}
		out.Require = append(out.Require, req)
	}
	if m.Leeway != "" {
		d, err := time.ParseDuration(m.Leeway)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("rules: leeway %q: want a duration such as 30s", m.Leeway)
		}
		out.Leeway = d
	}
	return out, nil
}

// splitAll splits each value at commas and spaces: "a b,c" is three.
func splitAll(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

// expandHop replaces ${NAME} in the hop's URL, header values and rules.
// Only the braced form is expanded, so a lone $ stays as it is; a variable
// that is not set is an error, not an empty string.
func expandHop(h *Hop, getenv func(string) (string, bool)) error {
	var missing []string
	expand := func(s string) string {
		if !strings.Contains(s, "${") {
			return s
		}
		var b strings.Builder
		for {
			i := strings.Index(s, "${")
			if i < 0 {
				break
			}
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				break
			}
			name := s[i+2 : i+j]
			v, ok := "", false
			if getenv != nil && name != "" {
				v, ok = getenv(name)
			}
			if !ok {
				missing = append(missing, name)
			}
			b.WriteString(s[:i])
			b.WriteString(v)
			s = s[i+j+1:]
		}
		b.WriteString(s)
		return b.String()
	}
	list := func(l []string) {
		for i := range l {
			l[i] = expand(l[i])
		}
	}
	h.URL = expand(h.URL)
	for _, values := range h.Header {
		list(values)
	}
	if r := h.Rules; r != nil {
		r.Authority, r.JWKSURL = expand(r.Authority), expand(r.JWKSURL)
		r.Typ = expand(r.Typ)
		list(r.Issuers)
		list(r.Tenants)
		list(r.Audiences)
		list(r.Algs)
		list(r.Scopes)
		for i := range r.Require {
			r.Require[i].Value = expand(r.Require[i].Value)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("${%s} is not set in the environment", missing[0])
	}
	return nil
}

// noAliases refuses YAML anchors and aliases before decoding: the decoder
// expands them, and a few hundred bytes of nested aliases expand to
// gigabytes ("billion laughs"). defaults: covers what they are for.
func noAliases(data []byte) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return errors.New(yaml.FormatError(err, false, true))
	}
	var found error
	for _, doc := range f.Docs {
		ast.Walk(visitFunc(func(n ast.Node) bool {
			if found != nil {
				return false
			}
			switch n.(type) {
			case *ast.AliasNode, *ast.AnchorNode:
				found = positioned(n, "anchors and aliases (&name, *name) are not allowed in a chain file: put what hops share under defaults:")
				return false
			}
			return true
		}), doc)
	}
	return found
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}
