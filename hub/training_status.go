package hub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ProjectState is where a project is, derived from its jobs.
type ProjectState string

// Project states.
const (
	ProjectRunning   ProjectState = "running"   // a job has not ended
	ProjectSucceeded ProjectState = "succeeded" // every job ended and at least one succeeded
	ProjectFailed    ProjectState = "failed"    // every job ended, none succeeded, none cancelled
	ProjectCancelled ProjectState = "cancelled" // cancel requested, or jobs cancelled and none succeeded
)

// ProjectStatus is a project with its jobs: the leaderboard.
type ProjectStatus struct {
	Project *Project
	State   ProjectState
	// Leaderboard holds every candidate: the ranked ones (succeeded with
	// the metric) by rank, then the others in project order.
	Leaderboard []CandidateStatus
	// Winner is the first of the leaderboard when ranked, else nil.
	Winner *CandidateStatus
	// RankedOn is RankedOnCV when the ranked candidates were ordered by
	// their cross-validated value of the metric, RankedOnValidation when
	// by their validation value, "" when none is ranked.
	RankedOn string
}

// CandidateStatus is a candidate with its job.
type CandidateStatus struct {
	Candidate
	Job     *Job               // nil when no job was submitted
	Metrics map[string]float64 // from the job record
	Rank    int                // 1 = best; 0 when not ranked (not succeeded, or no value of the metric)
}

// metricNames are the ranking metrics (as train/metrics names them).
var metricNames = []string{"loss", "accuracy", "precision", "recall", "f1", "auc",
	"f1_macro", "f1_micro", "f1_weighted", "precision_macro", "precision_micro", "precision_weighted",
	"recall_macro", "recall_micro", "recall_weighted"}

// rankKey returns the metrics key that metric reads for a task with the
// given number of classes (as train/pipeline ranks).
func rankKey(metric string, classes int) (string, error) {
	binary := []string{"loss", "accuracy", "precision", "recall", "f1", "auc"}
	switch {
	case classes == 2 && slices.Contains(binary, metric):
		return metric, nil
	case classes == 2:
		return "", Errorf(ErrInvalid, "metric %q is a multi-class metric; this task is binary (use one of loss, accuracy, precision, recall, f1, auc)", metric)
	case metric == "auc":
		return "", Errorf(ErrInvalid, "metric auc is defined for binary tasks only; this task has %d classes", classes)
	case metric == "f1" || metric == "precision" || metric == "recall":
		return metric + "_macro", nil
	}
	return metric, nil
}

// status loads the project's jobs and ranks its candidates.
func (tr *Training) status(ctx context.Context, p *Project) (*ProjectStatus, error) {
	st := &ProjectStatus{Project: p.Clone()}
	cands := make([]CandidateStatus, len(p.Candidates))
	for i, cand := range p.Candidates {
		cands[i].Candidate = cand
		if cand.JobID == "" {
			continue
		}
		job, err := tr.jobs.load(ctx, cand.JobID)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("project %s: %w", p.ID, err)
		}
		job.TokenHash = ""
		cands[i].Job, cands[i].Metrics = job, job.Metrics
	}
	st.State = projectState(p, cands)
	st.Leaderboard, st.RankedOn = rank(cands, p.Metric, len(p.Labels))
	if len(st.Leaderboard) > 0 && st.Leaderboard[0].Rank == 1 {
		w := st.Leaderboard[0]
		st.Winner = &w
	}
	return st, nil
}

// projectState derives the project's state from its candidates' jobs.
func projectState(p *Project, cands []CandidateStatus) ProjectState {
	succeeded, cancelled := false, !p.CancelledAt.IsZero()
	for _, c := range cands {
		switch {
		case c.Job == nil: // never submitted: as a failure
		case !c.Job.State.Terminal():
			return ProjectRunning
		case c.Job.State == JobSucceeded:
			succeeded = true
		case c.Job.State == JobCancelled:
			cancelled = true
		}
	}
	switch {
	case succeeded:
		return ProjectSucceeded
	case cancelled:
		return ProjectCancelled
	}
	return ProjectFailed
}

// Metric-name conventions of a training job's metrics: "accuracy" is
// measured on the validation split, "cv_accuracy" is the k-fold
// cross-validated estimate over all the images and "cv_accuracy_se" its
// standard error (as the trainer reports them).
const (
	CVMetricPrefix = "cv_"
	CVStdErrSuffix = "_se"
)

// What a leaderboard is ranked on (ProjectStatus.RankedOn).
const (
	RankedOnCV         = "cross-validation"
	RankedOnValidation = "validation"
)

// rank orders the candidates: succeeded ones with a finite value of the
// metric by that value (loss ascending, every other metric descending),
// then the rest in project order. When every ranked candidate also has
// the cross-validated value of the metric (CVMetricPrefix), that value
// ranks first and the validation value breaks ties: an estimate over all
// the images is steadier than one over the validation split, so the best
// of several is less often best by luck. Remaining ties keep project
// order. It also returns what the ranking was on.
func rank(cands []CandidateStatus, metric string, classes int) ([]CandidateStatus, string) {
	key, err := rankKey(metric, classes)
	if err != nil {
		key = metric
	}
	value := func(c CandidateStatus, k string) (float64, bool) {
		if c.Job == nil || c.Job.State != JobSucceeded {
			return 0, false
		}
		v, ok := c.Metrics[k]
		if key == "loss" {
			v = -v
		}
		return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	var ranked, rest []CandidateStatus
	on := RankedOnCV
	for _, c := range cands {
		if _, ok := value(c, key); ok {
			ranked = append(ranked, c)
			if _, cv := value(c, CVMetricPrefix+key); !cv {
				on = RankedOnValidation
			}
		} else {
			rest = append(rest, c)
		}
	}
	keys := []string{key}
	if on == RankedOnCV && len(ranked) > 0 {
		keys = []string{CVMetricPrefix + key, key}
	}
	slices.SortStableFunc(ranked, func(a, b CandidateStatus) int {
		for _, k := range keys {
			va, _ := value(a, k)
			vb, _ := value(b, k)
			switch {
			case va > vb:
				return -1
			case va < vb:
				return 1
			}
		}
		return 0
	})
	for i := range ranked {
		ranked[i].Rank = i + 1
	}
	if len(ranked) == 0 {
		on = ""
	}
	return append(ranked, rest...), on
}
