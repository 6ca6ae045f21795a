package modelrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"quarry/modelcards"
)

// BaseNamespace is the namespace base models are published under.
const BaseNamespace = "quarry"

// ErrBaseMissing is returned (wrapped) when a base model's converted files
// are not on disk.
var ErrBaseMissing = errors.New("base model not found")

// BaseModel is a pretrained model converted at set-up (scripts/setup-ml.sh)
// and published unchanged as a frozen backbone.
type BaseModel struct {
	// Name is the repo name under BaseNamespace and the directory name
	// under the models directory (third_party/models).
	Name string
	// Card is the README front matter.
	Card map[string]any
	// Body is the README Markdown.
	Body string
}

// ID returns the base model's repo id, "quarry/NAME".
func (b BaseModel) ID() string { return BaseNamespace + "/" + b.Name }

// BaseModels returns the base models Quarry publishes, in import order.
func BaseModels() []BaseModel {
	return []BaseModel{mobileNetV2()}
}

// Files reads the base model's converted files from modelsDir/NAME and
// returns them with its README.md: config.json, preprocessor_config.json,
// onnx/model.onnx, README.md. A missing directory gives ErrBaseMissing.
func (b BaseModel) Files(modelsDir string) (map[string][]byte, error) {
	dir := filepath.Join(modelsDir, b.Name)
	out := map[string][]byte{}
	for _, name := range []string{ConfigFile, PreprocessorFile, ModelFile} {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run make setup", ErrBaseMissing, dir)
		}
		if err != nil {
			return nil, fmt.Errorf("modelrepo: base %s: %w", b.Name, err)
		}
		out[name] = data
	}
	if err := CheckPreprocessor(out[PreprocessorFile]); err != nil {
		return nil, fmt.Errorf("modelrepo: base %s: %w", b.Name, err)
	}
	card, err := modelcards.Render(b.Card, b.Body)
	if err != nil {
		return nil, fmt.Errorf("modelrepo: base %s: %w", b.Name, err)
	}
	out[ReadmeFile] = card
	return out, nil
}

// mobileNetV2 is the TF-Hub MobileNetV2 1.4 (224 px) feature extractor that
// npm nsfwjs@4.4.0 ships as a TF.js graph model, converted by ml/tfjs.
func mobileNetV2() BaseModel {
	return BaseModel{
		Name: "mobilenet-v2-140-224",
		Card: map[string]any{
			"license":      []any{"apache-2.0", "mit"},
			"library_name": "onnx",
			"pipeline_tag": "image-feature-extraction",
			"tags":         []any{"onnx", "mobilenet_v2", "image-feature-extraction", "quarry-base"},
		},
		Body: mobileNetV2Body,
	}
}

const mobileNetV2Body = `
# MobileNetV2 1.4 (224 px) feature extractor

A frozen ImageNet image backbone for building classifiers in Quarry: it turns a 224 x 224 RGB
image into a 1792-dimensional feature vector. Quarry's training fits small heads (logistic
regression, MLP, ...) on these features and publishes backbone + head as one ONNX graph.

## Source

- npm package ` + "`nsfwjs@4.4.0`" + ` (Infinite Red, MIT licence), path ` + "`dist/models/mobilenet_v2_mid/`" + `
  (` + "`model.min.js`" + `, ` + "`group1-shard1of2.min.js`" + `, ` + "`group1-shard2of2.min.js`" + `): a TF.js graph model
  whose backbone is the TF-Hub MobileNetV2 module of width 1.4 at 224 px (feature vector,
  ImageNet weights; node names ` + "`keras_layer/.../predict/MobilenetV2`" + `,
  ` + "`feature_vector/SpatialSqueeze`" + `), followed by nsfwjs's own 5-class content-rating head.
- Whether nsfwjs fine-tuned the backbone beyond the ImageNet weights is not documented in the
  package.

## Licence

Two licences apply, hence both ids in the metadata: the packaged model files are distributed
under the **MIT** licence of nsfwjs (copyright Infinite Red, Inc.), and the MobileNetV2 weights
they derive from were published on TF-Hub by Google under **Apache-2.0**.

## How it was converted

By Quarry's Go converter ` + "`ml/tfjs`" + ` (run by ` + "`make setup`" + `, the ONNX file is never committed to git):

- the base64 weight shards are decoded and the uint8-quantized weights dequantized
  (` + "`q * scale + min`" + `) to float32;
- the NHWC TensorFlow graph becomes an NCHW ONNX graph (opset 13): fused convolutions and
  depthwise convolutions (batch norm already folded) become ` + "`Conv`" + ` with transposed weights,
  TF ` + "`SAME`" + ` padding becomes explicit pads, ` + "`Relu6`" + ` becomes ` + "`Relu`" + ` + ` + "`Min`" + `, the 7x7 average
  pool becomes ` + "`GlobalAveragePool`" + ` and the squeeze ` + "`Flatten`" + `;
- only what the 1792-d feature vector depends on is kept: **the package's content-rating head
  is dropped** and not published.

## Inputs and outputs

- input ` + "`pixel_values`" + `: float32 [batch, 3, 224, 224], RGB in [0, 1] (the graph applies TF-Hub's
  own ` + "`x * 2 - 1`" + ` scaling inside);
- output ` + "`features`" + `: float32 [batch, 1792], the pooled feature vector.

Preprocessing (` + "`preprocessor_config.json`" + `, read by Quarry and transformers.js alike): convert to
RGB, stretch to 224 x 224 (bilinear), multiply by 1/255, and an explicit identity normalization
(mean 0, std 1).

## Agreement with the original

The converted graph's features were compared with the original TF.js model run in Node
(` + "`@tensorflow/tfjs-core`" + `, ` + "`-converter`" + `, ` + "`-backend-cpu`" + ` 4.22) on the same preprocessed inputs,
the 7 real photos of Debian's ` + "`darknet`" + ` package: the largest absolute difference over
7 x 1792 features was **1.3e-5** (test ` + "`TestMatchesTFJS`" + ` in ` + "`ml/tfjs/backbone_test.go`" + `, which fails
above 1e-3).

## Intended use

As a frozen feature extractor (backbone) for small image classifiers trained in Quarry, for
example on satellite tiles. It is not a classifier itself: it has no ` + "`logits`" + ` output, so
transformers.js's ` + "`image-classification`" + ` pipeline does not load it; the classifiers built on it do.
`
