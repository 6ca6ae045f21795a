package hubtest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"quarry/hub"
)

// memJobs holds MemMeta's job records; its zero value is ready to use.
type memJobs struct {
	mu   sync.Mutex
	jobs map[string]*hub.Job // by id
}

func copyJob(j *hub.Job) *hub.Job {
	c := j.Clone()
	c.CreatedAt, c.StartedAt, c.FinishedAt = c.CreatedAt.UTC(), c.StartedAt.UTC(), c.FinishedAt.UTC()
	return c
}

// CreateJob implements hub.JobStore.
func (m *MemMeta) CreateJob(ctx context.Context, j *hub.Job) error {
	if j.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "job id is required")
	}
	m.jobs.mu.Lock()
	defer m.jobs.mu.Unlock()
	if _, ok := m.jobs.jobs[j.ID]; ok {
		return hub.Errorf(hub.ErrConflict, "job %s already exists", j.ID)
	}
	if m.jobs.jobs == nil {
		m.jobs.jobs = make(map[string]*hub.Job)
	}
	j.Version = 1
	m.jobs.jobs[j.ID] = copyJob(j)
	return nil
}

// GetJob implements hub.JobStore.
func (m *MemMeta) GetJob(ctx context.Context, id string) (*hub.Job, error) {
	m.jobs.mu.Lock()
	defer m.jobs.mu.Unlock()
	j, ok := m.jobs.jobs[id]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "job %s not found", id)
	}
	return copyJob(j), nil
}

// UpdateJob implements hub.JobStore.
func (m *MemMeta) UpdateJob(ctx context.Context, j *hub.Job) error {
	m.jobs.mu.Lock()
	defer m.jobs.mu.Unlock()
	old, ok := m.jobs.jobs[j.ID]
	if !ok {
		return hub.Errorf(hub.ErrNotFound, "job %s not found", j.ID)
	}
	if old.Version != j.Version {
		return hub.Errorf(hub.ErrPrecondition, "job %s was updated concurrently", j.ID)
	}
	j.Version++
	m.jobs.jobs[j.ID] = copyJob(j)
	return nil
}

// ListJobs implements hub.JobStore.
func (m *MemMeta) ListJobs(ctx context.Context, f hub.JobFilter) ([]*hub.Job, error) {
	m.jobs.mu.Lock()
	defer m.jobs.mu.Unlock()
	var out []*hub.Job
	for _, j := range m.jobs.jobs {
		if (f.Owner == "" || strings.EqualFold(f.Owner, j.Owner)) && (f.Project == "" || f.Project == j.Project) &&
			(len(f.States) == 0 || slices.Contains(f.States, j.State)) {
			out = append(out, copyJob(j))
		}
	}
	slices.SortFunc(out, func(a, b *hub.Job) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
