package hub

// Action is what a caller wants to do with a repo.
type Action int

// Actions, each implying the ones before it.
const (
	ActionRead  Action = iota // info, files, listings
	ActionWrite               // commits, uploads, branches, tags
	ActionAdmin               // settings, delete, move
)

// Authorize is the one place that decides whether caller may perform action
// on repo. Every route (API, resolve, raw, LFS, listings, pages) goes
// through it. Following the HF Hub, a caller who may not read a private repo
// learns nothing about it: anonymous callers get 401 RepoNotFound and signed-in
// ones 404 RepoNotFound. Callers who may read but not write get 403.
func Authorize(c *Caller, repo *Repo, action Action) error {
	if !canRead(c, repo) {
		return repoHidden(c)
	}
	if action == ActionRead {
		return nil
	}
	if c.Anonymous() {
		return Errorf(ErrUnauthorized, "You must be authenticated to write to %s", repo.ID)
	}
	if c.Token != nil && c.Token.Role != RoleWrite {
		return Errorf(ErrForbidden, "This token has the %q role and cannot write to %s", c.Token.Role, repo.ID)
	}
	if !ownsNamespace(c, repo.ID.Namespace) {
		return Errorf(ErrForbidden, "You don't have write access to %s", repo.ID)
	}
	return nil
}

// AuthorizeNamespace decides whether caller may create repos in ns.
func AuthorizeNamespace(c *Caller, ns string) error {
	if c.Anonymous() {
		return Errorf(ErrUnauthorized, "You must be authenticated to create a repo")
	}
	if c.Token != nil && c.Token.Role != RoleWrite {
		return Errorf(ErrForbidden, "This token has the %q role and cannot create repos", c.Token.Role)
	}
	if !ownsNamespace(c, ns) {
		return Errorf(ErrForbidden, "You don't have the rights to create a repo under the namespace %q", ns)
	}
	return nil
}

// RepoHidden is the error for a repo the caller may not see (or that does not
// exist): the two must be indistinguishable.
func repoHidden(c *Caller) error {
	if c.Anonymous() {
		return &Error{Kind: ErrUnauthorized, Code: "RepoNotFound",
			Message: "Repository not found. If the repo is private, make sure you are authenticated."}
	}
	return &Error{Kind: ErrNotFound, Code: "RepoNotFound", Message: "Repository not found"}
}

// RepoNotVisible returns the error for a missing repo as the given caller
// must see it (401 for anonymous, 404 otherwise).
func RepoNotVisible(c *Caller) error { return repoHidden(c) }

func canRead(c *Caller, repo *Repo) bool {
	return !repo.Private || ownsNamespace(c, repo.ID.Namespace)
}

func ownsNamespace(c *Caller, ns string) bool {
	if c.Anonymous() {
		return false
	}
	return c.User.Admin || equalFold(c.User.Name, ns)
}

// VisibleFilter fills f's visibility fields for caller.
func VisibleFilter(c *Caller, f *RepoFilter) {
	if c.Anonymous() {
		return
	}
	f.AllPrivate = c.User.Admin
	f.ViewerNamespaces = append(f.ViewerNamespaces, c.User.Name)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
