package hubtest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"quarry/hub"
)

// MemProjects is an in-memory hub.ProjectStore; its zero value is ready
// to use. MemMeta embeds one.
type MemProjects struct {
	mu       sync.Mutex
	projects map[string]*hub.Project // by id
}

var _ hub.ProjectStore = (*MemProjects)(nil)

func copyProject(p *hub.Project) *hub.Project {
	c := p.Clone()
	c.CreatedAt, c.CancelledAt = c.CreatedAt.UTC(), c.CancelledAt.UTC()
	if c.Published != nil {
		c.Published.At = c.Published.At.UTC()
	}
	return c
}

// CreateProject implements hub.ProjectStore.
func (m *MemProjects) CreateProject(ctx context.Context, p *hub.Project) error {
	if p.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "project id is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.projects[p.ID]; ok {
		return hub.Errorf(hub.ErrConflict, "project %s already exists", p.ID)
	}
	if m.projects == nil {
		m.projects = make(map[string]*hub.Project)
	}
	p.Version = 1
	m.projects[p.ID] = copyProject(p)
	return nil
}

// GetProject implements hub.ProjectStore.
func (m *MemProjects) GetProject(ctx context.Context, id string) (*hub.Project, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.projects[id]
	if !ok {
		return nil, hub.Errorf(hub.ErrNotFound, "project %s not found", id)
	}
	return copyProject(p), nil
}

// UpdateProject implements hub.ProjectStore.
func (m *MemProjects) UpdateProject(ctx context.Context, p *hub.Project) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.projects[p.ID]
	if !ok {
		return hub.Errorf(hub.ErrNotFound, "project %s not found", p.ID)
	}
	if old.Version != p.Version {
		return hub.Errorf(hub.ErrPrecondition, "project %s was updated concurrently", p.ID)
	}
	p.Version++
	m.projects[p.ID] = copyProject(p)
	return nil
}

// ListProjects implements hub.ProjectStore.
func (m *MemProjects) ListProjects(ctx context.Context, f hub.ProjectFilter) ([]*hub.Project, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*hub.Project
	for _, p := range m.projects {
		if f.Namespace == "" || strings.EqualFold(f.Namespace, p.Name.Namespace) {
			out = append(out, copyProject(p))
		}
	}
	slices.SortFunc(out, func(a, b *hub.Project) int {
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
