package modelcards

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// leadingKeys are written first, in this order; other keys follow sorted.
var leadingKeys = []string{"language", "license", "library_name", "tags", "datasets",
	"base_model", "pipeline_tag", "widget", "model-index"}

// Render writes a card: "---\n", the YAML of data, "---\n", then body.
// Top-level keys come in a stable order (the common keys first, then the
// rest sorted), nested mapping keys are sorted, and floats keep a decimal
// point, so Parse(Render(data, body)) gives back data and body. With empty
// data only the body is written (unless the body itself starts with a
// front matter block, in which case an empty "{}" front matter guards it).
func Render(data map[string]any, body string) ([]byte, error) {
	if len(data) == 0 {
		if splitFrontMatter([]byte(body)).found {
			return []byte("---\n{}\n---\n" + body), nil
		}
		return []byte(body), nil
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range orderedKeys(data) {
		kn, err := toNode(k)
		if err != nil {
			return nil, fmt.Errorf("render card key %q: %w", k, err)
		}
		v, err := toNode(data[k])
		if err != nil {
			return nil, fmt.Errorf("render card key %q: %w", k, err)
		}
		root.Content = append(root.Content, kn, v)
	}
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("render card: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render card: %w", err)
	}
	buf.WriteString("---\n")
	buf.WriteString(body)
	return buf.Bytes(), nil
}

// orderedKeys returns the leading keys present in data, then the others
// sorted.
func orderedKeys(data map[string]any) []string {
	keys := make([]string, 0, len(data))
	for _, k := range leadingKeys {
		if _, ok := data[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range data {
		if !slices.Contains(leadingKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// toNode converts a value to a YAML node. JSON-safe values are handled
// directly (sorted mapping keys, floats that stay floats); anything else
// goes through yaml.v3's encoder.
func toNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case float64:
		return floatNode(x)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range x {
			c, err := toNode(item)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case map[string]any:
		return mapNode(x)
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// mapNode writes a mapping with sorted keys.
func mapNode(m map[string]any) (*yaml.Node, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		kn, err := toNode(k)
		if err != nil {
			return nil, err
		}
		c, err := toNode(m[k])
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, kn, c)
	}
	return n, nil
}

// floatNode writes a float so that it parses back as a float (1 -> 1.0).
func floatNode(f float64) (*yaml.Node, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		n := &yaml.Node{}
		return n, n.Encode(f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}, nil
}
