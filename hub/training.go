package hub

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// Spec keys of a training job: the task's environment, the contract
// between the hub and the trainer (`quarry train-worker`).
const (
	SpecTrainDataset      = "QUARRY_TRAIN_DATASET"       // dataset repo "ns/name"
	SpecTrainRevision     = "QUARRY_TRAIN_REVISION"      // dataset commit sha
	SpecTrainBase         = "QUARRY_TRAIN_BASE"          // base model repo "ns/name"
	SpecTrainHead         = "QUARRY_TRAIN_HEAD"          // logreg | mlp | gbdt
	SpecTrainOutput       = "QUARRY_TRAIN_OUTPUT"        // candidate model repo "ns/name"
	SpecTrainPositive     = "QUARRY_TRAIN_POSITIVE"      // positive label (binary) or ""
	SpecTrainMetric       = "QUARRY_TRAIN_METRIC"        // ranking metric
	SpecTrainTargetRecall = "QUARRY_TRAIN_TARGET_RECALL" // "" or a float in (0, 1]
	SpecTrainSeed         = "QUARRY_TRAIN_SEED"          // integer seed
	SpecTrainSynthetic    = "QUARRY_TRAIN_SYNTHETIC"     // "1" when the dataset card says synthetic
	SpecTrainProject      = "QUARRY_TRAIN_PROJECT"       // project name "ns/name" (the published model id)
	SpecTrainCandidate    = "QUARRY_TRAIN_CANDIDATE"     // candidate name within the project
	SpecTrainRunner       = "QUARRY_TRAIN_RUNNER"        // runner chosen for the project (RunnerSet)
)

// JobKindTrain is the kind of training jobs.
const JobKindTrain = "train"

// Project is a training project: N candidates (base model x head) trained
// on one dataset revision, one job each, ranked by one metric; the winner
// (or a chosen candidate) is published to the model repo Name.
type Project struct {
	ID           string   // 16 lower-case hex
	Name         RepoID   // model repo the result is published to
	Owner        string   // user who created the project
	Dataset      RepoID   // dataset repo (type dataset)
	Revision     string   // dataset commit the candidates train on
	Positive     string   // positive label of a binary task, else ""
	Labels       []string // class labels found by validation, sorted
	Metric       string   // ranking metric
	TargetRecall float64  // decision threshold target, 0 when none
	Seed         int64    // split and head seed
	Runner       string   // job runner name ("process", "podman")
	Synthetic    bool     // the dataset card says the data is synthetic
	Candidates   []Candidate
	CancelledAt  time.Time    // zero unless cancel was requested
	Published    *Publication // the last publication, nil when none
	CreatedAt    time.Time
	Version      int64 // incremented by every store update (compare-and-swap)
}

// Candidate is one model a project trains.
type Candidate struct {
	Name  string // unique in the project: the head, or "<base name>-<head>"
	Base  RepoID // base model repo
	Head  string // "logreg", "mlp" or "gbdt"
	Repo  RepoID // private output repo "<project name>-<candidate name>"
	JobID string // "" until submitted
}

// Publication records the copy of a candidate to the project's repo.
type Publication struct {
	Candidate string
	Repo      RepoID
	Commit    string
	At        time.Time
}

// Clone returns a deep copy of p.
func (p *Project) Clone() *Project {
	c := *p
	c.Labels = slices.Clone(p.Labels)
	c.Candidates = slices.Clone(p.Candidates)
	if p.Published != nil {
		pub := *p.Published
		c.Published = &pub
	}
	return &c
}

// ProjectFilter selects projects for ProjectStore.ListProjects.
type ProjectFilter struct {
	Namespace string // namespace of Name, exact, case-insensitive; "" for all
	Limit     int    // at most this many; <= 0: no limit
}

// ProjectStore keeps training projects. Updates are compare-and-swap on
// Version.
type ProjectStore interface {
	// CreateProject stores a new project; ErrConflict when the id exists.
	// The store sets Version to 1.
	CreateProject(ctx context.Context, p *Project) error
	// GetProject returns a project by id; ErrNotFound when missing.
	GetProject(ctx context.Context, id string) (*Project, error)
	// UpdateProject overwrites project p.ID if its stored Version equals
	// p.Version, then sets p.Version to the next value; a stale version
	// gives ErrPrecondition and changes nothing, a missing project
	// ErrNotFound.
	UpdateProject(ctx context.Context, p *Project) error
	// ListProjects returns the projects matching f, oldest first
	// (CreatedAt, then ID).
	ListProjects(ctx context.Context, f ProjectFilter) ([]*Project, error)
}

// TrainingConfig configures Training.
type TrainingConfig struct {
	// DefaultBase is the base model of default candidates (default
	// quarry/mobilenet-v2-140-224).
	DefaultBase RepoID
	// DefaultHeads are the heads of default candidates (default logreg,
	// mlp, gbdt).
	DefaultHeads []string
	// DefaultRunner is the runner of projects that name none (default
	// "process").
	DefaultRunner string
	// CheckRunner reports whether a runner may be chosen (nil: only
	// DefaultRunner); RunnerSet.Check fits.
	CheckRunner func(name string) error
	// Logger receives errors of background work; nil: slog.Default().
	Logger *slog.Logger
}

// Training runs training projects over Jobs. Its methods take the Caller
// and check access: a project belongs to the namespace of its Name; its
// writers (the user of a personal namespace, org members with the write or
// admin role) and site administrators may see and manage it.
type Training struct {
	svc   *Service
	jobs  *Jobs
	store ProjectStore
	cfg   TrainingConfig
	log   *slog.Logger
}

// Heads are the candidate heads a project may train.
var Heads = []string{"logreg", "mlp", "gbdt"}

// NewTraining returns the training service; store is usually svc.Meta.
func NewTraining(svc *Service, jobs *Jobs, store ProjectStore, cfg TrainingConfig) *Training {
	if cfg.DefaultBase.Name == "" {
		cfg.DefaultBase = RepoID{Type: Model, Namespace: "quarry", Name: "mobilenet-v2-140-224"}
	}
	if len(cfg.DefaultHeads) == 0 {
		cfg.DefaultHeads = slices.Clone(Heads)
	}
	if cfg.DefaultRunner == "" {
		cfg.DefaultRunner = "process"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Training{svc: svc, jobs: jobs, store: store, cfg: cfg, log: log}
}

// checkRunner refuses runners this server cannot use.
func (tr *Training) checkRunner(name string) error {
	if tr.cfg.CheckRunner != nil {
		return tr.cfg.CheckRunner(name)
	}
	if name != tr.cfg.DefaultRunner {
		return Errorf(ErrInvalid, "unknown runner %q: this server runs jobs with %q", name, tr.cfg.DefaultRunner)
	}
	return nil
}

// specOf is the job spec of candidate c of project p.
func specOf(p *Project, c Candidate) map[string]string {
	spec := map[string]string{
		SpecTrainDataset: p.Dataset.String(), SpecTrainRevision: p.Revision, SpecTrainBase: c.Base.String(),
		SpecTrainHead: c.Head, SpecTrainOutput: c.Repo.String(), SpecTrainPositive: p.Positive,
		SpecTrainMetric: p.Metric, SpecTrainTargetRecall: "", SpecTrainSeed: strconv.FormatInt(p.Seed, 10),
		SpecTrainSynthetic: "", SpecTrainProject: p.Name.String(), SpecTrainCandidate: c.Name,
		SpecTrainRunner: p.Runner,
	}
	if p.TargetRecall > 0 {
		spec[SpecTrainTargetRecall] = strconv.FormatFloat(p.TargetRecall, 'g', -1, 64)
	}
	if p.Synthetic {
		spec[SpecTrainSynthetic] = "1"
	}
	return spec
}
