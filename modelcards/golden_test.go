package modelcards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// goldenSummary is everything the package derives from one card.
type goldenSummary struct {
	CardData    map[string]any  `json:"cardData"`
	Body        string          `json:"body"`
	Tags        []string        `json:"tags"`
	Widget      []WidgetExample `json:"widget"`
	EvalResults []EvalResult    `json:"evalResults"`
	Warnings    []string        `json:"warnings"`
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name     string
		repoType string
		files    []string
	}{
		{"autotrain_image_classification", "model", []string{".gitattributes", "README.md", "config.json",
			"model.safetensors", "onnx/model.onnx", "preprocessor_config.json", "training_params.json"}},
		{"autotrain_legacy", "model", []string{"README.md", "config.json", "pytorch_model.bin"}},
		{"model_index", "model", []string{"README.md", "config.json", "model.safetensors",
			"runs/May01/events.out.tfevents.1714550000.host.1.0"}},
		{"space", "space", []string{"README.md", "app.py", "requirements.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join("testdata", tt.name+".md"))
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(t, readme, tt.repoType, tt.files)
			checkGolden(t, filepath.Join("testdata", tt.name+".golden.json"), got)

			card, _ := Parse(readme)
			rendered, err := Render(card.Data, card.Body)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", tt.name+".rendered.md"), rendered)
		})
	}
}

func summarize(t *testing.T, readme []byte, repoType string, files []string) []byte {
	t.Helper()
	card, err := Parse(readme)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	evals, err := card.EvalResults()
	if err != nil {
		t.Fatalf("EvalResults: %v", err)
	}
	warnings, err := Validate(readme, repoType)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	out, err := json.MarshalIndent(goldenSummary{
		CardData: card.Data, Body: card.Body, Tags: DeriveTags(card, files),
		Widget: card.Widget(), EvalResults: evals, Warnings: warnings,
	}, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(out, '\n')
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden file:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
