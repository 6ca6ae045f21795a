package hubtest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"quarry/hub"
)

// MemMeta is an in-memory hub.MetaStore with the semantics documented in
// hub/store.go (the access stores live in memaccess.go). It is safe for concurrent use and never hands out pointers
// to its internal records.
type MemMeta struct {
	mu     sync.Mutex
	repos  map[string]*hub.Repo         // by key
	ids    map[string]string            // idIndex(id) -> key
	refs   map[string]map[string]string // repo key -> ref name -> commit
	users  map[string]*hub.User         // by lower-case name
	tokens map[string]*memToken         // by hash
	lfs    map[lfsKey]int64
	seq    int64
	// changes counts writes of users, tokens, memberships and teams
	// (ChangeCount).
	changes uint64

	access memAccess // orgs, teams, grants, sessions, audit (memaccess.go)
	jobs   memJobs   // job records (memjobs.go)

	MemProjects // training projects (memprojects.go)
}

type memToken struct {
	tok hub.Token
	seq int64
}

type lfsKey struct{ repo, oid string }

var (
	_ hub.MetaStore     = (*MemMeta)(nil)
	_ hub.ChangeCounter = (*MemMeta)(nil)
)

// ChangeCount implements hub.ChangeCounter: the number of writes of users,
// tokens, memberships and teams so far.
func (m *MemMeta) ChangeCount(ctx context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes, nil
}

// NewMemMeta returns an empty store.
func NewMemMeta() *MemMeta {
	return &MemMeta{
		repos:  make(map[string]*hub.Repo),
		ids:    make(map[string]string),
		refs:   make(map[string]map[string]string),
		users:  make(map[string]*hub.User),
		tokens: make(map[string]*memToken),
		lfs:    make(map[lfsKey]int64),
		access: newMemAccess(),
	}
}

func idIndex(id hub.RepoID) string {
	return string(id.Type) + "\x00" + strings.ToLower(id.Namespace) + "\x00" + strings.ToLower(id.Name)
}

func copyRepo(r *hub.Repo) *hub.Repo {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.CreatedAt = r.CreatedAt.UTC()
	c.UpdatedAt = r.UpdatedAt.UTC()
	return &c
}

// CreateRepo implements hub.RepoStore.
func (m *MemMeta) CreateRepo(ctx context.Context, r *hub.Repo) error {
	if r.Key == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.repos[r.Key]; ok {
		return hub.Errorf(hub.ErrConflict, "repo key %s already exists", r.Key)
	}
	idx := idIndex(r.ID)
	if _, ok := m.ids[idx]; ok {
		return hub.Errorf(hub.ErrConflict, "You already created this %s repo: %s", r.ID.Type, r.ID)
	}
	r.Version = 1
	m.repos[r.Key] = copyRepo(r)
	m.ids[idx] = r.Key
	return nil
}

// GetRepo implements hub.RepoStore.
func (m *MemMeta) GetRepo(ctx context.Context, id hub.RepoID) (*hub.Repo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, ok := m.ids[idIndex(id)]
	if !ok {
		return nil, hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", id)
	}
	return copyRepo(m.repos[key]), nil
}

// UpdateRepo implements hub.RepoStore.
func (m *MemMeta) UpdateRepo(ctx context.Context, r *hub.Repo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.repos[r.Key]
	if !ok {
		return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", r.ID)
	}
	if cur.Version != r.Version {
		return hub.Errorf(hub.ErrPrecondition, "repository %s was modified concurrently", r.ID)
	}
	oldIdx, newIdx := idIndex(cur.ID), idIndex(r.ID)
	if other, taken := m.ids[newIdx]; taken && other != r.Key {
		return hub.Errorf(hub.ErrConflict, "repository %s already exists", r.ID)
	}
	delete(m.ids, oldIdx)
	m.ids[newIdx] = r.Key
	r.Version++
	m.repos[r.Key] = copyRepo(r)
	return nil
}

// DeleteRepo implements hub.RepoStore.
func (m *MemMeta) DeleteRepo(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.repos[key]
	if !ok {
		return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", key)
	}
	delete(m.ids, idIndex(cur.ID))
	delete(m.repos, key)
	delete(m.refs, key)
	for k := range m.lfs {
		if k.repo == key {
			delete(m.lfs, k)
		}
	}
	return nil
}
