package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"quarry/ml/imageproc"
	"quarry/ml/onnxrt"
)

// Names of the model's input and output in the published layout.
const (
	inputName  = "pixel_values"
	outputName = "logits"
)

// Info describes a loaded model.
type Info struct {
	// Labels are the class names in logit order (config.json id2label;
	// LABEL_i when absent, as transformers.js does).
	Labels []string
	// InputWidth and InputHeight are the model's input size in pixels: the
	// scan window at full resolution.
	InputWidth, InputHeight int
	// PositiveLabel and Threshold are Scan's defaults, from config.json
	// `quarry.positive_label` / `quarry.threshold` (or top-level `threshold`);
	// empty and 0.5 when absent.
	PositiveLabel string
	Threshold     float64
}

// model is a loaded session with its preprocessing and labels.
type model struct {
	session *onnxrt.Session
	pre     *imageproc.Config
	info    Info
	size    int64
	queue   runQueue
}

func (m *model) close() error { return m.session.Close() }

// rawModelConfig is the part of config.json the classifier reads.
type rawModelConfig struct {
	ID2Label  map[string]string `json:"id2label"`
	NumLabels int               `json:"num_labels"`
	Threshold *float64          `json:"threshold"`
	Quarry    struct {
		PositiveLabel string   `json:"positive_label"`
		Threshold     *float64 `json:"threshold"`
	} `json:"quarry"`
}

// load reads the three model files and creates the session. Loading is not
// cancelled with ctx once started, as other callers may wait for it.
func (c *Classifier) load(ctx context.Context, key string, files ModelFiles) (*model, error) {
	ctx = context.WithoutCancel(ctx)
	get := func(name string) ([]byte, error) {
		b, err := files(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("classify: load %s: %s: %w", key, name, err)
		}
		return b, nil
	}
	cfgBytes, err := get(ConfigFile)
	if err != nil {
		return nil, err
	}
	preBytes, err := get(PreprocessorFile)
	if err != nil {
		return nil, err
	}
	onnxBytes, err := get(ModelFile)
	if err != nil {
		return nil, err
	}
	m, err := c.newModel(cfgBytes, preBytes, onnxBytes)
	if err != nil {
		return nil, fmt.Errorf("classify: load %s: %w", key, err)
	}
	return m, nil
}

// newModel parses the configs and opens the session.
func (c *Classifier) newModel(cfgBytes, preBytes, onnxBytes []byte) (*model, error) {
	pre, err := imageproc.ParseConfig(preBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	s, err := c.rt.NewSession(onnxBytes, []string{inputName}, []string{outputName})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	m := &model{session: s, pre: pre, size: int64(len(onnxBytes))}
	if m.info, err = modelInfo(cfgBytes, pre, s); err != nil {
		s.Close()
		return nil, err
	}
	return m, nil
}

// modelInfo derives labels, input size and scan defaults.
func modelInfo(cfgBytes []byte, pre *imageproc.Config, s *onnxrt.Session) (Info, error) {
	var raw rawModelConfig
	if err := json.Unmarshal(cfgBytes, &raw); err != nil {
		return Info{}, fmt.Errorf("%w: config.json: %v", ErrBadModel, err)
	}
	out := s.Outputs()[0].Shape
	if len(out) != 2 {
		return Info{}, fmt.Errorf("%w: logits have shape %v, want [batch, labels]", ErrBadModel, out)
	}
	n := int(out[1])
	if n <= 0 {
		n = max(raw.NumLabels, len(raw.ID2Label))
	}
	if n <= 0 {
		return Info{}, fmt.Errorf("%w: number of labels unknown", ErrBadModel)
	}
	info := Info{Labels: make([]string, n), PositiveLabel: raw.Quarry.PositiveLabel, Threshold: 0.5}
	for i := range info.Labels {
		if l, ok := raw.ID2Label[strconv.Itoa(i)]; ok {
			info.Labels[i] = l
		} else {
			info.Labels[i] = "LABEL_" + strconv.Itoa(i)
		}
	}
	if t := raw.Quarry.Threshold; t != nil {
		info.Threshold = *t
	} else if raw.Threshold != nil {
		info.Threshold = *raw.Threshold
	}
	info.InputWidth, info.InputHeight = inputSize(pre, s.Inputs()[0].Shape)
	if info.InputWidth <= 0 || info.InputHeight <= 0 {
		return Info{}, fmt.Errorf("%w: input size unknown (preprocessor size and model shape)", ErrBadModel)
	}
	return info, nil
}

// inputSize is the tensor size the preprocessor produces for a square of
// the target size, or the model's fixed input dimensions.
func inputSize(pre *imageproc.Config, shape []int64) (w, h int) {
	switch {
	case pre.DoCenterCrop:
		return pre.CropSize.Width, pre.CropSize.Height
	case pre.DoResize && pre.Size.Width > 0 && pre.Size.Height > 0:
		return pre.Size.Width, pre.Size.Height
	case pre.DoResize && pre.Size.ShortestEdge > 0:
		return pre.Size.ShortestEdge, pre.Size.ShortestEdge
	case len(shape) == 4 && shape[2] > 0 && shape[3] > 0:
		return int(shape[3]), int(shape[2])
	}
	return 0, 0
}
