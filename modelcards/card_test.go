package modelcards

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		readme   string
		wantData map[string]any
		wantBody string
	}{
		{"no front matter", "# Title\n\ntext\n", map[string]any{}, "# Title\n\ntext\n"},
		{"empty input", "", map[string]any{}, ""},
		{"simple", "---\nlicense: mit\n---\n# Hi\n", map[string]any{"license": "mit"}, "# Hi\n"},
		{"CRLF", "---\r\nlicense: mit\r\ntags:\r\n- a\r\n---\r\nbody\r\n",
			map[string]any{"license": "mit", "tags": []any{"a"}}, "body\r\n"},
		{"BOM", "\ufeff---\nlicense: mit\n---\nbody", map[string]any{"license": "mit"}, "body"},
		{"leading blank lines", "\n \n---\nlicense: mit\n---\nbody", map[string]any{"license": "mit"}, "body"},
		{"empty front matter", "---\n---\nbody\n", map[string]any{}, "body\n"},
		{"blank front matter", "---\n\n---\nbody\n", map[string]any{}, "body\n"},
		{"comments only", "---\n# nothing\n---\nbody\n", map[string]any{}, "body\n"},
		{"closing at EOF", "---\nlicense: mit\n---", map[string]any{"license": "mit"}, ""},
		{"unclosed is body", "---\nlicense: mit\n", map[string]any{}, "---\nlicense: mit\n"},
		{"text before is body", "intro\n---\nlicense: mit\n---\n", map[string]any{}, "intro\n---\nlicense: mit\n---\n"},
		{"indented dashes do not close", "---\na: |\n  ---\n  x\n---\nb", map[string]any{"a": "---\nx\n"}, "b"},
		{"dashes with suffix do not close", "---\na: 1\n----\n---\nb", nil, ""},
		{"second block stays in body", "---\na: 1\n---\n---\nb: 2\n---\n", map[string]any{"a": int64(1)}, "---\nb: 2\n---\n"},
		{"scalars", "---\ni: 3\nf: 0.5\nwhole: 1.0\nb: true\nn: null\ns: 'x'\nyes: yes\nno: no\n---\n",
			map[string]any{"i": int64(3), "f": 0.5, "whole": 1.0, "b": true, "n": nil, "s": "x", "yes": "yes", "no": "no"}, ""},
		{"dates keep their text", "---\nd: 2024-05-01\nt: 2024-05-01T12:00:00Z\n---\n",
			map[string]any{"d": "2024-05-01", "t": "2024-05-01T12:00:00Z"}, ""},
		{"not JSON numbers keep their text", "---\nn: .nan\ninf: -.inf\nbig: 18446744073709551615\n---\n",
			map[string]any{"n": ".nan", "inf": "-.inf", "big": "18446744073709551615"}, ""},
		{"non-string keys become strings", "---\n1: a\ntrue: b\n---\n", map[string]any{"1": "a", "true": "b"}, ""},
		{"anchors and merge keys", "---\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nl: *b\n---\n",
			map[string]any{
				"base": map[string]any{"x": int64(1), "y": int64(2)},
				"m":    map[string]any{"x": int64(1), "y": int64(3)},
				"l":    map[string]any{"x": int64(1), "y": int64(2)},
			}, ""},
		{"nested model-index", "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: image-classification}\n    metrics:\n    - {type: accuracy, value: 0.9}\n---\n",
			map[string]any{"model-index": []any{map[string]any{
				"name": "m",
				"results": []any{map[string]any{
					"task":    map[string]any{"type": "image-classification"},
					"metrics": []any{map[string]any{"type": "accuracy", "value": 0.9}},
				}},
			}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, err := Parse([]byte(tt.readme))
			if tt.wantData == nil {
				if err == nil {
					t.Fatalf("Parse succeeded with %#v, want an error", card.Data)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.wantData, card.Data); diff != "" {
				t.Fatalf("Data mismatch (-want +got):\n%s", diff)
			}
			if got, want := card.Body, tt.wantBody; got != want {
				t.Fatalf("Body = %q, want %q", got, want)
			}
		})
	}
}

func TestParseSyntaxError(t *testing.T) {
	tests := []struct {
		name     string
		readme   string
		wantLine int
		wantMsg  string
	}{
		{"bad indentation", "---\nlicense: mit\n  bad: x\n---\n", 3, "mapping values are not allowed"},
		{"unclosed flow list", "\n---\nlicense: mit\ntags: [a, b\nfoo: bar\n---\nbody", 4, "did not find expected ',' or ']'"},
		{"tab indentation", "---\n\tfoo: 1\n---\n", 2, "cannot start any token"},
		{"offset by leading lines", "\n\n---\nok: 1\nfoo: bar: baz\n---\n", 5, "mapping values are not allowed"},
		{"CRLF lines", "---\r\nok: 1\r\nfoo: bar: baz\r\n---\r\n", 3, "mapping values are not allowed"},
		{"duplicate key", "---\na: 1\nb: 2\na: 3\n---\n", 4, `mapping key "a" already defined at line 2`},
		{"list front matter", "---\n- a\n- b\n---\n", 2, "must be a YAML mapping, got a list"},
		{"scalar front matter", "---\n\njust text\n---\n", 3, "must be a YAML mapping, got a scalar"},
		{"self-referencing anchor", "---\nx: &a [1, *a]\n---\n", 2, `anchor "a" is used inside itself`},
		{"unknown anchor", "---\nx: *nope\n---\n", 2, "unknown anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.readme))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v, want *SyntaxError", err)
			}
			if got, want := se.Line, tt.wantLine; got != want {
				t.Errorf("Line = %d, want %d (%v)", got, want, se)
			}
			if !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("Msg = %q, want it to contain %q", se.Msg, tt.wantMsg)
			}
			if !strings.Contains(se.Error(), "line ") || !strings.Contains(se.Error(), "README.md") {
				t.Errorf("Error() = %q lacks README.md and line", se.Error())
			}
		})
	}
}

func TestParseExcessiveAliasing(t *testing.T) {
	var b strings.Builder
	b.WriteString("---\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		b.WriteString(strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	b.WriteString("---\n")
	_, err := Parse([]byte(b.String()))
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "excessive aliasing") {
		t.Fatalf("Parse error = %v, want excessive aliasing", err)
	}
}

func TestAccessors(t *testing.T) {
	card, err := Parse([]byte(`---
pipeline_tag: image-classification
library_name: transformers
license: [apache-2.0, mit]
base_model: org/base
datasets: org/data
tags: [a, 2024, null, "", {x: 1}]
language: en
models: [org/m1, org/m2]
widget:
- src: https://example.com/a.jpg
  example_title: A
- text: no src here
- src: https://example.com/b.jpg
---
`))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"PipelineTag", card.PipelineTag(), "image-classification"},
		{"LibraryName", card.LibraryName(), "transformers"},
		{"License", card.License(), "apache-2.0"},
		{"Licenses", card.Licenses(), []string{"apache-2.0", "mit"}},
		{"BaseModels", card.BaseModels(), []string{"org/base"}},
		{"Datasets", card.Datasets(), []string{"org/data"}},
		{"Tags", card.Tags(), []string{"a", "2024"}},
		{"Languages", card.Languages(), []string{"en"}},
		{"Models", card.Models(), []string{"org/m1", "org/m2"}},
		{"Widget", card.Widget(), []WidgetExample{{Src: "https://example.com/a.jpg", Title: "A"}, {Src: "https://example.com/b.jpg"}}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", c.name, diff)
		}
	}
	var nilCard *Card
	if got := nilCard.Tags(); got != nil {
		t.Errorf("nil card Tags() = %v, want nil", got)
	}
}
