package modelcards

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenderRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		data map[string]any
		body string
	}{
		{"typical", map[string]any{
			"tags": []any{"autotrain", "image-classification"}, "base_model": "google/vit",
			"widget":   []any{map[string]any{"src": "https://x/a.jpg", "example_title": "A"}},
			"datasets": []any{"a/b"}, "license": "mit",
		}, "\n# Model\n"},
		{"tricky scalars", map[string]any{
			"language": []any{"no", "yes", "on"}, "date": "2024-05-01", "num_string": "1.5",
			"whole": 1.0, "int": int64(7), "neg": -0.25, "big": 1e21, "null": nil, "bool": false,
			"empty": "", "colon": "a: b", "hash": "# not a comment", "multi": "line one\nline two\n",
			"unicode": "🛰️ tiles", "dashes": "---",
		}, "body"},
		{"nested model-index", map[string]any{"model-index": []any{map[string]any{
			"name": "m",
			"results": []any{map[string]any{
				"task":    map[string]any{"type": "image-classification"},
				"dataset": map[string]any{"type": "d", "name": "n"},
				"metrics": []any{map[string]any{"type": "accuracy", "value": 1.0, "verified": false}},
			}},
		}}}, ""},
		{"empty data", map[string]any{}, "# just a body\n"},
		{"empty data with front-matter-like body", map[string]any{}, "---\na: 1\n---\nrest"},
		{"empty lists and maps", map[string]any{"tags": []any{}, "co2_eq_emissions": map[string]any{}}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render(tt.data, tt.body)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			card, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Render()): %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.data, card.Data); diff != "" {
				t.Fatalf("Data mismatch (-want +got):\n%s\nrendered:\n%s", diff, out)
			}
			if got, want := card.Body, tt.body; got != want {
				t.Fatalf("Body = %q, want %q", got, want)
			}
		})
	}
}

func TestRenderKeyOrder(t *testing.T) {
	out, err := Render(map[string]any{
		"zeta": 1.5, "model-index": []any{}, "alpha": "a", "pipeline_tag": "image-classification",
		"license": "mit", "language": "en", "widget": []any{}, "tags": []any{"t"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, line := range strings.Split(string(out), "\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			keys = append(keys, k)
		}
	}
	want := []string{"language", "license", "tags", "pipeline_tag", "widget", "model-index", "alpha", "zeta"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("key order mismatch (-want +got):\n%s\n%s", diff, out)
	}
	if !strings.HasPrefix(string(out), "---\n") || !strings.HasSuffix(string(out), "---\n") {
		t.Fatalf("Render output not delimited:\n%s", out)
	}
}

func TestRenderGoTypes(t *testing.T) {
	out, err := Render(map[string]any{"tags": []string{"a", "b"}, "n": 3}, "")
	if err != nil {
		t.Fatal(err)
	}
	card, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tags": []any{"a", "b"}, "n": int64(3)}
	if diff := cmp.Diff(want, card.Data); diff != "" {
		t.Fatalf("Data mismatch (-want +got):\n%s", diff)
	}
}
