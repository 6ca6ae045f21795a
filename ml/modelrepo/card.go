package modelrepo

import (
	"fmt"
	"slices"
	"strings"

	"quarry/modelcards"
)

// classifierCard renders the README.md of a classifier built by Build.
func classifierCard(base map[string]any, labels []string, h Head, opts Options) ([]byte, error) {
	mt, _ := base["model_type"].(string)
	license := opts.License
	if license == "" {
		license = "other"
	}
	data := map[string]any{
		"license":      license,
		"library_name": "transformers.js",
		"pipeline_tag": "image-classification",
		"tags":         tags(mt, opts.Tags),
	}
	if license == "other" {
		data["license_name"] = "unspecified"
	}
	if opts.BaseModel != "" {
		data["base_model"] = opts.BaseModel
	}
	if len(opts.Datasets) > 0 {
		ds := make([]any, len(opts.Datasets))
		for i, d := range opts.Datasets {
			ds[i] = d
		}
		data["datasets"] = ds
	}
	for k, v := range opts.CardData {
		if v == nil {
			delete(data, k)
		} else {
			data[k] = v
		}
	}
	card, err := modelcards.Render(data, classifierBody(labels, h, opts))
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	return card, nil
}

// tags are the card's tags: the generated ones, then extra ones not yet
// present.
func tags(modelType string, extra []string) []any {
	out := []any{"onnx", "image-classification", "transformers.js", modelType, "quarry"}
	for _, t := range extra {
		if t != "" && !slices.Contains(out, any(t)) {
			out = append(out, t)
		}
	}
	return out
}

// classifierBody is the Markdown of a classifier card.
func classifierBody(labels []string, h Head, opts Options) string {
	var b strings.Builder
	title := opts.ModelID
	if title == "" {
		title = "Image classifier"
	}
	fmt.Fprintf(&b, "\n# %s\n\n", title)
	if opts.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(opts.Description))
	}
	backbone := "a frozen image backbone"
	if opts.BaseModel != "" {
		backbone = fmt.Sprintf("the frozen backbone [`%s`](/%s)", opts.BaseModel, opts.BaseModel)
	}
	fmt.Fprintf(&b, "An image classifier built by Quarry: %s over %s, exported as one ONNX graph.\n\n", h.desc, backbone)
	if opts.Body != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(opts.Body))
	}
	b.WriteString("## Labels\n\n| id | label |\n|---:|---|\n")
	for i, l := range labels {
		fmt.Fprintf(&b, "| %d | %s |\n", i, strings.ReplaceAll(l, "|", `\|`))
	}
	id := opts.ModelID
	if id == "" {
		id = "NS/NAME"
	}
	fmt.Fprintf(&b, `
## Files

- `+"`onnx/model.onnx`"+`: input `+"`pixel_values`"+` float32 [batch, 3, H, W], output `+"`logits`"+`
  float32 [batch, %d] (raw scores; apply softmax for probabilities).
- `+"`preprocessor_config.json`"+`: how images become `+"`pixel_values`"+` (RGB, resize, rescale, normalize).
- `+"`config.json`"+`: `+"`id2label`"+` / `+"`label2id`"+` and the model type.

## Use it with transformers.js

`+"```js"+`
import { pipeline, env } from '@huggingface/transformers';
env.remoteHost = 'https://QUARRY_HOST/';   // this hub's address
env.allowLocalModels = false;
const classify = await pipeline('image-classification', '%s', { dtype: 'fp32' });
console.log(await classify('image.png', { top_k: null }));
`+"```"+`
`, len(labels), id)
	return b.String()
}
