package modelcards

import (
	"fmt"
	"math"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the work done expanding aliases ("billion laughs").
const maxNodes = 1 << 18

// converter turns a yaml.Node tree into JSON-safe Go values.
type converter struct {
	lineOffset int // README line of YAML line 0
	visiting   map[*yaml.Node]bool
	count      int
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) error {
	return &SyntaxError{Line: c.lineOffset + n.Line, Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) value(n *yaml.Node) (any, error) {
	c.count++
	if c.count > maxNodes {
		return nil, c.errorf(n, "document contains excessive aliasing")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		return c.alias(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.errorf(n, "unsupported YAML node")
}

func (c *converter) alias(n *yaml.Node) (any, error) {
	if n.Alias == nil {
		return nil, c.errorf(n, "unknown anchor %q referenced", n.Value)
	}
	if c.visiting[n.Alias] {
		return nil, c.errorf(n, "anchor %q is used inside itself", n.Value)
	}
	c.visiting[n.Alias] = true
	defer delete(c.visiting, n.Alias)
	return c.value(n.Alias)
}

// mapping converts a mapping. Keys become strings (their scalar text);
// merge keys ("<<") are honoured and explicit keys win over merged ones;
// a key defined twice is an error, as in yaml.v3 and js-yaml.
func (c *converter) mapping(n *yaml.Node) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, vn := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return nil, err
		}
		if line, dup := seen[key]; dup {
			return nil, c.errorf(k, "mapping key %q already defined at line %d", key, c.lineOffset+line)
		}
		seen[key] = k.Line
		v, err := c.value(vn)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	for _, m := range merges {
		if err := c.merge(out, seen, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge copies the keys of a "<<" value (a mapping or a list of mappings)
// into out without overriding explicit keys.
func (c *converter) merge(out map[string]any, explicit map[string]int, n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, item := range items {
		v, err := c.value(item)
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return c.errorf(item, "map merge requires a mapping or a list of mappings")
		}
		for k, val := range m {
			if _, ok := explicit[k]; ok {
				continue
			}
			if _, ok := out[k]; !ok {
				out[k] = val
			}
		}
	}
	return nil
}

func (c *converter) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", c.errorf(k, "mapping keys must be scalars, got %s", kindName(k))
	}
	return k.Value, nil
}

// scalar resolves a scalar with yaml.v3's rules, then makes it JSON-safe:
// integers become int64, timestamps keep their text, and values that JSON
// cannot hold (NaN, infinities, integers beyond int64) keep their text too.
func (c *converter) scalar(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, c.errorf(n, "%v", err)
	}
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
		return n.Value, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return n.Value, nil
		}
		return x, nil
	case time.Time:
		return n.Value, nil
	}
	return n.Value, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "null"
	}
	return "a scalar"
}
