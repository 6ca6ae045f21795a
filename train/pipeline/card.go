package pipeline

import (
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"

	"quarry/ml/modelrepo"
	"quarry/train/metrics"
)

// metricOrder is the order of AutoTrain's "Validation Metrics" lines.
var metricOrder = map[string][]string{
	TaskBinary: {metrics.KeyLoss, metrics.KeyF1, metrics.KeyPrecision, metrics.KeyRecall, metrics.KeyAUC, metrics.KeyAccuracy},
	TaskMulticlass: {metrics.KeyLoss, metrics.KeyF1Macro, metrics.KeyF1Micro, metrics.KeyF1Weighted,
		metrics.KeyPrecisionMacro, metrics.KeyPrecisionMicro, metrics.KeyPrecisionWeighted,
		metrics.KeyRecallMacro, metrics.KeyRecallMicro, metrics.KeyRecallWeighted, metrics.KeyAccuracy},
}

// metricInfo gives a metric key's model-index type, config and name.
func metricInfo(key string) (typ, config, name string) {
	names := map[string]string{metrics.KeyLoss: "Loss", metrics.KeyAccuracy: "Accuracy",
		metrics.KeyPrecision: "Precision", metrics.KeyRecall: "Recall", metrics.KeyF1: "F1", metrics.KeyAUC: "ROC AUC"}
	if key == metrics.KeyAUC {
		return "roc_auc", "", names[key]
	}
	if base, avg, ok := strings.Cut(key, "_"); ok {
		return base, avg, fmt.Sprintf("%s (%s)", names[base], avg)
	}
	return key, "", names[key]
}

// headTags are the card tags of each head kind.
var headTags = map[string]string{"logreg": "logistic-regression", "mlp": "mlp", "gbdt": "gradient-boosting"}

// repoOptions are the modelrepo options of a candidate: card data (tags,
// widget, model-index, metrics) and body.
func (r *run) repoOptions(spec CandidateSpec, c *Candidate, ev *evaluation, examples []example,
	extra map[string][]byte) modelrepo.Options {
	ci := r.opts.Card
	o := modelrepo.Options{ModelID: ci.ModelID, BaseModel: c.BaseModel, License: ci.License,
		PositiveLabel: r.res.Positive,
		Tags:          []string{"vision", "quarry-train", headTags[c.Head]},
		Body:          r.cardBody(c, ev, extra),
		CardData:      map[string]any{"model-index": r.modelIndex(c)},
	}
	if o.ModelID == "" {
		o.ModelID = c.Name
	}
	if c.Tuned {
		o.Threshold = c.Threshold
	}
	if ci.SyntheticData {
		o.Tags = append(o.Tags, "synthetic-data")
	}
	if ci.DatasetID != "" {
		o.Datasets = []string{ci.DatasetID}
	}
	var widget, names []any
	for _, ex := range examples {
		widget = append(widget, map[string]any{"src": ex.repoPath, "example_title": ex.Label})
	}
	if len(widget) > 0 {
		o.CardData["widget"] = widget
	}
	for _, k := range metricOrder[r.task()] {
		if typ, _, _ := metricInfo(k); !containsAny(names, typ) {
			names = append(names, typ)
		}
	}
	o.CardData["metrics"] = names
	return o
}

func containsAny(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// datasetName is the dataset's display name.
func (r *run) datasetName() string {
	switch {
	case r.opts.Card.DatasetName != "":
		return r.opts.Card.DatasetName
	case r.opts.Card.DatasetID != "":
		return r.opts.Card.DatasetID
	}
	return strings.TrimSuffix(filepath.Base(r.opts.Dataset), ".zip")
}

// modelIndex is the card's model-index: the cross-validated estimate of
// every metric (when there is one), then every validation metric.
func (r *run) modelIndex(c *Candidate) []any {
	ds := map[string]any{"name": r.datasetName(), "type": "imagefolder", "split": "validation"}
	if id := r.opts.Card.DatasetID; id != "" {
		ds["type"] = id
	}
	if rev := r.opts.Card.DatasetRevision; rev != "" {
		ds["revision"] = rev
	}
	task := map[string]any{"type": "image-classification", "name": "Image Classification"}
	var results []any
	if cv := c.CV; cv != nil {
		cvds := maps.Clone(ds)
		cvds["split"] = cvSplitName(cv)
		results = append(results, map[string]any{"task": task, "dataset": cvds,
			"metrics": r.indexMetrics(cv.Metrics, func(name, key string) string {
				return fmt.Sprintf("%s (mean of %d folds, standard error %.4f)", name, cv.Folds, cv.StdErr[key])
			})})
	}
	results = append(results, map[string]any{"task": task, "dataset": ds,
		"metrics": r.indexMetrics(c.Metrics, func(name, _ string) string { return name })})
	name := r.opts.Card.ModelID
	if name == "" {
		name = c.Name
	}
	return []any{map[string]any{"name": name, "results": results}}
}

// cvSplitName is the model-index split of a cross-validated estimate.
func cvSplitName(cv *CrossValidation) string {
	return fmt.Sprintf("%d-fold cross-validation over all %d images", cv.Folds, cv.Images)
}

// indexMetrics are the model-index metrics of values, in AutoTrain's order,
// named by name(metric name, key).
func (r *run) indexMetrics(values map[string]float64, name func(string, string) string) []any {
	var ms []any
	for _, k := range metricOrder[r.task()] {
		v, ok := values[k]
		if !ok {
			continue
		}
		typ, cfg, n := metricInfo(k)
		m := map[string]any{"type": typ, "value": v, "name": name(n, k)}
		if cfg != "" {
			m["config"] = cfg
		}
		ms = append(ms, m)
	}
	return ms
}

// cardBody is the Markdown the card carries besides modelrepo's sections.
func (r *run) cardBody(c *Candidate, ev *evaluation, extra map[string][]byte) string {
	var b strings.Builder
	r.writeData(&b)
	r.writeProcedure(&b, c)
	r.writeMetrics(&b, c, ev)
	r.writeConfusion(&b, ev)
	if _, ok := extra[ROCCurveFile]; ok {
		fmt.Fprintf(&b, "## ROC curve\n\n![ROC curve on the validation split](%s)\n\n", ROCCurveFile)
		for _, curve := range ev.roc {
			fmt.Fprintf(&b, "- `%s`: AUC %.4f\n", curve.Label, curve.AUC)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Training files\n\n- `%s`: the training parameters (candidate, head options, seed, split sizes, dataset).\n"+
		"- `%s`: every validation metric, the cross-validated estimates with each fold's figures, the confusion "+
		"matrix and the ROC points.\n", TrainingParamsFile, MetricsFile)
	if r.opts.Card.Examples > 0 && len(r.res.Validation) > 0 {
		fmt.Fprintf(&b, "- `%s/`: a few validation images, used as widget examples.\n", ExamplesDir)
	}
	return b.String()
}

func (r *run) writeData(b *strings.Builder) {
	ci := r.opts.Card
	b.WriteString("## Training data\n\n")
	src := fmt.Sprintf("the image folder `%s`", r.datasetName())
	if ci.DatasetID != "" {
		src = fmt.Sprintf("the dataset [`%s`](/datasets/%s)", ci.DatasetID, ci.DatasetID)
		if ci.DatasetRevision != "" {
			src += fmt.Sprintf(" at revision `%s`", ci.DatasetRevision)
		}
	}
	fmt.Fprintf(b, "Trained on %d images from %s: %d for training and %d for validation (%s).\n\n",
		len(r.res.Train)+len(r.res.Validation), src, len(r.res.Train), len(r.res.Validation), r.splitWords())
	b.WriteString("| class | training | validation |\n|---|---:|---:|\n")
	for k, l := range r.res.Labels {
		nt, nv := countClass(r.res.Train, k), countClass(r.res.Validation, k)
		fmt.Fprintf(b, "| %s | %d | %d |\n", mdCell(l), nt, nv)
	}
	b.WriteString("\n")
	if ci.SyntheticData {
		b.WriteString("**The images are synthetic**: a program generated them; they are not observations of the real " +
			"world. The metrics below are measured on synthetic images and say nothing about how the model does on real " +
			"imagery.\n\n")
	}
	if d := strings.TrimSpace(ci.DataDescription); d != "" {
		b.WriteString(d + "\n\n")
	} else if !ci.SyntheticData {
		b.WriteString("Quarry knows nothing more about where these images come from.\n\n")
	}
	for _, w := range r.res.Report.Warnings {
		fmt.Fprintf(b, "- Dataset warning: %s\n", w.Message)
	}
	if len(r.res.Report.Warnings) > 0 {
		b.WriteString("\n")
	}
}

func (r *run) splitWords() string {
	if r.res.SplitSource == "given" {
		return "validation folder given with the dataset"
	}
	return fmt.Sprintf("stratified %.0f %% split, seed %d", 100*r.opts.ValidationFraction, r.opts.Seed)
}

func countClass(items []Item, k int) int {
	n := 0
	for _, it := range items {
		if it.Class == k {
			n++
		}
	}
	return n
}

func (r *run) writeProcedure(b *strings.Builder, c *Candidate) {
	heads := map[string]string{
		"logreg": "multinomial logistic regression (L2 strength picked on the tuning loss)",
		"mlp":    "a one-hidden-layer perceptron (Adam, number of epochs picked by early stopping on the tuning loss)",
		"gbdt":   "gradient-boosted trees (number of rounds picked by early stopping on the tuning loss)",
	}
	fmt.Fprintf(b, "## Training procedure\n\nThe backbone stays frozen; Quarry extracted its features with ONNX Runtime and fitted %s "+
		"on the training features, seed %d. Candidate `%s` ranked %d of %d by `%s`.\n\n",
		heads[c.Head], r.opts.Seed, c.Name, c.Rank, len(r.res.Candidates), r.res.RankedBy)
	fmt.Fprintf(b, "Model selection used an inner split of the training data: a stratified %.0f %% of the training split "+
		"(%d images) was held out as a tuning split, the head was fitted on the other %d, and its hyper-parameters",
		100*r.opts.TuningFraction, len(r.res.Tuning), len(r.fit))
	if c.Tuned {
		b.WriteString(" and the decision threshold")
	}
	b.WriteString(" were chosen on the tuning split")
	if c.Refitted {
		b.WriteString("; the head was then refitted on the whole training split with those choices")
	}
	b.WriteString(". The validation split took no part in fitting or tuning the head, and every figure below is measured on images the head measured never saw.")
	r.writeRanking(b)
	b.WriteString(" The images are a sample, so the figures are estimates: check the model on images of your own.\n\n")
}

func (r *run) writeMetrics(b *strings.Builder, c *Candidate, ev *evaluation) {
	if c.CV != nil {
		r.writeCVMetrics(b, c)
	} else {
		b.WriteString("## Results on the validation split\n\n| metric | value |\n|---|---:|\n")
		for _, k := range metricOrder[r.task()] {
			if v, ok := c.Metrics[k]; ok {
				_, _, name := metricInfo(k)
				fmt.Fprintf(b, "| %s | %.4f |\n", name, v)
			}
		}
		b.WriteString("\n")
	}
	if ev.binary != nil {
		fmt.Fprintf(b, "Positive class: `%s`; an image is predicted `%s` when its probability is at least %.4g", r.res.Positive, r.res.Positive, c.Threshold)
		if ev.choice != nil {
			fmt.Fprintf(b, " (tuned for a recall of at least %.3g on the tuning split, where it gave recall %.4f and precision %.4f; "+
				"the validation recall above is measured at this threshold and may fall short of the target; "+
				"at 0.5 the validation recall was %.4f and the precision %.4f",
				r.opts.TargetRecall, ev.choice.Recall, ev.choice.Precision, ev.atDefault.Recall, ev.atDefault.Precision)
			if c.CV != nil {
				b.WriteString("; each cross-validation fold's head had its own threshold, tuned the same way on its own tuning split")
			}
			b.WriteString(")")
		}
		b.WriteString(".\n\n")
	}
	b.WriteString("## Validation Metrics\n\n")
	for _, k := range metricOrder[r.task()] {
		if v, ok := c.Metrics[k]; ok {
			fmt.Fprintf(b, "%s: %s\n\n", k, pyFloat(v))
		}
	}
}

func (r *run) writeConfusion(b *strings.Builder, ev *evaluation) {
	fmt.Fprintf(b, "## Confusion matrix\n\n![Confusion matrix on the validation split](%s)\n\n| true \\ predicted |", ConfusionMatrixFile)
	for _, l := range r.res.Labels {
		fmt.Fprintf(b, " %s |", mdCell(l))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(r.res.Labels)) + "\n")
	for i, row := range r.confusion(ev) {
		fmt.Fprintf(b, "| %s |", mdCell(r.res.Labels[i]))
		for _, v := range row {
			fmt.Fprintf(b, " %d |", v)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// pyFloat formats v as Python's repr does for the AutoTrain lines: the
// shortest round-trip digits, with a decimal point (1.0, not 1).
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
