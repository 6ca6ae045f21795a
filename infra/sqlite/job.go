package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"quarry/hub"
	"quarry/infra/internal/repoidjson"
)

// jobDoc is the stored JSON form of the job fields without columns.
type jobDoc struct {
	Kind         string             `json:"kind,omitempty"`
	Owner        string             `json:"owner"`
	Reads        []repoidjson.ID    `json:"reads,omitempty"`
	Writes       []repoidjson.ID    `json:"writes,omitempty"`
	Spec         map[string]string  `json:"spec,omitempty"`
	Phase        string             `json:"phase,omitempty"`
	Done         int64              `json:"done,omitempty"`
	Total        int64              `json:"total,omitempty"`
	ETA          time.Duration      `json:"eta,omitempty"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	Error        string             `json:"error,omitempty"`
	LastLogLines []string           `json:"lastLogLines,omitempty"`
	Runner       string             `json:"runner,omitempty"`
	Handle       string             `json:"handle,omitempty"`
	TokenHash    string             `json:"tokenHash,omitempty"`
	StartedAt    string             `json:"startedAt"`
	FinishedAt   string             `json:"finishedAt"`
}

func encodeJob(j *hub.Job) (string, error) {
	d := jobDoc{Kind: j.Kind, Owner: j.Owner, Reads: repoidjson.FromAll(j.Reads), Writes: repoidjson.FromAll(j.Writes),
		Spec: j.Spec, Phase: j.Progress.Phase, Done: j.Progress.Done, Total: j.Progress.Total,
		ETA: j.Progress.ETA, Metrics: j.Metrics, Error: j.Error, LastLogLines: j.LastLogLines,
		Runner: j.Runner, Handle: j.Handle, TokenHash: j.TokenHash,
		StartedAt: fmtTime(j.StartedAt), FinishedAt: fmtTime(j.FinishedAt)}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode job %s: %w", j.ID, err)
	}
	return string(b), nil
}

const jobCols = `id, project, state, created_at, version, doc`

func scanJob(s scanner) (*hub.Job, error) {
	var (
		j                 hub.Job
		state, created, b string
		d                 jobDoc
	)
	if err := s.Scan(&j.ID, &j.Project, &state, &created, &j.Version, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(b), &d); err != nil {
		return nil, fmt.Errorf("sqlite: bad job %s: %w", j.ID, err)
	}
	j.State, j.Kind, j.Owner, j.Spec, j.Metrics = hub.JobState(state), d.Kind, d.Owner, d.Spec, d.Metrics
	j.Reads, j.Writes = repoidjson.RepoIDs(d.Reads), repoidjson.RepoIDs(d.Writes)
	j.Progress = hub.JobProgress{Phase: d.Phase, Done: d.Done, Total: d.Total, ETA: d.ETA}
	j.Error, j.LastLogLines, j.Runner, j.Handle, j.TokenHash = d.Error, d.LastLogLines, d.Runner, d.Handle, d.TokenHash
	var err error
	if j.CreatedAt, err = parseTime(created); err == nil {
		if j.StartedAt, err = parseTime(d.StartedAt); err == nil {
			j.FinishedAt, err = parseTime(d.FinishedAt)
		}
	}
	return &j, err
}

// CreateJob implements hub.JobStore.
func (db *DB) CreateJob(ctx context.Context, j *hub.Job) error {
	if j.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "job id is required")
	}
	doc, err := encodeJob(j)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO jobs (id, owner_lower, project, state, created_at, version, doc)
		VALUES (?, ?, ?, ?, ?, 1, ?)`, j.ID, strings.ToLower(j.Owner), j.Project, string(j.State), fmtTime(j.CreatedAt), doc)
	if isConstraint(err) {
		return hub.Errorf(hub.ErrConflict, "job %s already exists", j.ID)
	}
	if err != nil {
		return dbError("create job", err)
	}
	j.Version = 1
	return nil
}

// GetJob implements hub.JobStore.
func (db *DB) GetJob(ctx context.Context, id string) (*hub.Job, error) {
	j, err := scanJob(db.row(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hub.Errorf(hub.ErrNotFound, "job %s not found", id)
	}
	if err != nil {
		return nil, dbError("get job", err)
	}
	return j, nil
}

// UpdateJob implements hub.JobStore: one conditional UPDATE on version.
func (db *DB) UpdateJob(ctx context.Context, j *hub.Job) error {
	doc, err := encodeJob(j)
	if err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, `UPDATE jobs SET owner_lower = ?, project = ?, state = ?, created_at = ?,
		version = version + 1, doc = ? WHERE id = ? AND version = ?`, strings.ToLower(j.Owner), j.Project,
		string(j.State), fmtTime(j.CreatedAt), doc, j.ID, j.Version)
	err = checkOne(res, err, "update job", hub.ErrPrecondition)
	if errors.Is(err, hub.ErrPrecondition) {
		if _, gerr := db.GetJob(ctx, j.ID); gerr != nil {
			return gerr
		}
		return hub.Errorf(hub.ErrPrecondition, "job %s was updated concurrently", j.ID)
	}
	if err != nil {
		return err
	}
	j.Version++
	return nil
}

// ListJobs implements hub.JobStore.
func (db *DB) ListJobs(ctx context.Context, f hub.JobFilter) ([]*hub.Job, error) {
	var (
		where []string
		args  []any
	)
	if f.Owner != "" {
		where, args = append(where, "owner_lower = ?"), append(args, strings.ToLower(f.Owner))
	}
	if f.Project != "" {
		where, args = append(where, "project = ?"), append(args, f.Project)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	q := `SELECT ` + jobCols + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, id"
	if f.Limit > 0 {
		q, args = q+" LIMIT ?", append(args, f.Limit)
	}
	return queryAll(ctx, db, "list jobs", scanJob, q, args...)
}
