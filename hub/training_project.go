package hub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// CandidateInput is a candidate to train: a head on a base model.
type CandidateInput struct {
	Base RepoID // "" name: TrainingConfig.DefaultBase
	Head string
}

// ProjectInput describes a project to create.
type ProjectInput struct {
	Name         RepoID // model repo to publish to; its namespace owns the project
	Dataset      RepoID
	Revision     string  // dataset revision, "" = main
	Positive     string  // required for a binary task
	Metric       string  // default f1 (binary) or accuracy (multi-class)
	TargetRecall float64 // 0 = none, else in (0, 1]
	Seed         int64   // default 42
	Candidates   []CandidateInput
	Runner       string // default TrainingConfig.DefaultRunner
}

// DefaultSeed is the seed of projects that give none.
const DefaultSeed = 42

// CreateProject validates the dataset (before anything else is created;
// an invalid one gives ErrInvalid wrapping *InvalidDatasetError), creates
// one private model repo per candidate under the project's namespace,
// records the project and submits one training job per candidate.
func (tr *Training) CreateProject(ctx context.Context, c *Caller, in ProjectInput) (*ProjectStatus, error) {
	p, err := tr.prepare(ctx, c, in)
	if err != nil {
		return nil, err
	}
	check, err := tr.ValidateDataset(ctx, c, DatasetInput{Dataset: in.Dataset, Revision: in.Revision, Positive: in.Positive})
	if err != nil {
		return nil, err
	}
	if !check.Report.OK() {
		return nil, &Error{Kind: ErrInvalid, Err: &InvalidDatasetError{Check: check},
			Message: "the dataset cannot be trained on: " + strings.TrimPrefix(check.Report.Err().Error(), "invalid dataset: ")}
	}
	p.Dataset, p.Revision, p.Synthetic = check.Dataset, check.Revision, check.Synthetic
	p.Labels, p.Positive = check.Report.Labels(), check.Report.Positive
	if p.Metric == "" {
		p.Metric = "f1"
		if len(p.Labels) > 2 {
			p.Metric = "accuracy"
		}
	}
	if _, err := rankKey(p.Metric, len(p.Labels)); err != nil {
		return nil, err
	}
	if err := tr.createCandidateRepos(ctx, c, p); err != nil {
		return nil, err
	}
	if err := tr.store.CreateProject(ctx, p); err != nil {
		return nil, fmt.Errorf("create project: %w", err)
	}
	if err := tr.submit(ctx, c, p); err != nil {
		return nil, err
	}
	return tr.status(ctx, p)
}

// prepare checks the caller's rights and the input, and returns the
// project without its dataset fields.
func (tr *Training) prepare(ctx context.Context, c *Caller, in ProjectInput) (*Project, error) {
	in.Name.Type, in.Dataset.Type = Model, Dataset
	if err := in.Name.Validate(); err != nil {
		return nil, err
	}
	if err := tr.authorize(ctx, c, in.Name.Namespace, true); err != nil {
		return nil, err
	}
	if err := in.Dataset.Validate(); err != nil {
		return nil, err
	}
	if in.Runner == "" {
		in.Runner = tr.cfg.DefaultRunner
	}
	if err := tr.checkRunner(in.Runner); err != nil {
		return nil, err
	}
	if in.TargetRecall < 0 || in.TargetRecall > 1 || math.IsNaN(in.TargetRecall) {
		return nil, Errorf(ErrInvalid, "targetRecall %v outside (0, 1]", in.TargetRecall)
	}
	if in.Seed == 0 {
		in.Seed = DefaultSeed
	}
	if in.Metric != "" && !slices.Contains(metricNames, in.Metric) {
		return nil, Errorf(ErrInvalid, "unknown metric %q: one of %s", in.Metric, strings.Join(metricNames, ", "))
	}
	id, err := newJobID()
	if err != nil {
		return nil, fmt.Errorf("create project: %w", err)
	}
	p := &Project{ID: id, Name: normalizeID(in.Name), Owner: c.User.Name, Metric: in.Metric,
		TargetRecall: in.TargetRecall, Seed: in.Seed, Runner: in.Runner, CreatedAt: tr.svc.now()}
	if p.Candidates, err = tr.candidates(ctx, c, p.Name, in.Candidates); err != nil {
		return nil, err
	}
	return p, nil
}

// candidates names the candidates (default ones when none are given) and
// checks their heads and base models.
func (tr *Training) candidates(ctx context.Context, c *Caller, name RepoID, in []CandidateInput) ([]Candidate, error) {
	if len(in) == 0 {
		for _, h := range tr.cfg.DefaultHeads {
			in = append(in, CandidateInput{Head: h})
		}
	}
	if len(in) > maxCandidates {
		return nil, Errorf(ErrInvalid, "at most %d candidates a project", maxCandidates)
	}
	bases := map[string]bool{}
	for i := range in {
		if in[i].Base.Name == "" {
			in[i].Base = tr.cfg.DefaultBase
		}
		in[i].Base.Type = Model
		bases[strings.ToLower(in[i].Base.String())] = true
	}
	out := make([]Candidate, 0, len(in))
	seen := map[string]bool{}
	for _, ci := range in {
		if !slices.Contains(Heads, ci.Head) {
			return nil, Errorf(ErrInvalid, "unknown head %q: one of %s", ci.Head, strings.Join(Heads, ", "))
		}
		base, err := tr.svc.FindRepo(ctx, c, ci.Base, ActionRead)
		if err != nil {
			return nil, fmt.Errorf("base model %s: %w", ci.Base, err)
		}
		cand := Candidate{Name: ci.Head, Base: base.ID, Head: ci.Head}
		if len(bases) > 1 {
			cand.Name = strings.ToLower(base.ID.Name) + "-" + ci.Head
		}
		if seen[cand.Name] {
			return nil, Errorf(ErrInvalid, "candidate %s (%s on %s) is listed twice", cand.Name, ci.Head, base.ID)
		}
		seen[cand.Name] = true
		cand.Repo = RepoID{Type: Model, Namespace: name.Namespace, Name: name.Name + "-" + cand.Name}
		if err := cand.Repo.Validate(); err != nil {
			return nil, Errorf(ErrInvalid, "candidate repo %s: %s; choose a shorter project name", cand.Repo, ErrorMessage(err))
		}
		out = append(out, cand)
	}
	return out, nil
}

// maxCandidates bounds the candidates of one project.
const maxCandidates = 12

// createCandidateRepos creates the candidates' private repos, all or none.
func (tr *Training) createCandidateRepos(ctx context.Context, c *Caller, p *Project) error {
	for _, cand := range p.Candidates {
		if _, err := tr.svc.Meta.GetRepo(ctx, cand.Repo); err == nil {
			return Errorf(ErrConflict, "the candidate repo %s already exists: choose another project name", cand.Repo)
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("create project: %w", err)
		}
	}
	for i, cand := range p.Candidates {
		if _, err := tr.svc.CreateRepo(ctx, c, CreateRepoInput{ID: cand.Repo, Private: true}); err != nil {
			for _, done := range p.Candidates[:i] {
				tr.logErr("remove candidate repo", p.ID, tr.svc.DeleteRepo(context.WithoutCancel(ctx), Operator(), done.Repo))
			}
			return err
		}
	}
	return nil
}

// submit submits one job per candidate and records the job ids.
func (tr *Training) submit(ctx context.Context, c *Caller, p *Project) error {
	ids := make([]string, len(p.Candidates))
	var subErr error
	for i, cand := range p.Candidates {
		job, err := tr.jobs.Submit(ctx, c, JobInput{Kind: JobKindTrain, Project: p.Name.String(),
			Reads: []RepoID{p.Dataset, cand.Base}, Writes: []RepoID{cand.Repo}, Spec: specOf(p, cand)})
		if err != nil {
			subErr = err
			break
		}
		ids[i] = job.ID
	}
	_, err := tr.update(ctx, p.ID, func(q *Project) bool {
		for i := range q.Candidates {
			q.Candidates[i].JobID = ids[i]
		}
		return true
	}, p)
	if subErr != nil {
		return subErr
	}
	return err
}

// update reads project id, lets mutate change it (false: nothing to do)
// and writes it back with compare-and-swap, retrying on concurrent
// writes. The result is copied into into when not nil.
func (tr *Training) update(ctx context.Context, id string, mutate func(*Project) bool, into *Project) (*Project, error) {
	for range maxJobCAS {
		p, err := tr.store.GetProject(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("update project %s: %w", id, err)
		}
		if !mutate(p) {
			return p, nil
		}
		err = tr.store.UpdateProject(ctx, p)
		if errors.Is(err, ErrPrecondition) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update project %s: %w", id, err)
		}
		if into != nil {
			*into = *p.Clone()
		}
		return p, nil
	}
	return nil, Errorf(ErrConflict, "project %s is being updated concurrently; try again", id)
}

// GetProject returns a project with its jobs and leaderboard.
func (tr *Training) GetProject(ctx context.Context, c *Caller, id string) (*ProjectStatus, error) {
	p, err := tr.load(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	return tr.status(ctx, p)
}

// ListProjects returns the projects of namespace ns ("" = every
// namespace the caller manages; every project for a site administrator),
// oldest first.
func (tr *Training) ListProjects(ctx context.Context, c *Caller, ns string) ([]*ProjectStatus, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to list training projects")
	}
	if err := tr.svc.LoadMemberships(ctx, c); err != nil {
		return nil, err
	}
	var spaces []string
	switch {
	case ns != "":
		spaces = []string{ns}
	case c.User.Admin && (c.Token == nil || c.Token.Role != RoleFineGrained):
		spaces = []string{""}
	default:
		spaces = append(spaces, c.User.Name)
		for _, m := range c.Orgs {
			spaces = append(spaces, m.Org)
		}
	}
	var all []*Project
	for _, s := range spaces {
		if s != "" && tr.authorize(ctx, c, s, false) != nil {
			continue
		}
		ps, err := tr.store.ListProjects(ctx, ProjectFilter{Namespace: s})
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		all = append(all, ps...)
	}
	slices.SortStableFunc(all, func(a, b *Project) int {
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*ProjectStatus, 0, len(all))
	for _, p := range all {
		st, err := tr.status(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// CancelProject cancels every job of the project that has not ended.
func (tr *Training) CancelProject(ctx context.Context, c *Caller, id string) (*ProjectStatus, error) {
	p, err := tr.load(ctx, c, id, true)
	if err != nil {
		return nil, err
	}
	st, err := tr.status(ctx, p)
	if err != nil {
		return nil, err
	}
	if st.State != ProjectRunning {
		return st, nil
	}
	now := tr.svc.now()
	if p, err = tr.update(ctx, id, func(q *Project) bool {
		if !q.CancelledAt.IsZero() {
			return false
		}
		q.CancelledAt = now
		return true
	}, nil); err != nil {
		return nil, err
	}
	for _, cand := range p.Candidates {
		if cand.JobID == "" {
			continue
		}
		if _, err := tr.jobs.Cancel(ctx, Operator(), cand.JobID); err != nil {
			return nil, fmt.Errorf("cancel candidate %s: %w", cand.Name, err)
		}
	}
	return tr.status(ctx, p)
}

// load reads a project and checks the caller may see it (or manage it).
func (tr *Training) load(ctx context.Context, c *Caller, id string, write bool) (*Project, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to use training projects")
	}
	if !jobIDRE.MatchString(id) {
		return nil, projectNotFound(id)
	}
	p, err := tr.store.GetProject(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, projectNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("get project: %w", err)
	}
	if err := tr.authorize(ctx, c, p.Name.Namespace, false); err != nil {
		return nil, projectNotFound(id)
	}
	if write {
		if err := tr.authorize(ctx, c, p.Name.Namespace, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func projectNotFound(id string) error {
	return Errorf(ErrNotFound, "training project %s not found", id)
}

// authorize decides whether c may see (write false) or manage the
// projects of namespace ns: the namespace's writers and site
// administrators, within what the caller's token allows (read tokens
// see, fine-grained tokens need a scope on the namespace).
func (tr *Training) authorize(ctx context.Context, c *Caller, ns string, write bool) error {
	if c.Anonymous() {
		return Errorf(ErrUnauthorized, "You must be authenticated to use training projects")
	}
	if err := tr.svc.LoadMemberships(ctx, c); err != nil {
		return err
	}
	if write {
		return AuthorizeNamespace(c, ns)
	}
	if namespaceLevel(c, ns) < levelWrite {
		return Errorf(ErrForbidden, "You don't have the rights to see the training projects of %q", ns)
	}
	if c.Token != nil && c.Token.Role == RoleFineGrained && namespaceScopeLevel(c.Token, ns) < levelRead {
		return Errorf(ErrForbidden, "This token (%s) cannot see the training projects of %q", c.Token.Role, ns)
	}
	return nil
}

func (tr *Training) logErr(op, id string, err error) {
	if err != nil {
		tr.log.Error(op, "project", id, "err", err)
	}
}
