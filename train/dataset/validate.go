package dataset

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Options are the validation rules. Zero fields take defaults.
type Options struct {
	MinClasses  int // default 2
	MinPerClass int // training images per class, default 5 (AutoTrain's rule)
	// Positive is the positive label; required when there are exactly two
	// classes (never "whatever sorts second").
	Positive string
	// MaxImbalance warns when the largest training class has more than this
	// many times the images of the smallest (default 3).
	MaxImbalance float64
}

func (o Options) withDefaults() Options {
	if o.MinClasses <= 0 {
		o.MinClasses = 2
	}
	if o.MinPerClass <= 0 {
		o.MinPerClass = 5
	}
	if o.MaxImbalance <= 0 {
		o.MaxImbalance = 3
	}
	return o
}

// Issue codes of a Report.
const (
	CodeNoImages          = "no_images"
	CodeTooFewClasses     = "too_few_classes"
	CodeTooFewImages      = "too_few_images"
	CodeCorrupt           = "corrupt_images"
	CodeNotImages         = "not_images"
	CodeMisplaced         = "misplaced_files"
	CodePositiveMissing   = "positive_label_missing"
	CodePositiveUnknown   = "positive_label_unknown"
	CodePositiveIgnored   = "positive_label_ignored"
	CodeUnknownClass      = "unknown_class"
	CodeConflictingLabels = "conflicting_duplicates"
	CodeDuplicates        = "duplicates"
	CodeImbalance         = "class_imbalance"
	CodeValidationMissing = "validation_missing_class"
)

// Issue is one finding, with the files concerned.
type Issue struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Paths   []string `json:"paths,omitempty"`
}

// ClassCount is the number of usable images of a class in each split
// (Train counts the whole pool when the dataset has no split folders).
type ClassCount struct {
	Label      string `json:"label"`
	Train      int    `json:"train"`
	Validation int    `json:"validation"`
	Test       int    `json:"test"`
}

// Report is the outcome of validation: Problems block training, Warnings
// do not.
type Report struct {
	Classes []ClassCount `json:"classes"`
	// Positive is the positive label of a binary task.
	Positive string `json:"positive,omitempty"`
	// Imbalance is the largest over the smallest training class count.
	Imbalance float64 `json:"imbalance"`
	Problems  []Issue `json:"problems"`
	Warnings  []Issue `json:"warnings"`
}

// OK reports whether training may start.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// ErrInvalid is wrapped by Report.Err.
var ErrInvalid = errors.New("invalid dataset")

// Err returns nil when the report has no problems, else an error wrapping
// ErrInvalid that lists every problem.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	msgs := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		msgs[i] = p.Message
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// Labels returns the class labels in class-id order (sorted).
func (r Report) Labels() []string {
	out := make([]string, len(r.Classes))
	for i, c := range r.Classes {
		out[i] = c.Label
	}
	return out
}

// Validate checks a dataset: its layout and the inspected records of its
// image files.
func Validate(l Layout, recs []Record, opts Options) Report {
	opts = opts.withDefaults()
	var r Report
	r.problem(CodeNotImages, "files that are not images (accepted: "+strings.Join(imageExts, " ")+")", l.NonImages, l.NonImages)
	r.problem(CodeMisplaced, "files outside a class folder (use LABEL/FILE or train|validation|test/LABEL/FILE)", l.Misplaced, l.Misplaced)
	var corrupt, why []string
	for _, rec := range recs {
		if !rec.Decodable {
			corrupt, why = append(corrupt, rec.Path), append(why, rec.Path+" ("+rec.Err+")")
		}
	}
	r.problem(CodeCorrupt, "corrupt or unreadable images", why, corrupt)
	r.count(recs, l.Splits)
	r.checkClasses(opts)
	r.checkPositive(opts.Positive)
	r.checkDuplicates(recs)
	return r
}

// count fills Classes from the decodable records; classes are those of the
// training pool, labels seen only in validation or test are problems.
func (r *Report) count(recs []Record, splits bool) {
	byLabel := map[string]*ClassCount{}
	for _, rec := range recs {
		if rec.Decodable && (rec.Split == SplitTrain || rec.Split == "") && byLabel[rec.Label] == nil {
			byLabel[rec.Label] = &ClassCount{Label: rec.Label}
		}
	}
	var stray []string
	for _, rec := range recs {
		c := byLabel[rec.Label]
		switch {
		case !rec.Decodable:
		case c == nil:
			stray = append(stray, rec.Path)
		case rec.Split == SplitValidation:
			c.Validation++
		case rec.Split == SplitTest:
			c.Test++
		default:
			c.Train++
		}
	}
	for _, c := range byLabel {
		r.Classes = append(r.Classes, *c)
	}
	slices.SortFunc(r.Classes, func(a, b ClassCount) int { return strings.Compare(a.Label, b.Label) })
	r.problem(CodeUnknownClass, "images in a class that has no training images", stray, stray)
	if !splits {
		return
	}
	var missing []string
	hasVal := false
	for _, c := range r.Classes {
		hasVal = hasVal || c.Validation > 0
		if c.Validation == 0 {
			missing = append(missing, c.Label)
		}
	}
	if hasVal && len(missing) > 0 {
		r.Warnings = append(r.Warnings, Issue{Code: CodeValidationMissing, Message: fmt.Sprintf(
			"no validation images for %s: per-class metrics are undefined there", strings.Join(missing, ", "))})
	}
}

// checkClasses checks class and image counts and the imbalance.
func (r *Report) checkClasses(o Options) {
	if len(r.Classes) == 0 {
		r.Problems = append(r.Problems, Issue{Code: CodeNoImages, Message: "the dataset has no readable training images"})
		return
	}
	if len(r.Classes) < o.MinClasses {
		r.Problems = append(r.Problems, Issue{Code: CodeTooFewClasses, Message: fmt.Sprintf(
			"found %d class (%s), need at least %d class folders", len(r.Classes), strings.Join(r.Labels(), ", "), o.MinClasses)})
	}
	lo, hi := math.MaxInt, 0
	var few []string
	for _, c := range r.Classes {
		lo, hi = min(lo, c.Train), max(hi, c.Train)
		if c.Train < o.MinPerClass {
			few = append(few, fmt.Sprintf("%s has %d", c.Label, c.Train))
		}
	}
	if len(few) > 0 {
		r.Problems = append(r.Problems, Issue{Code: CodeTooFewImages, Message: fmt.Sprintf(
			"need at least %d training images per class: %s", o.MinPerClass, strings.Join(few, ", "))})
	}
	if lo > 0 {
		r.Imbalance = float64(hi) / float64(lo)
	}
	if len(r.Classes) >= 2 && lo > 0 && r.Imbalance > o.MaxImbalance {
		r.Warnings = append(r.Warnings, Issue{Code: CodeImbalance, Message: fmt.Sprintf(
			"classes are imbalanced: the largest has %.1f times the images of the smallest (%d vs %d); accuracy will flatter the model, compare recall and F1",
			r.Imbalance, hi, lo)})
	}
}

// checkPositive requires an explicit, existing positive label for a binary
// task.
func (r *Report) checkPositive(pos string) {
	labels := r.Labels()
	switch {
	case len(labels) == 2 && pos == "":
		r.Problems = append(r.Problems, Issue{Code: CodePositiveMissing, Message: fmt.Sprintf(
			"a binary task needs an explicit positive label: one of %s", strings.Join(labels, ", "))})
	case pos != "" && !slices.Contains(labels, pos):
		r.Problems = append(r.Problems, Issue{Code: CodePositiveUnknown, Message: fmt.Sprintf(
			"positive label %q is not a class (classes: %s)", pos, strings.Join(labels, ", "))})
	case pos != "" && len(labels) > 2:
		r.Warnings = append(r.Warnings, Issue{Code: CodePositiveIgnored, Message: fmt.Sprintf(
			"positive label %q is ignored: the task has %d classes", pos, len(labels))})
	case len(labels) == 2:
		r.Positive = pos
	}
}

// checkDuplicates reports files with identical bytes: under different
// labels they are a labelling error (problem), under one label a warning
// (they weigh double and may sit on both sides of the split).
func (r *Report) checkDuplicates(recs []Record) {
	groups := map[string][]Record{}
	var order []string
	for _, rec := range recs {
		if rec.Hash == "" {
			continue
		}
		if len(groups[rec.Hash]) == 0 {
			order = append(order, rec.Hash)
		}
		groups[rec.Hash] = append(groups[rec.Hash], rec)
	}
	var conflicts, dups, conflictPaths, dupPaths []string
	for _, h := range order {
		g := groups[h]
		if len(g) < 2 {
			continue
		}
		paths, labels := make([]string, len(g)), map[string]bool{}
		for i, rec := range g {
			paths[i], labels[rec.Label] = rec.Path, true
		}
		entry := strings.Join(paths, " = ")
		if len(labels) > 1 {
			conflicts, conflictPaths = append(conflicts, entry), append(conflictPaths, paths...)
		} else {
			dups, dupPaths = append(dups, entry), append(dupPaths, paths...)
		}
	}
	r.problem(CodeConflictingLabels, "identical images under different labels; keep one copy in the right class", conflicts, conflictPaths)
	r.warn(CodeDuplicates, "identical images stored more than once (same content hash); copies count twice and can leak into validation", dups, dupPaths)
}

// problem and warn add an issue "<title> (<n>): <items>" when there are
// items; paths are the files concerned (items may add details to them).
func (r *Report) problem(code, title string, items, paths []string) {
	if len(items) > 0 {
		r.Problems = append(r.Problems, newIssue(code, title, items, paths))
	}
}

func (r *Report) warn(code, title string, items, paths []string) {
	if len(items) > 0 {
		r.Warnings = append(r.Warnings, newIssue(code, title, items, paths))
	}
}

func newIssue(code, title string, items, paths []string) Issue {
	return Issue{Code: code, Paths: paths, Message: fmt.Sprintf("%s (%d): %s", title, len(items), listed(items))}
}

// maxListed is how many paths a message names before "and N more".
const maxListed = 10

func listed(paths []string) string {
	s := strings.Join(paths[:min(len(paths), maxListed)], ", ")
	if len(paths) > maxListed {
		s += fmt.Sprintf(" and %d more", len(paths)-maxListed)
	}
	return s
}
