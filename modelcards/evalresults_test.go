package modelcards

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validModelIndex = `---
model-index:
- name: my-model
  results:
  - task: {type: image-classification, name: Image Classification}
    dataset: {type: acme/tiles, name: Tiles, config: default, split: test, revision: abc}
    metrics:
    - {type: accuracy, value: 0.95, name: Accuracy, verified: true}
    - {type: f1, value: 0.9, config: macro}
    source: {name: Leaderboard, url: https://example.com}
  - task: {type: image-classification}
    dataset: {type: other, name: Other}
    metrics:
    - {type: loss, value: "n/a"}
---
`

func TestEvalResults(t *testing.T) {
	card, err := Parse([]byte(validModelIndex))
	if err != nil {
		t.Fatal(err)
	}
	got, err := card.EvalResults()
	if err != nil {
		t.Fatalf("EvalResults: %v", err)
	}
	first := EvalResult{ModelName: "my-model", TaskType: "image-classification", TaskName: "Image Classification",
		DatasetType: "acme/tiles", DatasetName: "Tiles", DatasetConfig: "default", DatasetSplit: "test",
		DatasetRevision: "abc", SourceName: "Leaderboard", SourceURL: "https://example.com"}
	acc, f1 := first, first
	acc.MetricType, acc.MetricValue, acc.MetricName, acc.Verified = "accuracy", 0.95, "Accuracy", true
	f1.MetricType, f1.MetricValue, f1.MetricConfig = "f1", 0.9, "macro"
	loss := EvalResult{ModelName: "my-model", TaskType: "image-classification", DatasetType: "other",
		DatasetName: "Other", MetricType: "loss", MetricValue: "n/a"}
	if diff := cmp.Diff([]EvalResult{acc, f1, loss}, got); diff != "" {
		t.Fatalf("EvalResults mismatch (-want +got):\n%s", diff)
	}
	if card.ModelIndex() == nil {
		t.Fatal("ModelIndex() = nil")
	}
}

func TestEvalResultsNone(t *testing.T) {
	card, err := Parse([]byte("---\nlicense: mit\n---\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := card.EvalResults()
	if got != nil || err != nil {
		t.Fatalf("EvalResults() = %v, %v; want nil, nil", got, err)
	}
}

func TestEvalResultsInvalid(t *testing.T) {
	tests := []struct {
		name      string
		from, to  string // edit applied to validModelIndex
		wantField string
		wantMsg   string
	}{
		{"not a list", "model-index:\n- name: my-model", "model-index:\n  name: my-model\nx:\n- name: y", "model-index", "must be a list"},
		{"missing name", "- name: my-model\n", "- nom: my-model\n", "model-index[0].name", "is required"},
		{"missing results", "  results:\n", "  resultz:\n", "model-index[0].results", "is required"},
		{"missing task", "  - task: {type: image-classification, name: Image Classification}", "  - tsk: {}", "model-index[0].results[0].task", "is required"},
		{"missing task.type", "{type: image-classification, name: Image Classification}", "{name: Image Classification}", "model-index[0].results[0].task.type", "is required"},
		{"missing dataset.type", "{type: acme/tiles, name: Tiles,", "{name: Tiles,", "model-index[0].results[0].dataset.type", "is required"},
		{"missing dataset.name", "{type: other, name: Other}", "{type: other}", "model-index[0].results[1].dataset.name", "is required"},
		{"missing metrics", "    metrics:\n    - {type: loss", "    metricz:\n    - {type: loss", "model-index[0].results[1].metrics", "is required"},
		{"missing metric type", "{type: f1, value: 0.9", "{value: 0.9", "model-index[0].results[0].metrics[1].type", "is required"},
		{"missing metric value", "{type: loss, value: \"n/a\"}", "{type: loss}", "model-index[0].results[1].metrics[0].value", "is required"},
		{"null metric value", "value: 0.95", "value: null", "model-index[0].results[0].metrics[0].value", "is required"},
		{"source without url", "{name: Leaderboard, url: https://example.com}", "{name: Leaderboard}", "model-index[0].results[0].source.url", "is required"},
		{"task not an object", "  - task: {type: image-classification}\n", "  - task: image-classification\n", "model-index[0].results[1].task", "must be an object"},
		{"type not a string", "{type: acme/tiles,", "{type: [a],", "model-index[0].results[0].dataset.type", "must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readme := strings.Replace(validModelIndex, tt.from, tt.to, 1)
			if readme == validModelIndex {
				t.Fatalf("edit %q not applied", tt.from)
			}
			card, err := Parse([]byte(readme))
			if err != nil {
				t.Fatal(err)
			}
			_, err = card.EvalResults()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("EvalResults error = %v, want *ValidationError", err)
			}
			if got, want := ve.Field, tt.wantField; got != want {
				t.Errorf("Field = %q, want %q", got, want)
			}
			if got, want := ve.Msg, tt.wantMsg; got != want {
				t.Errorf("Msg = %q, want %q", got, want)
			}
			if !strings.Contains(ve.Error(), ve.Field) {
				t.Errorf("Error() = %q does not name the field", ve.Error())
			}
		})
	}
}
