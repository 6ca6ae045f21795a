package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"quarry/hub"
	"quarry/infra/internal/repoidjson"
)

// projectDoc is the stored JSON form of the project fields without columns.
type projectDoc struct {
	Name         repoidjson.ID   `json:"name"`
	Owner        string          `json:"owner"`
	Dataset      repoidjson.ID   `json:"dataset"`
	Revision     string          `json:"revision,omitempty"`
	Positive     string          `json:"positive,omitempty"`
	Labels       []string        `json:"labels,omitempty"`
	Metric       string          `json:"metric,omitempty"`
	TargetRecall float64         `json:"targetRecall,omitempty"`
	Seed         int64           `json:"seed,omitempty"`
	Runner       string          `json:"runner,omitempty"`
	Synthetic    bool            `json:"synthetic,omitempty"`
	Candidates   []candidateDoc  `json:"candidates,omitempty"`
	CancelledAt  string          `json:"cancelledAt"`
	Published    *publicationDoc `json:"published,omitempty"`
}

type candidateDoc struct {
	Name  string        `json:"name"`
	Base  repoidjson.ID `json:"base"`
	Head  string        `json:"head"`
	Repo  repoidjson.ID `json:"repo"`
	JobID string        `json:"jobId,omitempty"`
}

type publicationDoc struct {
	Candidate string        `json:"candidate"`
	Repo      repoidjson.ID `json:"repo"`
	Commit    string        `json:"commit"`
	At        string        `json:"at"`
}

func encodeProject(p *hub.Project) (string, error) {
	d := projectDoc{Name: repoidjson.From(p.Name), Owner: p.Owner, Dataset: repoidjson.From(p.Dataset), Revision: p.Revision,
		Positive: p.Positive, Labels: p.Labels, Metric: p.Metric, TargetRecall: p.TargetRecall, Seed: p.Seed,
		Runner: p.Runner, Synthetic: p.Synthetic, CancelledAt: fmtTime(p.CancelledAt)}
	for _, c := range p.Candidates {
		d.Candidates = append(d.Candidates, candidateDoc{Name: c.Name, Base: repoidjson.From(c.Base), Head: c.Head,
			Repo: repoidjson.From(c.Repo), JobID: c.JobID})
	}
	if pub := p.Published; pub != nil {
		d.Published = &publicationDoc{Candidate: pub.Candidate, Repo: repoidjson.From(pub.Repo), Commit: pub.Commit, At: fmtTime(pub.At)}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode project %s: %w", p.ID, err)
	}
	return string(b), nil
}

const projectCols = `id, created_at, version, doc`

func scanProject(s scanner) (*hub.Project, error) {
	var (
		p          hub.Project
		created, b string
		d          projectDoc
	)
	if err := s.Scan(&p.ID, &created, &p.Version, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(b), &d); err != nil {
		return nil, fmt.Errorf("sqlite: bad project %s: %w", p.ID, err)
	}
	p.Name, p.Owner, p.Dataset, p.Revision = d.Name.RepoID(), d.Owner, d.Dataset.RepoID(), d.Revision
	p.Positive, p.Labels, p.Metric, p.TargetRecall = d.Positive, d.Labels, d.Metric, d.TargetRecall
	p.Seed, p.Runner, p.Synthetic = d.Seed, d.Runner, d.Synthetic
	for _, c := range d.Candidates {
		p.Candidates = append(p.Candidates, hub.Candidate{Name: c.Name, Base: c.Base.RepoID(), Head: c.Head,
			Repo: c.Repo.RepoID(), JobID: c.JobID})
	}
	var err error
	if p.CreatedAt, err = parseTime(created); err == nil {
		p.CancelledAt, err = parseTime(d.CancelledAt)
	}
	if pub := d.Published; pub != nil && err == nil {
		p.Published = &hub.Publication{Candidate: pub.Candidate, Repo: pub.Repo.RepoID(), Commit: pub.Commit}
		p.Published.At, err = parseTime(pub.At)
	}
	return &p, err
}

// CreateProject implements hub.ProjectStore.
func (db *DB) CreateProject(ctx context.Context, p *hub.Project) error {
	if p.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "project id is required")
	}
	doc, err := encodeProject(p)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO projects (id, namespace_lower, created_at, version, doc)
		VALUES (?, ?, ?, 1, ?)`, p.ID, strings.ToLower(p.Name.Namespace), fmtTime(p.CreatedAt), doc)
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "project %s already exists", p.ID)
	}
	if err != nil {
		return dbError("create project", err)
	}
	p.Version = 1
	return nil
}

// GetProject implements hub.ProjectStore.
func (db *DB) GetProject(ctx context.Context, id string) (*hub.Project, error) {
	p, err := scanProject(db.row(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "project %s not found", id)
	}
	if err != nil {
		return nil, dbError("get project", err)
	}
	return p, nil
}

// UpdateProject implements hub.ProjectStore: one conditional UPDATE on
// version.
func (db *DB) UpdateProject(ctx context.Context, p *hub.Project) error {
	doc, err := encodeProject(p)
	if err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, `UPDATE projects SET namespace_lower = ?, created_at = ?,
		version = version + 1, doc = ? WHERE id = ? AND version = ?`, strings.ToLower(p.Name.Namespace),
		fmtTime(p.CreatedAt), doc, p.ID, p.Version)
	err = checkOne(res, err, "update project", hub.ErrPrecondition)
	if errors.Is(err, hub.ErrPrecondition) {
		if _, gerr := db.GetProject(ctx, p.ID); gerr != nil {
			return gerr
		}
		return hub.Errorf(hub.ErrPrecondition, "project %s was updated concurrently", p.ID)
	}
	if err != nil {
		return err
	}
	p.Version++
	return nil
}

// ListProjects implements hub.ProjectStore.
func (db *DB) ListProjects(ctx context.Context, f hub.ProjectFilter) ([]*hub.Project, error) {
	q, args := `SELECT `+projectCols+` FROM projects`, []any{}
	if f.Namespace != "" {
		q, args = q+` WHERE namespace_lower = ?`, append(args, strings.ToLower(f.Namespace))
	}
	q += ` ORDER BY created_at, id`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	return queryAll(ctx, db, "list projects", scanProject, q, args...)
}
