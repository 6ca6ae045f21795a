package hub

import (
	"regexp"
	"strings"
	"time"
)

// RepoType is the kind of a repo: model, dataset or space.
type RepoType string

// The repo types of the HF Hub.
const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
	Space   RepoType = "space"
)

// ParseRepoType accepts the singular ("dataset") and plural ("datasets")
// spellings; "" means model.
func ParseRepoType(s string) (RepoType, error) {
	switch strings.TrimSuffix(s, "s") {
	case "", "model":
		return Model, nil
	case "dataset":
		return Dataset, nil
	case "space":
		return Space, nil
	}
	return "", Errorf(ErrInvalid, "invalid repo type %q: must be model, dataset or space", s)
}

// URLPrefix is the prefix of the repo's file and git URLs: "" for models,
// "datasets/" and "spaces/" for the others.
func (t RepoType) URLPrefix() string {
	if t == Model || t == "" {
		return ""
	}
	return string(t) + "s/"
}

// RepoID names a repo: its type, namespace (user or organization) and name.
type RepoID struct {
	Type      RepoType
	Namespace string
	Name      string
}

// String returns "ns/name".
func (id RepoID) String() string { return id.Namespace + "/" + id.Name }

var namePart = regexp.MustCompile(`^[A-Za-z0-9][\w\-.]{0,95}$`)

// ValidateName checks one part of a repo id (namespace or name) against the
// HF rule: word characters, '-' and '.', at most 96, no "--" or "..", no
// trailing ".git".
func ValidateName(what, s string) error {
	switch {
	case s == "":
		return Errorf(ErrInvalid, "%s is required", what)
	case !namePart.MatchString(s) || strings.HasSuffix(s, "-") || strings.HasSuffix(s, "."):
		return Errorf(ErrInvalid, "invalid %s %q: use letters, digits, '-', '_' and '.', at most 96 characters, starting and ending with a letter or digit", what, s)
	case strings.Contains(s, "--") || strings.Contains(s, ".."):
		return Errorf(ErrInvalid, "invalid %s %q: '--' and '..' are not allowed", what, s)
	case strings.HasSuffix(strings.ToLower(s), ".git"):
		return Errorf(ErrInvalid, "invalid %s %q: must not end with .git", what, s)
	}
	return nil
}

// ParseRepoID parses "ns/name" for the given type.
func ParseRepoID(t RepoType, s string) (RepoID, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		return RepoID{}, Errorf(ErrInvalid, "invalid repo id %q: expected namespace/name", s)
	}
	id := RepoID{Type: t, Namespace: ns, Name: name}
	return id, id.Validate()
}

// Validate checks the type, namespace and name.
func (id RepoID) Validate() error {
	if _, err := ParseRepoType(string(id.Type)); err != nil {
		return err
	}
	if err := ValidateName("namespace", id.Namespace); err != nil {
		return err
	}
	return ValidateName("repo name", id.Name)
}

// Repo is a repo's record in the metadata store. History lives in git objects
// and refs; the index fields below are derived from the default branch's head
// after each commit so listings and filters need no object reads.
type Repo struct {
	Key       string // immutable internal id (24 hex), HF's "_id"; refs hang off it
	ID        RepoID
	Private   bool
	Gated     string // "" (not gated), "auto" or "manual"
	CreatedAt time.Time
	UpdatedAt time.Time // last commit on the default branch (HF lastModified)
	Version   int64     // optimistic concurrency: RepoStore.UpdateRepo compares it

	// Index of the default branch's head.
	Head        string   // commit id
	Tags        []string // card tags plus derived tags (license:, dataset:, base_model:, library, pipeline)
	PipelineTag string
	LibraryName string
	Downloads   int64
	Likes       int64
}

// DefaultBranch is the branch every repo starts with.
const DefaultBranch = "main"

// Ref name prefixes.
const (
	BranchPrefix = "refs/heads/"
	TagPrefix    = "refs/tags/"
)
