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

// fileRules are a hop's rules as the file gives them. A nil field is a
// key the file does not give; an empty string or list is one it gives
// empty.
type fileRules struct {
	Authority  *string    `yaml:"authority"`
	JWKSURL    *string    `yaml:"jwks_url"`
	Issuer     stringList `yaml:"issuer"`
	Tenant     stringList `yaml:"tenant"`
	Audience   stringList `yaml:"audience"`
	Algs       stringList `yaml:"algs"`
	Scopes     stringList `yaml:"scopes"`
	Typ        *string    `yaml:"typ"`
	Require    stringList `yaml:"require"`
	Leeway     *string    `yaml:"leeway"`
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
	if len(data) > MaxFileBytes {
		return nil, &FileError{path, fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	// The shape first: the parser's cost grows with the square of the
	// nesting depth (see prescan).
	longLines, err := prescan(data)
	if err != nil {
		return nil, &FileError{path, err.Error()}
	}
	// The parser's error printer quotes the lines around an error, and is
	// slow on long ones: then only the position is given.
	withSource := !longLines
	tree, err := noAliases(data, withSource)
	if err != nil {
		return nil, &FileError{path, err.Error()}
	}
	var fc fileChain
	if err := yaml.UnmarshalWithOptions(data, &fc, yaml.DisallowUnknownField()); err != nil {
		return nil, &FileError{path, yaml.FormatError(err, false, withSource)}
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
		x := &expander{getenv: getenv}
		h, err := fh.hop(dir, &fc)
		if err == nil {
			expandHop(&h, x)
			h.Rules, err = fileHopRules(&fc, i, x, tree)
		}
		if err == nil {
			err = x.err()
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

// fileHopRules gives hop i the defaults' rules, each key overridden by
// the hop's own, expands ${NAME} in them, refuses empty values, and turns
// them into Rules. Errors carry the position of the key at fault.
func fileHopRules(fc *fileChain, i int, x *expander, tree *ast.File) (*Rules, error) {
	def, own := fc.Defaults.Rules, fc.Hops[i].Rules
	if def == nil && own == nil {
		return nil, nil
	}
	var m fileRules
	// from names, for each key, the YAML path of the rules it came from.
	from := map[string]string{}
	for _, src := range []struct {
		r    *fileRules
		path string
	}{{def, "$.defaults.rules"}, {own, fmt.Sprintf("$.hops[%d].rules", i)}} {
		r := src.r
		if r == nil {
			continue
		}
		take := func(key string, given bool) bool {
			if given {
				from[key] = src.path
			}
			return given
		}
		if take("authority", r.Authority != nil) {
			m.Authority = r.Authority
		}
		if take("jwks_url", r.JWKSURL != nil) {
			m.JWKSURL = r.JWKSURL
		}
		if take("issuer", r.Issuer != nil) {
			m.Issuer = r.Issuer
		}
		if take("tenant", r.Tenant != nil) {
			m.Tenant = r.Tenant
		}
		if take("audience", r.Audience != nil) {
			m.Audience = r.Audience
		}
		if take("algs", r.Algs != nil) {
			m.Algs = r.Algs
		}
		if take("scopes", r.Scopes != nil) {
			m.Scopes = r.Scopes
		}
		if take("typ", r.Typ != nil) {
			m.Typ = r.Typ
		}
		if take("require", r.Require != nil) {
			m.Require = r.Require
		}
		if take("leeway", r.Leeway != nil) {
			m.Leeway = r.Leeway
		}
		if r.AllowNoExp != nil {
			m.AllowNoExp = r.AllowNoExp
		}
	}
	// ruleErr is an error about key (its element j, or -1 for the
	// key's value), at its position in the file; msg starts with the key.
	ruleErr := func(key string, j int, msg string) error {
		path := from[key] + "." + key
		where := "rules: "
		if strings.HasPrefix(path, "$.defaults.") {
			where = "defaults: rules: "
		}
		if n := nodeAt(tree, path); n != nil {
			if _, seq := n.(*ast.SequenceNode); seq && j >= 0 {
				if e := nodeAt(tree, fmt.Sprintf("%s[%d]", path, j)); e != nil {
					n = e
				}
			}
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				where = fmt.Sprintf("[%d:%d] %s", tk.Position.Line, tk.Position.Column, where)
			}
		}
		return errors.New(where + msg)
	}
	// empty is the message for a value that is empty once expanded.
	empty := func(raw string) string {
		msg := "an empty value would turn the rule off: give a value, or leave the key out"
		if strings.Contains(raw, "${") {
			msg = fmt.Sprintf("%q is empty in the environment: an empty value would turn the rule off", raw)
		}
		return msg
	}
	one := func(key string, p *string) (string, error) {
		if p == nil {
			return "", nil
		}
		v := x.expand(*p)
		if err := x.err(); err != nil {
			return "", err
		}
		if strings.TrimSpace(v) == "" {
			return "", ruleErr(key, -1, key+": "+empty(*p))
		}
		return v, nil
	}
	list := func(key string, l stringList, split bool) ([]string, error) {
		var out []string
		for j, raw := range l {
			v := x.expand(raw)
			if err := x.err(); err != nil {
				return nil, err
			}
			values := []string{v}
			if split {
				// "a b,c" is three values.
				values = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
			}
			if strings.TrimSpace(v) == "" || len(values) == 0 {
				return nil, ruleErr(key, j, key+": "+empty(raw))
			}
			out = append(out, values...)
		}
		return out, nil
	}
	out := &Rules{AllowNoExp: m.AllowNoExp != nil && *m.AllowNoExp}
	var err error
	if out.Authority, err = one("authority", m.Authority); err != nil {
		return nil, err
	}
	if out.JWKSURL, err = one("jwks_url", m.JWKSURL); err != nil {
		return nil, err
	}
	if out.Typ, err = one("typ", m.Typ); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		key   string
		list  stringList
		split bool
		into  *[]string
	}{
		{"issuer", m.Issuer, false, &out.Issuers},
		{"tenant", m.Tenant, false, &out.Tenants},
		{"audience", m.Audience, false, &out.Audiences},
		{"algs", m.Algs, true, &out.Algs},
		{"scopes", m.Scopes, true, &out.Scopes},
	} {
		if *l.into, err = list(l.key, l.list, l.split); err != nil {
			return nil, err
		}
	}
	for j, s := range m.Require {
		req, err := verify.ParseRequirement(s)
		if err != nil {
			return nil, ruleErr("require", j, "require: "+err.Error())
		}
		req.Value = x.expand(req.Value)
		out.Require = append(out.Require, req)
	}
	if m.Leeway != nil {
		d, err := time.ParseDuration(*m.Leeway)
		if err != nil || d < 0 {
			return nil, ruleErr("leeway", -1, fmt.Sprintf("leeway %q: want a duration such as 30s", *m.Leeway))
		}
		out.Leeway = d
	}
	return out, nil
}

// nodeAt is the node at a YAML path such as $.hops[0].rules.algs, or nil.
func nodeAt(tree *ast.File, path string) ast.Node {
	if tree == nil {
		return nil
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(tree)
	if err != nil {
		return nil
	}
	return n
}

// expander replaces ${NAME} with the environment variable NAME. Only the
// braced form is expanded, so a lone $ stays as it is; a variable that is
// not set is an error, not an empty string.
type expander struct {
	getenv  func(string) (string, bool)
	missing []string
}

func (x *expander) expand(s string) string {
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
		if x.getenv != nil && name != "" {
			v, ok = x.getenv(name)
		}
		if !ok {
			x.missing = append(x.missing, name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// err reports the first variable that was not set.
func (x *expander) err() error {
	if len(x.missing) > 0 {
		return fmt.Errorf("${%s} is not set in the environment", x.missing[0])
	}
	return nil
}

// expandHop expands ${NAME} in the hop's URL and header values.
func expandHop(h *Hop, x *expander) {
	h.URL = x.expand(h.URL)
	for _, values := range h.Header {
		for i := range values {
			values[i] = x.expand(values[i])
		}
	}
}

// noAliases refuses YAML anchors and aliases before decoding: the decoder
// expands them, and a few hundred bytes of nested aliases expand to
// gigabytes ("billion laughs"). defaults: covers what they are for.
func noAliases(data []byte, withSource bool) (*ast.File, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, errors.New(yaml.FormatError(err, false, withSource))
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
	return f, found
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}
