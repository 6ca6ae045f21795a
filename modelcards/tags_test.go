package modelcards

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeriveTags(t *testing.T) {
	tests := []struct {
		name   string
		readme string
		files  []string
		want   []string
	}{
		{"nil card no files", "", nil, []string{}},
		{"order and prefixes",
			"---\nlicense: mit\nlibrary_name: transformers\npipeline_tag: image-classification\ntags: [vision, transformers]\nlanguage: [en, fr]\ndatasets: [a/b]\nbase_model: g/vit\n---\nSee https://arxiv.org/abs/2010.11929v2.\n",
			[]string{"model.safetensors", "onnx/model.onnx"},
			[]string{"transformers", "onnx", "safetensors", "image-classification", "vision", "en", "fr",
				"dataset:a/b", "arxiv:2010.11929", "base_model:g/vit", "base_model:finetune:g/vit", "license:mit"}},
		{"explicit relation", "---\nbase_model: [x/a]\nbase_model_relation: quantized\n---\n", nil,
			[]string{"base_model:x/a", "base_model:quantized:x/a"}},
		{"adapter inferred", "---\nbase_model: x/a\n---\n", []string{"adapter_model.safetensors", "adapter_config.json"},
			[]string{"safetensors", "base_model:x/a", "base_model:adapter:x/a"}},
		{"merge inferred", "---\nbase_model: [x/a, x/b]\n---\n", nil,
			[]string{"base_model:x/a", "base_model:merge:x/a", "base_model:x/b", "base_model:merge:x/b"}},
		{"quantized inferred", "---\nbase_model: x/a\n---\n", []string{"model-Q4_K_M.gguf"},
			[]string{"gguf", "base_model:x/a", "base_model:quantized:x/a"}},
		{"file formats in hub order", "", []string{"weights.tflite", "flax_model.msgpack", "tf_model.h5",
			"pytorch_model-00001-of-00002.bin", "rust_model.ot", "m.mlpackage/Data/x", "events.out.tfevents.1.h"},
			[]string{"pytorch", "tf", "jax", "rust", "coreml", "tflite", "tensorboard"}},
		{"other bins are not pytorch", "", []string{"data.bin", "model.pt"}, []string{}},
		{"license list", "---\nlicense: [mit, apache-2.0]\n---\n", nil, []string{"license:mit", "license:apache-2.0"}},
		{"arxiv forms deduplicated", "see arxiv.org/pdf/1810.04805 and https://arxiv.org/abs/1810.04805v1 and https://huggingface.co/papers/2106.10270",
			nil, []string{"arxiv:1810.04805", "arxiv:2106.10270"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var card *Card
			if tt.readme != "" {
				var err error
				if card, err = Parse([]byte(tt.readme)); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want, DeriveTags(card, tt.files)); diff != "" {
				t.Fatalf("DeriveTags mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
