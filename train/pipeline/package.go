package pipeline

import (
	"context"
	"fmt"
	"os"
	"path"

	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/train/heads"
)

// Paths of the files Run adds to a candidate's repo beside modelrepo's.
const (
	TrainingParamsFile  = "training_params.json"
	MetricsFile         = "metrics.json"
	ConfusionMatrixFile = "confusion_matrix.png"
	ROCCurveFile        = "roc_curve.png"
	ExamplesDir         = "examples"
)

// example is a validation image committed as a widget example.
type example struct {
	Item
	repoPath string
	data     []byte
}

// packageAll builds every candidate's repo files.
func (r *run) packageAll(ctx context.Context) error {
	start, done := r.phase(PhasePackage)
	defer done()
	examples, err := r.examples()
	if err != nil {
		return err
	}
	n := len(r.res.Candidates)
	for i := range r.res.Candidates {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := &r.res.Candidates[i]
		el := r.opts.Now().Sub(start)
		r.emit(Event{Phase: PhasePackage, Candidate: c.Name, Done: i, Total: n, Elapsed: el, ETA: eta(el, i, n)})
		files, err := r.files(r.opts.Candidates[i], c, r.evals[i], examples)
		if err != nil {
			return fmt.Errorf("candidate %s: %w", c.Name, err)
		}
		c.Files = files
	}
	return nil
}

// examples picks up to Card.Examples validation images, taking the classes
// in turn, and reads them.
func (r *run) examples() ([]example, error) {
	want := r.opts.Card.Examples
	byClass := make([][]Item, len(r.res.Labels))
	for _, it := range r.res.Validation {
		byClass[it.Class] = append(byClass[it.Class], it)
	}
	var out []example
	used := map[string]bool{}
	for round := 0; len(out) < want; round++ {
		added := false
		for _, items := range byClass {
			if round < len(items) && len(out) < want {
				it := items[round]
				data, err := os.ReadFile(it.file)
				if err != nil {
					return nil, fmt.Errorf("examples: %w", err)
				}
				name := safeName(path.Base(it.Path))
				if used[name] {
					name = safeName(it.Label) + "_" + name
				}
				used[name] = true
				out = append(out, example{Item: it, repoPath: ExamplesDir + "/" + name, data: data})
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out, nil
}

// files builds one candidate's repo files.
func (r *run) files(spec CandidateSpec, c *Candidate, ev *evaluation, examples []example) (map[string][]byte, error) {
	head, err := exportHead(c.Model)
	if err != nil {
		return nil, err
	}
	params, err := r.trainingParams(spec, c)
	if err != nil {
		return nil, err
	}
	metricsJSON, err := r.metricsFile(c, ev)
	if err != nil {
		return nil, err
	}
	extra := map[string][]byte{TrainingParamsFile: params, MetricsFile: metricsJSON}
	conf, err := confusionPNG(r.res.Labels, r.confusion(ev), c.Name)
	if err != nil {
		return nil, err
	}
	extra[ConfusionMatrixFile] = conf
	if len(ev.roc) > 0 {
		roc, err := rocPNG(ev.roc, c.Name, thresholdMark(c, ev))
		if err != nil {
			return nil, err
		}
		extra[ROCCurveFile] = roc
	}
	for _, ex := range examples {
		extra[ex.repoPath] = ex.data
	}
	opts := r.repoOptions(spec, c, ev, examples, extra)
	files, err := modelrepo.BuildClassifier(spec.BackboneDir, head, r.res.Labels, opts)
	if err != nil {
		return nil, err
	}
	for name, data := range extra {
		files[name] = data
	}
	return files, nil
}

// exportHead converts a fitted head to its ONNX form.
func exportHead(m heads.Model) (modelrepo.Head, error) {
	switch h := m.(type) {
	case *heads.LogReg:
		w, b := h.Folded()
		return modelrepo.LinearHead(w, b), nil
	case *heads.MLP:
		return modelrepo.MLPHead(h.Folded()), nil
	case *heads.GBDT:
		return modelrepo.TreeHead(TreeEnsemble(h)), nil
	}
	return modelrepo.Head{}, fmt.Errorf("no ONNX export for %T", m)
}

// TreeEnsemble converts boosted trees to onnxgraph's form: tree (round, k)
// adds to target k; a binary model keeps its single log-odds target.
func TreeEnsemble(m *heads.GBDT) onnxgraph.TreeEnsemble {
	e := onnxgraph.TreeEnsemble{Base: append([]float64(nil), m.Base...)}
	for _, round := range m.Trees {
		for k, t := range round {
			nodes := make([]onnxgraph.TreeNode, len(t.Nodes))
			for i, n := range t.Nodes {
				nodes[i] = onnxgraph.TreeNode{Feature: n.Feature, Threshold: n.Threshold,
					Left: n.Left, Right: n.Right, Value: n.Value}
			}
			e.Trees = append(e.Trees, onnxgraph.Tree{Target: k, Nodes: nodes})
		}
	}
	return e
}

// confusion returns the confusion matrix in class-id order (rows true,
// columns predicted).
func (r *run) confusion(ev *evaluation) [][]int {
	if ev.multi != nil {
		return ev.multi.Confusion
	}
	c := ev.binary.Confusion
	if r.labelIndex(r.res.Positive) == 1 {
		return [][]int{{c.TN, c.FP}, {c.FN, c.TP}}
	}
	return [][]int{{c.TP, c.FN}, {c.FP, c.TN}}
}

// thresholdMark is the ROC point of a binary candidate's decision
// threshold (nil for a multi-class task).
func thresholdMark(c *Candidate, ev *evaluation) *mark {
	if ev.binary == nil {
		return nil
	}
	k := ev.binary.Confusion
	return &mark{FPR: ratio(k.FP, k.FP+k.TN), TPR: ratio(k.TP, k.TP+k.FN),
		Label: fmt.Sprintf("threshold %.3g", c.Threshold)}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
