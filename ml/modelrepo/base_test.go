package modelrepo_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/internal/mltest"
	"quarry/ml/modelrepo"
	"quarry/modelcards"
)

func TestBaseModelFiles(t *testing.T) {
	dir := mltest.BackboneDir(t)
	bases := modelrepo.BaseModels()
	if len(bases) == 0 || bases[0].ID() != "quarry/mobilenet-v2-140-224" {
		t.Fatalf("base models %+v", bases)
	}
	files, err := bases[0].Files(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ModelType string `json:"model_type"`
		Quarry    struct {
			FeatureOutput string `json:"feature_output"`
			FeatureDim    int    `json:"feature_dim"`
		} `json:"quarry"`
	}
	if err := json.Unmarshal(files[modelrepo.ConfigFile], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ModelType != "mobilenet_v2" || cfg.Quarry.FeatureOutput != "features" || cfg.Quarry.FeatureDim != 1792 {
		t.Fatalf("config %+v", cfg)
	}
	if len(files[modelrepo.ModelFile]) < 10<<20 {
		t.Fatalf("model.onnx is only %d bytes", len(files[modelrepo.ModelFile]))
	}
	readme := files[modelrepo.ReadmeFile]
	if w, err := modelcards.Validate(readme, "model"); err != nil || len(w) > 0 {
		t.Fatalf("card: %v %v", err, w)
	}
	card, err := modelcards.Parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	if card.PipelineTag() != "image-feature-extraction" || card.LibraryName() != "onnx" ||
		!cmp.Equal(card.Licenses(), []string{"apache-2.0", "mit"}) ||
		!cmp.Equal(card.Tags(), []string{"onnx", "mobilenet_v2", "image-feature-extraction", "quarry-base"}) {
		t.Fatalf("card data %v", card.Data)
	}
	for _, want := range []string{"nsfwjs@4.4.0", "dist/models/mobilenet_v2_mid", "1792", "content-rating head",
		"1.3e-5", "TestMatchesTFJS", "Apache-2.0", "MIT", "dequantized"} {
		if !strings.Contains(card.Body, want) {
			t.Fatalf("card body lacks %q", want)
		}
	}
}

func TestBaseModelMissing(t *testing.T) {
	models := t.TempDir()
	_, err := modelrepo.BaseModels()[0].Files(models)
	if !errors.Is(err, modelrepo.ErrBaseMissing) {
		t.Fatalf("err = %v, want ErrBaseMissing", err)
	}
	want := "base model not found at " + filepath.Join(models, "mobilenet-v2-140-224") + ": run make setup"
	if err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
}
