package hub

import (
	"context"
	"io"
	"time"
)

// BlobStore holds immutable byte objects under string keys: git objects
// ("objects/ab/cdef..."), LFS content ("lfs/ab/<sha256>") and upload parts
// ("uploads/<id>/<n>"). Implementations: infra/localfs, later infra/s3.
type BlobStore interface {
	// Put stores r under key atomically: readers see either nothing or the
	// whole object, never a part, even if the process dies mid-write. Putting
	// an existing key replaces it. It returns the number of bytes stored.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open reads length bytes from offset (length < 0: to the end).
	// A missing key gives an error wrapping ErrNotFound.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the object's size; ErrNotFound when missing.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// LocalPather is an optional BlobStore capability: the object's path on the
// local disk, so that transports can use sendfile.
type LocalPather interface {
	LocalPath(key string) (string, bool)
}

// Presigner is an optional BlobStore capability: URLs that let clients move
// bytes straight to and from the store (S3). ErrUnsupported when unavailable.
type Presigner interface {
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
	PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// RepoFilter selects repos for RepoStore.ListRepos.
type RepoFilter struct {
	Type        RepoType
	Search      []string // substrings of "ns/name", case-insensitive, all must match
	Author      string   // namespace, exact
	Tags        []string // all must be in Repo.Tags
	PipelineTag string
	Sort        string // "id", "createdAt", "lastModified", "downloads", "likes"
	Ascending   bool
	After       string // opaque cursor returned with the previous page
	Limit       int    // page size, > 0

	// Visibility: public repos always; private ones only if the namespace is
	// in ViewerNamespaces, the repo key is in ViewerRepoKeys, or AllPrivate.
	ViewerNamespaces []string
	ViewerRepoKeys   []string
	AllPrivate       bool
}

// RepoStore keeps repo records.
type RepoStore interface {
	// CreateRepo stores a new repo; ErrConflict if (type, namespace, name) is taken
	// (case-insensitively). The store sets Version to 1.
	CreateRepo(ctx context.Context, r *Repo) error
	// GetRepo finds a repo by id (case-insensitive namespace and name); ErrRepoNotFound.
	GetRepo(ctx context.Context, id RepoID) (*Repo, error)
	// UpdateRepo overwrites the record with key r.Key if its stored Version
	// equals r.Version, then sets r.Version to the next value. A stale version
	// gives ErrPrecondition; a missing repo ErrRepoNotFound; an id (rename)
	// taken by another repo ErrConflict.
	UpdateRepo(ctx context.Context, r *Repo) error
	// DeleteRepo removes the record and its refs; ErrRepoNotFound when missing.
	DeleteRepo(ctx context.Context, key string) error
	// ListRepos returns one page in f's order and the cursor of the next page
	// ("" when this is the last).
	ListRepos(ctx context.Context, f RepoFilter) ([]*Repo, string, error)
}

// Ref is a named pointer to a commit ("refs/heads/main", "refs/tags/v1").
type Ref struct {
	Name   string
	Commit string
}

// RefStore keeps refs with compare-and-swap.
type RefStore interface {
	// GetRef returns the commit of a full ref name; ErrRevisionNotFound when missing.
	GetRef(ctx context.Context, repoKey, name string) (string, error)
	// ListRefs returns all refs of a repo sorted by name.
	ListRefs(ctx context.Context, repoKey string) ([]Ref, error)
	// UpdateRef moves name from old to new atomically. old == "" means the
	// ref must not exist (else ErrConflict); new == "" deletes it. When the
	// current value differs from a non-empty old, it returns ErrPrecondition
	// and changes nothing.
	UpdateRef(ctx context.Context, repoKey, name, old, new string) error
}

// UserStore keeps users and organizations (one namespace).
type UserStore interface {
	// CreateUser stores a new user; ErrConflict when the name is taken
	// case-insensitively.
	CreateUser(ctx context.Context, u *User) error
	// GetUser finds a user by name, case-insensitively; ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// UpdateUser overwrites a user's record; ErrNotFound when missing.
	UpdateUser(ctx context.Context, u *User) error
}

// TokenStore keeps access tokens by the hash of their secret.
type TokenStore interface {
	// CreateToken stores a token; ErrConflict when the hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// GetToken finds a token by hash; ErrNotFound.
	GetToken(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns a user's tokens, oldest first.
	ListTokens(ctx context.Context, user string) ([]*Token, error)
	// UpdateToken overwrites a token's record (revocation, last use); ErrNotFound.
	UpdateToken(ctx context.Context, t *Token) error
}

// LFSIndex records which LFS objects each repo holds. Content is stored once
// by sha256, but a repo may reference an oid only after its bytes were
// uploaded to that repo (proof of possession), so one repo cannot claim
// another's private blob by guessing its oid.
type LFSIndex interface {
	// AddLFSObject records that repoKey holds oid of size bytes (idempotent).
	AddLFSObject(ctx context.Context, repoKey, oid string, size int64) error
	// GetLFSObject returns the recorded size; ErrNotFound when the repo does not hold it.
	GetLFSObject(ctx context.Context, repoKey, oid string) (int64, error)
}

// OrgStore keeps organization memberships. Organizations themselves are
// User records with Org set. Names are matched case-insensitively and
// returned as they were stored.
type OrgStore interface {
	// PutMember adds m.User to m.Org with m.Role, or changes the role (and
	// keeps CreatedAt) of an existing member.
	PutMember(ctx context.Context, m Membership) error
	// GetMember returns user's membership in org; ErrNotFound when none.
	GetMember(ctx context.Context, org, user string) (Membership, error)
	// DeleteMember removes user from org; ErrNotFound when not a member.
	DeleteMember(ctx context.Context, org, user string) error
	// ListMembers returns org's members ordered by lower-case user name.
	ListMembers(ctx context.Context, org string) ([]Membership, error)
	// ListMemberships returns user's memberships ordered by lower-case org name.
	ListMemberships(ctx context.Context, user string) ([]Membership, error)
}

// TeamStore keeps teams inside organizations and their members. Names are
// matched case-insensitively.
type TeamStore interface {
	// CreateTeam stores a team; ErrConflict when its org has a team of that name.
	CreateTeam(ctx context.Context, t *Team) error
	// GetTeam finds a team; ErrNotFound.
	GetTeam(ctx context.Context, org, name string) (*Team, error)
	// AddTeamMember adds user to a team (idempotent); ErrNotFound when the
	// team does not exist.
	AddTeamMember(ctx context.Context, org, team, user string) error
	// RemoveTeamMember removes user from a team; ErrNotFound when not a member.
	RemoveTeamMember(ctx context.Context, org, team, user string) error
	// ListUserTeams returns the teams user belongs to, ordered by lower-case
	// org then team name.
	ListUserTeams(ctx context.Context, user string) ([]Team, error)
}

// GrantStore keeps repo grants. Subjects ("user:name", "team:org/team") are
// compared exactly; the service stores them lower-case.
type GrantStore interface {
	// PutGrant creates a grant or changes the role of an existing one
	// (same repo and subject).
	PutGrant(ctx context.Context, g Grant) error
	// DeleteGrant removes a grant; ErrNotFound when there is none.
	DeleteGrant(ctx context.Context, repoKey, subject string) error
	// ListRepoGrants returns a repo's grants ordered by subject.
	ListRepoGrants(ctx context.Context, repoKey string) ([]Grant, error)
	// ListGrantedRepoKeys returns the distinct keys of the repos granted to
	// any of subjects, sorted.
	ListGrantedRepoKeys(ctx context.Context, subjects []string) ([]string, error)
}

// SessionStore keeps web sessions under the hash of their secret id.
type SessionStore interface {
	// CreateSession stores s (s.ID is the hash); ErrConflict when it exists.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession finds a session by hashed id; ErrNotFound. Expired
	// sessions may still be returned: the service checks ExpiresAt.
	GetSession(ctx context.Context, id string) (*Session, error)
	// DeleteSession removes a session; a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpiredSessions removes the sessions that expired before t.
	DeleteExpiredSessions(ctx context.Context, t time.Time) error
}

// AuditStore keeps the audit log, append-only.
type AuditStore interface {
	// AppendAudit records e (Seq is assigned by the store and ignored here).
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns up to limit events, newest first; actor "" lists
	// every event, else only those whose Actor equals actor
	// case-insensitively.
	ListAudit(ctx context.Context, actor string, limit int) ([]AuditEvent, error)
}

// MetaStore is the whole metadata store one backend provides.
type MetaStore interface {
	RepoStore
	RefStore
	UserStore
	TokenStore
	LFSIndex
	OrgStore
	TeamStore
	GrantStore
	SessionStore
	AuditStore
	JobStore
	ProjectStore
}
