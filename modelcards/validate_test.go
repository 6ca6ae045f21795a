package modelcards

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name         string
		readme       string
		repoType     string
		wantWarnings []string
	}{
		{"no front matter", "# hello\n", "model", nil},
		{"clean model card", "---\nlicense: apache-2.0\ntags: [a]\nlanguage: en\nlibrary_name: timm\n---\n", "", nil},
		{"license list", "---\nlicense: [mit, cc-by-4.0]\n---\n", "dataset", nil},
		{"unknown license", "---\nlicense: gpl-2.0-or-later\n---\n", "model",
			[]string{`"license" "gpl-2.0-or-later" is not a license id known to the Hugging Face Hub; use "other" with license_name and license_link`}},
		{"other without name", "---\nlicense: other\n---\n", "model",
			[]string{`"license" is "other" but "license_name" is missing`}},
		{"other with name", "---\nlicense: other\nlicense_name: acme\nlicense_link: LICENSE\n---\n", "model", nil},
		{"number in list", "---\ntags: [a, 2024]\n---\n", "model", []string{`"tags[1]" should be a string, got 2024`}},
		{"number for string key", "---\nlibrary_name: 3\n---\n", "model", []string{`"library_name" should be a string, got 3`}},
		{"bool for list key", "---\ntags: true\n---\n", "model", []string{`"tags" should be a string or a list of strings, got true`}},
		{"bad relation", "---\nbase_model: a/b\nbase_model_relation: distilled\n---\n", "model",
			[]string{`"base_model_relation" must be one of [adapter, merge, quantized, finetune], got "distilled"`}},
		{"bad sdk on a space", "---\nsdk: flask\n---\n", "space", []string{`"sdk" must be one of [gradio, streamlit, docker, static], got "flask"`}},
		{"sdk ignored on a model", "---\nsdk: flask\n---\n", "model", nil},
		{"valid model-index", validModelIndex, "model", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate([]byte(tt.readme), tt.repoType)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if diff := cmp.Diff(tt.wantWarnings, got); diff != "" {
				t.Fatalf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name       string
		readme     string
		repoType   string
		wantSyntax bool
		wantField  string
	}{
		{"broken YAML", "---\ntags: [a\n---\n", "model", true, ""},
		{"not a mapping", "---\n- a\n---\n", "model", true, ""},
		{"tags mapping", "---\ntags: {a: 1}\n---\n", "model", false, "tags"},
		{"nested list in tags", "---\ntags: [a, [b]]\n---\n", "model", false, "tags[1]"},
		{"null in tags", "---\ntags: [a, null]\n---\n", "model", false, "tags[1]"},
		{"license mapping", "---\nlicense: {id: mit}\n---\n", "model", false, "license"},
		{"pipeline_tag list", "---\npipeline_tag: [a]\n---\n", "model", false, "pipeline_tag"},
		{"widget not a list", "---\nwidget: {src: x}\n---\n", "model", false, "widget"},
		{"widget entry not a mapping", "---\nwidget: [x]\n---\n", "model", false, "widget[0]"},
		{"model-index missing metric value", "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: t}\n    dataset: {type: d, name: n}\n    metrics: [{type: acc}]\n---\n",
			"model", false, "model-index[0].results[0].metrics[0].value"},
		{"unknown repo type", "# x\n", "bucket", false, "repoType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := Validate([]byte(tt.readme), tt.repoType)
			if warnings != nil {
				t.Errorf("warnings = %v, want nil alongside an error", warnings)
			}
			var se *SyntaxError
			var ve *ValidationError
			switch {
			case tt.wantSyntax:
				if !errors.As(err, &se) {
					t.Fatalf("Validate error = %v, want *SyntaxError", err)
				}
			case !errors.As(err, &ve):
				t.Fatalf("Validate error = %v, want *ValidationError", err)
			case ve.Field != tt.wantField:
				t.Fatalf("Field = %q, want %q", ve.Field, tt.wantField)
			case !strings.Contains(err.Error(), tt.wantField):
				t.Fatalf("Error() = %q does not name %q", err, tt.wantField)
			}
		})
	}
}
