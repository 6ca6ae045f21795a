package modelcards

import "fmt"

// EvalResult is one metric of one result of a card's model-index, in the
// flattened form of huggingface_hub's EvalResult.
type EvalResult struct {
	ModelName       string
	TaskType        string
	TaskName        string
	DatasetType     string
	DatasetName     string
	DatasetConfig   string
	DatasetSplit    string
	DatasetRevision string
	MetricType      string
	MetricValue     any
	MetricName      string
	MetricConfig    string
	Verified        bool
	SourceName      string
	SourceURL       string
}

// ModelIndex returns the raw model-index value (JSON-safe), or nil.
func (c *Card) ModelIndex() any { return c.get("model-index") }

// EvalResults flattens the card's model-index. It returns nil, nil when
// there is no model-index. A malformed model-index gives a
// *ValidationError naming the first offending field; the required fields
// are name, results, task.type, dataset.type, dataset.name, metrics,
// metrics[].type, metrics[].value, and source.url when source is given.
func (c *Card) EvalResults() ([]EvalResult, error) {
	raw := c.ModelIndex()
	if raw == nil {
		return nil, nil
	}
	models, ok := raw.([]any)
	if !ok {
		return nil, &ValidationError{Field: "model-index", Msg: "must be a list"}
	}
	var out []EvalResult
	for i, m := range models {
		p := fmt.Sprintf("model-index[%d]", i)
		obj, err := object(m, p)
		if err != nil {
			return nil, err
		}
		name, err := field(obj, p, "name", true)
		if err != nil {
			return nil, err
		}
		results, err := list(obj, p, "results")
		if err != nil {
			return nil, err
		}
		for j, r := range results {
			rs, err := parseResult(r, fmt.Sprintf("%s.results[%d]", p, j), name)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
	}
	return out, nil
}

// parseResult flattens one {task, dataset, metrics, source} entry.
func parseResult(v any, p, modelName string) ([]EvalResult, error) {
	r, err := object(v, p)
	if err != nil {
		return nil, err
	}
	base := EvalResult{ModelName: modelName}
	if err := parseTask(r, p, &base); err != nil {
		return nil, err
	}
	if err := parseDataset(r, p, &base); err != nil {
		return nil, err
	}
	if err := parseSource(r, p, &base); err != nil {
		return nil, err
	}
	metrics, err := list(r, p, "metrics")
	if err != nil {
		return nil, err
	}
	out := make([]EvalResult, 0, len(metrics))
	for k, m := range metrics {
		e := base
		if err := parseMetric(m, fmt.Sprintf("%s.metrics[%d]", p, k), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseTask(r map[string]any, p string, e *EvalResult) error {
	t, err := child(r, p, "task")
	if err != nil {
		return err
	}
	p += ".task"
	return fields(t, p, []spec{{"type", true, &e.TaskType}, {"name", false, &e.TaskName}})
}

func parseDataset(r map[string]any, p string, e *EvalResult) error {
	d, err := child(r, p, "dataset")
	if err != nil {
		return err
	}
	p += ".dataset"
	return fields(d, p, []spec{
		{"type", true, &e.DatasetType}, {"name", true, &e.DatasetName},
		{"config", false, &e.DatasetConfig}, {"split", false, &e.DatasetSplit},
		{"revision", false, &e.DatasetRevision},
	})
}

func parseSource(r map[string]any, p string, e *EvalResult) error {
	if r["source"] == nil {
		return nil
	}
	s, err := child(r, p, "source")
	if err != nil {
		return err
	}
	p += ".source"
	return fields(s, p, []spec{{"url", true, &e.SourceURL}, {"name", false, &e.SourceName}})
}

func parseMetric(v any, p string, e *EvalResult) error {
	m, err := object(v, p)
	if err != nil {
		return err
	}
	err = fields(m, p, []spec{
		{"type", true, &e.MetricType}, {"name", false, &e.MetricName},
		{"config", false, &e.MetricConfig},
	})
	if err != nil {
		return err
	}
	switch val := m["value"].(type) {
	case nil:
		return &ValidationError{Field: p + ".value", Msg: "is required"}
	case map[string]any:
		return &ValidationError{Field: p + ".value", Msg: "must be a number, string or list"}
	default:
		e.MetricValue = val
	}
	e.Verified, _ = m["verified"].(bool)
	return nil
}

// spec describes one string field to read into dst.
type spec struct {
	key      string
	required bool
	dst      *string
}

func fields(obj map[string]any, p string, specs []spec) error {
	for _, s := range specs {
		v, err := field(obj, p, s.key, s.required)
		if err != nil {
			return err
		}
		*s.dst = v
	}
	return nil
}

// field reads a scalar field as a string.
func field(obj map[string]any, p, key string, required bool) (string, error) {
	v, present := obj[key]
	if !present || v == nil {
		if required {
			return "", &ValidationError{Field: p + "." + key, Msg: "is required"}
		}
		return "", nil
	}
	s, ok := scalarString(v)
	if !ok {
		return "", &ValidationError{Field: p + "." + key, Msg: "must be a string"}
	}
	if required && s == "" {
		return "", &ValidationError{Field: p + "." + key, Msg: "is not allowed to be empty"}
	}
	return s, nil
}

func object(v any, p string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ValidationError{Field: p, Msg: "must be an object"}
	}
	return m, nil
}

func child(obj map[string]any, p, key string) (map[string]any, error) {
	v, ok := obj[key]
	if !ok || v == nil {
		return nil, &ValidationError{Field: p + "." + key, Msg: "is required"}
	}
	return object(v, p+"."+key)
}

func list(obj map[string]any, p, key string) ([]any, error) {
	v, ok := obj[key]
	if !ok || v == nil {
		return nil, &ValidationError{Field: p + "." + key, Msg: "is required"}
	}
	l, ok := v.([]any)
	if !ok {
		return nil, &ValidationError{Field: p + "." + key, Msg: "must be a list"}
	}
	return l, nil
}
