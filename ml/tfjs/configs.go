package tfjs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// MobileNetV2Preprocessor returns the preprocessor_config.json of the
// converted backbone. The TF-Hub graph expects RGB in [0,1] at 224x224 and
// scales to [-1,1] itself, so: stretch to 224x224 (bilinear), rescale by
// 1/255, and an explicit identity normalization (transformers.js ignores
// image_mean/std unless do_normalize is written, and defaults are unsafe).
func MobileNetV2Preprocessor() map[string]any {
	return map[string]any{
		"image_processor_type": "MobileNetV2ImageProcessor",
		"do_convert_rgb":       true,
		"do_resize":            true,
		"size":                 map[string]int{"height": 224, "width": 224},
		"resample":             2,
		"do_center_crop":       false,
		"do_rescale":           true,
		"rescale_factor":       1.0 / 255,
		"do_normalize":         true,
		"image_mean":           []float64{0, 0, 0},
		"image_std":            []float64{1, 1, 1},
	}
}

// MobileNetV2Config returns the config.json of the converted backbone.
func MobileNetV2Config() map[string]any {
	return map[string]any{
		"model_type":       "mobilenet_v2",
		"architectures":    []string{"MobileNetV2Model"},
		"depth_multiplier": 1.4,
		"image_size":       224,
		"num_channels":     3,
		"hidden_size":      FeatureDim,
		"quarry": map[string]any{
			"feature_output": FeaturesOutput,
			"feature_dim":    FeatureDim,
			"source":         "npm nsfwjs@4.4.0 dist/models/mobilenet_v2_mid (TF.js graph model)",
			"converted_by":   "quarry ml/tfjs",
		},
	}
}

// WriteMobileNetV2 converts the nsfwjs model in inDir and writes
// onnx/model.onnx, config.json and preprocessor_config.json under outDir.
func WriteMobileNetV2(inDir, outDir string) error {
	model, err := ConvertMobileNetV2(inDir)
	if err != nil {
		return err
	}
	files := map[string][]byte{"onnx/model.onnx": model}
	for name, v := range map[string]any{"config.json": MobileNetV2Config(),
		"preprocessor_config.json": MobileNetV2Preprocessor()} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		files[name] = append(b, '\n')
	}
	// model.onnx goes last: its presence marks a complete directory.
	for _, name := range []string{"config.json", "preprocessor_config.json", "onnx/model.onnx"} {
		if err := writeAtomic(filepath.Join(outDir, name), files[name]); err != nil {
			return fmt.Errorf("tfjs: write %s: %w", name, err)
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
