package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// The YAML decoding is goccy/go-yaml's node form (the chain file's
// parser), so that a value of the wrong shape is reported at its line and
// column.

// UnmarshalYAML declares the value; null declares nothing.
func (o *Opt[T]) UnmarshalYAML(node ast.Node) error {
	if node.Type() == ast.NullType {
		*o = Opt[T]{}
		return nil
	}
	var v T
	if err := yaml.NodeToValue(node, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}

// MarshalYAML writes the value.
func (o Opt[T]) MarshalYAML() (any, error) { return o.Value, nil }

// UnmarshalJSON declares the value; null declares nothing.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = Opt[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}

// MarshalJSON writes the value (omitzero leaves out one not declared).
func (o Opt[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

// UnmarshalYAML takes a string or a list of strings.
func (l *Strings) UnmarshalYAML(node ast.Node) error {
	var one string
	if err := yaml.NodeToValue(node, &one); err == nil && node.Type() != ast.SequenceType {
		*l = Strings{one}
		return nil
	}
	var many []string
	if err := yaml.NodeToValue(node, &many); err != nil {
		return positioned(node, "want a string or a list of strings, not "+textsafe.Cut(node.String(), 40))
	}
	if many == nil {
		many = Strings{}
	}
	*l = many
	return nil
}

// UnmarshalJSON takes a string or a list of strings.
func (l *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	if many == nil {
		many = Strings{}
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
