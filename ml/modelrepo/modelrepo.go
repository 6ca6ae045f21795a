// Package modelrepo builds the files of published model repos in the layout
// that transformers.js 4.x and Quarry's own demo both load (DESIGN.md §4,
// spec/transformers-js-format.md): config.json, preprocessor_config.json,
// onnx/model.onnx and a README.md model card.
//
// Build makes an image classifier from a backbone directory (as written by
// ml/tfjs at set-up) and the weights of a linear head; BaseModel describes a
// base model that is published as it is (a frozen feature extractor).
package modelrepo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"quarry/ml/imageproc"
	"quarry/ml/onnxgraph"
)

// Paths of the files of a published model repo.
const (
	ConfigFile       = "config.json"
	PreprocessorFile = "preprocessor_config.json"
	ModelFile        = "onnx/model.onnx"
	ReadmeFile       = "README.md"
)

// DefaultFeatureOutput is the backbone output a head is attached to when
// neither Options nor the backbone's config.json name one.
const DefaultFeatureOutput = "features"

// Options describes the classifier Build publishes. Every field is optional.
type Options struct {
	// ModelID is the repo id ("ns/name") shown in the card.
	ModelID string
	// BaseModel is the repo id of the backbone ("quarry/mobilenet-v2-140-224").
	BaseModel string
	// FeatureOutput overrides the backbone output the head reads.
	FeatureOutput string
	// License is the card's license id (default: the base's, else "other").
	License string
	// Datasets are dataset repo ids the head was trained on.
	Datasets []string
	// Description is a paragraph placed under the card's title.
	Description string
	// PositiveLabel and Threshold go to config.json `quarry.positive_label`
	// and `quarry.threshold` (the demo's scan-mode defaults) when set.
	PositiveLabel string
	Threshold     float64
	// CardData is merged over the generated front matter (nil values delete keys).
	CardData map[string]any
	// Tags are added to the card's generated tags.
	Tags []string
	// Body is Markdown placed in the card after the description and the
	// head's summary (training data, metrics, figures...).
	Body string
}

// Build returns the files of an image-classification repo: the backbone in
// backboneDir (onnx/model.onnx, config.json, preprocessor_config.json) with
// a linear head appended (W is [len(labels)][featureDim], b [len(labels)];
// output `logits` holds raw scores W·f+b, transformers.js applies softmax),
// config.json with id2label/label2id, the backbone's preprocessor_config.json
// unchanged (so every client preprocesses the same way) and a README.md card.
// It is BuildClassifier with LinearHead(W, b).
func Build(backboneDir string, W [][]float32, b []float32, labels []string, opts Options) (map[string][]byte, error) {
	return BuildClassifier(backboneDir, LinearHead(W, b), labels, opts)
}

// BuildClassifier is Build for any head: the backbone with h appended as
// one ONNX graph (`pixel_values` in, raw `logits` out), config.json,
// preprocessor_config.json and README.md.
func BuildClassifier(backboneDir string, h Head, labels []string, opts Options) (map[string][]byte, error) {
	if h.append == nil {
		return nil, errors.New("modelrepo: build: no head")
	}
	if err := checkLabels(labels); err != nil {
		return nil, fmt.Errorf("modelrepo: build: %w", err)
	}
	bb, err := readBackbone(backboneDir)
	if err != nil {
		return nil, fmt.Errorf("modelrepo: build: %w", err)
	}
	feature := opts.FeatureOutput
	if feature == "" {
		feature = bb.featureOutput()
	}
	model, err := h.append(bb.model, feature, labels)
	if err != nil {
		return nil, fmt.Errorf("modelrepo: build: %w", err)
	}
	cfg, err := classifierConfig(bb.config, labels, h, opts)
	if err != nil {
		return nil, fmt.Errorf("modelrepo: build: %w", err)
	}
	readme, err := classifierCard(bb.config, labels, h, opts)
	if err != nil {
		return nil, fmt.Errorf("modelrepo: build: %w", err)
	}
	return map[string][]byte{
		ConfigFile:       cfg,
		PreprocessorFile: bb.preprocessor,
		ModelFile:        model,
		ReadmeFile:       readme,
	}, nil
}

// backbone is a model directory read from disk.
type backbone struct {
	config       map[string]any
	preprocessor []byte
	model        []byte
}

// featureOutput is config.json's quarry.feature_output, else the default.
func (b *backbone) featureOutput() string {
	if q, ok := b.config["quarry"].(map[string]any); ok {
		if s, ok := q["feature_output"].(string); ok && s != "" {
			return s
		}
	}
	return DefaultFeatureOutput
}

// readBackbone reads and checks the three files of a model directory.
func readBackbone(dir string) (*backbone, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("backbone: %w", err)
		}
		return b, nil
	}
	bb := &backbone{}
	cfg, err := read(ConfigFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(cfg, &bb.config); err != nil {
		return nil, fmt.Errorf("backbone: %s: %w", ConfigFile, err)
	}
	if bb.preprocessor, err = read(PreprocessorFile); err != nil {
		return nil, err
	}
	if err := CheckPreprocessor(bb.preprocessor); err != nil {
		return nil, fmt.Errorf("backbone: %w", err)
	}
	if bb.model, err = read(ModelFile); err != nil {
		return nil, err
	}
	return bb, nil
}

// CheckPreprocessor checks a preprocessor_config.json against what
// transformers.js 4.3.1 needs (spec/transformers-js-format.md): an
// image_processor_type, a {"height","width"} size (an integer or a missing
// size gives other input sizes, G2), and an explicit do_normalize (without
// it image_mean/image_std are silently ignored, G3).
func CheckPreprocessor(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%s: %w", PreprocessorFile, err)
	}
	if raw["image_processor_type"] == nil && raw["feature_extractor_type"] == nil {
		return fmt.Errorf("%s: no image_processor_type", PreprocessorFile)
	}
	if raw["do_normalize"] == nil {
		return fmt.Errorf("%s: do_normalize must be written explicitly", PreprocessorFile)
	}
	cfg, err := imageproc.ParseConfig(data)
	if err != nil {
		return err
	}
	if cfg.Size.Height <= 0 || cfg.Size.Width <= 0 {
		return fmt.Errorf("%s: size must be {\"height\": H, \"width\": W}", PreprocessorFile)
	}
	return nil
}

// checkLabels refuses empty, blank or duplicate labels (label2id would
// lose one).
func checkLabels(labels []string) error {
	if len(labels) == 0 {
		return errors.New("no labels")
	}
	for i, l := range labels {
		if l == "" {
			return fmt.Errorf("label %d is empty", i)
		}
		if slices.Index(labels, l) != i {
			return fmt.Errorf("label %q appears twice", l)
		}
	}
	return nil
}

// architecture returns the Python transformers class of an image
// classifier of model_type mt, for the model types Quarry publishes; every
// one is in transformers.js 4.3.1's MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES.
func architecture(mt string) (string, bool) {
	switch mt {
	case "mobilenet_v1":
		return "MobileNetV1ForImageClassification", true
	case "mobilenet_v2":
		return "MobileNetV2ForImageClassification", true
	case "mobilenet_v3":
		return "MobileNetV3ForImageClassification", true
	case "resnet":
		return "ResNetForImageClassification", true
	case "convnext":
		return "ConvNextForImageClassification", true
	case "efficientnet":
		return "EfficientNetForImageClassification", true
	case "vit":
		return "ViTForImageClassification", true
	}
	return "", false
}

// classifierConfig derives config.json from the backbone's: model_type
// kept (it must be one transformers.js classifies with), architectures
// switched to the classifier class, labels added.
func classifierConfig(base map[string]any, labels []string, h Head, opts Options) ([]byte, error) {
	mt, _ := base["model_type"].(string)
	arch, ok := architecture(mt)
	if !ok {
		return nil, fmt.Errorf("backbone model_type %q is not one transformers.js loads for image classification", mt)
	}
	cfg := map[string]any{}
	for k, v := range base {
		cfg[k] = v
	}
	id2label := make(map[string]string, len(labels))
	label2id := make(map[string]int, len(labels))
	for i, l := range labels {
		id2label[strconv.Itoa(i)] = l
		label2id[l] = i
	}
	cfg["architectures"] = []string{arch}
	cfg["num_labels"] = len(labels)
	cfg["id2label"] = id2label
	cfg["label2id"] = label2id
	cfg["problem_type"] = "single_label_classification"
	cfg["quarry"] = quarrySection(base, h, opts)
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// quarrySection is config.json's "quarry" object of a classifier.
func quarrySection(base map[string]any, h Head, opts Options) map[string]any {
	q := map[string]any{"head": h.kind, "logits_output": onnxgraph.Logits}
	if bq, ok := base["quarry"].(map[string]any); ok {
		q["backbone"] = bq
	}
	if opts.BaseModel != "" {
		q["base_model"] = opts.BaseModel
	}
	if opts.PositiveLabel != "" {
		q["positive_label"] = opts.PositiveLabel
	}
	if opts.Threshold != 0 {
		q["threshold"] = opts.Threshold
	}
	return q
}
