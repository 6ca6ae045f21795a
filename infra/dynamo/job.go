package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
	"quarry/infra/internal/repoidjson"
)

func jobPK(id string) string { return "JOB#" + id }

const (
	skJob  = "JOB"
	g1Jobs = "JOBS"
)

// jobDoc is the stored JSON form of the job fields that are not
// attributes of their own (nothing filters or sorts on them).
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
	StartedAt    time.Time          `json:"startedAt"`
	FinishedAt   time.Time          `json:"finishedAt"`
}

// jobItem is j's item at version v.
func jobItem(j *hub.Job, v int64) (item, error) {
	doc, err := json.Marshal(jobDoc{Kind: j.Kind, Owner: j.Owner, Reads: repoidjson.FromAll(j.Reads), Writes: repoidjson.FromAll(j.Writes),
		Spec: j.Spec, Phase: j.Progress.Phase, Done: j.Progress.Done, Total: j.Progress.Total, ETA: j.Progress.ETA,
		Metrics: j.Metrics, Error: j.Error, LastLogLines: j.LastLogLines, Runner: j.Runner, Handle: j.Handle,
		TokenHash: j.TokenHash, StartedAt: j.StartedAt.UTC(), FinishedAt: j.FinishedAt.UTC()})
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode job %s: %w", j.ID, err)
	}
	return item(newItem(jobPK(j.ID), skJob).s("id", j.ID).s("ownerl", strings.ToLower(j.Owner)).
		s("project", j.Project).s("state", string(j.State)).t("cr", j.CreatedAt).n("v", v).s("doc", string(doc)).
		s(attrG1PK, g1Jobs).s(attrG1SK, fmtTime(j.CreatedAt)+"#"+j.ID)), nil
}

func decodeJob(it item) (*hub.Job, error) {
	dec := &decoder{it: it}
	j := &hub.Job{ID: dec.s("id"), Project: dec.s("project"), State: hub.JobState(dec.s("state")),
		CreatedAt: dec.t("cr"), Version: dec.n("v")}
	raw := dec.s("doc")
	if dec.err != nil {
		return nil, dec.err
	}
	var d jobDoc
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("dynamo: bad job %s: %w", j.ID, err)
	}
	j.Kind, j.Owner, j.Spec, j.Metrics = d.Kind, d.Owner, d.Spec, d.Metrics
	j.Reads, j.Writes = repoidjson.RepoIDs(d.Reads), repoidjson.RepoIDs(d.Writes)
	j.Progress = hub.JobProgress{Phase: d.Phase, Done: d.Done, Total: d.Total, ETA: d.ETA}
	j.Error, j.LastLogLines, j.Runner, j.Handle, j.TokenHash = d.Error, d.LastLogLines, d.Runner, d.Handle, d.TokenHash
	j.StartedAt, j.FinishedAt = d.StartedAt, d.FinishedAt
	return j, nil
}

// CreateJob implements hub.JobStore.
func (m *MetaStore) CreateJob(ctx context.Context, j *hub.Job) error {
	if j.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "job id is required")
	}
	it, err := jobItem(j, 1)
	if err != nil {
		return err
	}
	e := newExpr()
	failed, err := m.put(ctx, "create job", it, "attribute_not_exists("+e.name(attrPK)+")", e)
	if failed {
		return hub.Errorf(hub.ErrConflict, "job %s already exists", j.ID)
	}
	if err != nil {
		return err
	}
	j.Version = 1
	return nil
}

// GetJob implements hub.JobStore.
func (m *MetaStore) GetJob(ctx context.Context, id string) (*hub.Job, error) {
	it, err := m.get(ctx, "get job", key(jobPK(id), skJob))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "job %s not found", id)
	}
	return decodeJob(it)
}

// UpdateJob implements hub.JobStore: one PutItem on condition that the
// stored version is j.Version.
func (m *MetaStore) UpdateJob(ctx context.Context, j *hub.Job) error {
	it, err := jobItem(j, j.Version+1)
	if err != nil {
		return err
	}
	e := newExpr()
	failed, err := m.put(ctx, "update job", it, e.name("v")+" = "+e.value(num(j.Version)), e)
	if err != nil {
		return err
	}
	if failed {
		if _, err := m.GetJob(ctx, j.ID); err != nil {
			return err
		}
		return hub.Errorf(hub.ErrPrecondition, "job %s was updated concurrently", j.ID)
	}
	j.Version++
	return nil
}

// ListJobs implements hub.JobStore: gsi1's JOBS partition in creation
// order, filtered as it is read, until f.Limit jobs match.
func (m *MetaStore) ListJobs(ctx context.Context, f hub.JobFilter) ([]*hub.Job, error) {
	e := newExpr()
	cond := e.name(attrG1PK) + " = " + e.value(str(g1Jobs))
	in := &dynamodb.QueryInput{TableName: &m.table, IndexName: aws.String(indexGSI1), KeyConditionExpression: &cond,
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	owner := strings.ToLower(f.Owner)
	var out []*hub.Job
	err := m.scanIndex(ctx, "list jobs", in, func(it item) (bool, error) {
		j, err := decodeJob(it)
		if err != nil {
			return false, err
		}
		if (owner == "" || strings.ToLower(j.Owner) == owner) && (f.Project == "" || j.Project == f.Project) &&
			(len(f.States) == 0 || slices.Contains(f.States, j.State)) {
			out = append(out, j)
		}
		return f.Limit <= 0 || len(out) < f.Limit, nil
	})
	return out, err
}
