package modelcards

import "strconv"

// WidgetExample is one entry of a card's widget list (image widgets use
// src; example_title is the caption).
type WidgetExample struct {
	Src   string
	Title string
}

func (c *Card) get(key string) any {
	if c == nil || c.Data == nil {
		return nil
	}
	return c.Data[key]
}

// str returns the value of key when it is a string.
func (c *Card) str(key string) string {
	s, _ := c.get(key).(string)
	return s
}

// PipelineTag returns the card's pipeline_tag, e.g. "image-classification".
func (c *Card) PipelineTag() string { return c.str("pipeline_tag") }

// LibraryName returns the card's library_name, e.g. "transformers".
func (c *Card) LibraryName() string { return c.str("library_name") }

// License returns the card's license id. When license is a list (allowed
// on the Hub) it returns the first entry.
func (c *Card) License() string {
	if l := stringList(c.get("license")); len(l) > 0 {
		return l[0]
	}
	return ""
}

// Licenses returns every license id of the card (license may be a string or
// a list).
func (c *Card) Licenses() []string { return stringList(c.get("license")) }

// BaseModels returns base_model as a list (it may be a string or a list).
func (c *Card) BaseModels() []string { return stringList(c.get("base_model")) }

// BaseModelRelation returns base_model_relation (adapter, merge, quantized
// or finetune) or "" when unset.
func (c *Card) BaseModelRelation() string { return c.str("base_model_relation") }

// Datasets returns the datasets list (string or list in the card).
func (c *Card) Datasets() []string { return stringList(c.get("datasets")) }

// Tags returns the card's own tags (string or list in the card).
func (c *Card) Tags() []string { return stringList(c.get("tags")) }

// Languages returns the language list (string or list in the card).
func (c *Card) Languages() []string { return stringList(c.get("language")) }

// Models returns a space card's models list (string or list in the card).
func (c *Card) Models() []string { return stringList(c.get("models")) }

// Widget returns the widget entries that have a src (image widgets), with
// their example_title.
func (c *Card) Widget() []WidgetExample {
	list, _ := c.get("widget").([]any)
	var out []WidgetExample
	for _, item := range list {
		m, _ := item.(map[string]any)
		src, _ := m["src"].(string)
		if src == "" {
			continue
		}
		title, _ := m["example_title"].(string)
		out = append(out, WidgetExample{Src: src, Title: title})
	}
	return out
}

// stringList reads a value that may be a single scalar or a list of
// scalars. Numbers and booleans are formatted; nulls, nested values and
// empty strings are dropped.
func stringList(v any) []string {
	if items, ok := v.([]any); ok {
		out := make([]string, 0, len(items))
		for _, item := range items {
			if s, ok := scalarString(item); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalarString(v); ok && s != "" {
		return []string{s}
	}
	return nil
}

// scalarString formats a JSON-safe scalar; ok is false for nil, lists and
// mappings.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
