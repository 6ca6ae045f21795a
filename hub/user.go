package hub

import "time"

// User is a person or an organization owning a namespace. Organizations
// share the user namespace (a name is either a user or an org) but cannot
// sign in or own tokens.
type User struct {
	Name         string
	FullName     string
	Email        string
	PasswordHash string // empty: cannot sign in with a password
	Admin        bool   // site administrator: may manage every user, org and repo
	Org          bool   // an organization, not a person
	CreatedAt    time.Time
}

// Token roles. A read token reads what its user may read; a write token
// has its user's full rights; a fine-grained token is limited to its
// scopes (and, like every token, never exceeds its user's rights).
const (
	RoleRead        = "read"
	RoleWrite       = "write"
	RoleFineGrained = "fineGrained"
)

// TokenScope is one grant of a fine-grained token: a repo (Name set) or a
// whole namespace (Name empty, Type ignored), with role RoleRead or
// RoleWrite. A write scope also allows the repo's settings, deletion and
// move when the user has those rights.
type TokenScope struct {
	Type      RepoType // repo scopes only
	Namespace string
	Name      string // "" for a namespace scope
	Role      string
}

// Token is an access token. Only the sha256 of its secret is stored; the
// plaintext ("hf_...") is shown once, at creation.
type Token struct {
	Hash       string // hex sha256 of the plaintext token
	Suffix     string // last 4 characters, to tell tokens apart in listings
	User       string
	Role       string // RoleRead, RoleWrite or RoleFineGrained
	Label      string
	Scopes     []TokenScope // RoleFineGrained only
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
	ExpiresAt  time.Time // zero: never expires (job tokens expire)
}

// Caller is who makes a request: anonymous (User == nil), or a user through
// a token or a session. Orgs and Teams are read from the store for each
// request, so that membership changes apply at once: SessionCaller fills
// them; AuthenticateFrom defers them until the service needs them (most
// token requests read public or own repos), so code outside the service
// must call Service.LoadMemberships before reading them.
type Caller struct {
	User    *User
	Token   *Token       // nil for a session or the operator (full rights of the user)
	Session *Session     // set for callers signed in on the web
	Orgs    []Membership // the user's organization memberships
	Teams   []string     // the user's teams as lower-case "org/team"

	deferred bool // Orgs and Teams not loaded yet
}

// OperatorName is the name the admin CLI acts under (not a valid user name).
const OperatorName = "(operator)"

// Operator returns the caller of admin commands run on the server's data
// directory: a site administrator with full rights.
func Operator() *Caller {
	return &Caller{User: &User{Name: OperatorName, Admin: true}}
}

// Anonymous reports whether no user is signed in.
func (c *Caller) Anonymous() bool { return c == nil || c.User == nil }

// Name returns the user's name or "".
func (c *Caller) Name() string {
	if c.Anonymous() {
		return ""
	}
	return c.User.Name
}

// membership returns the caller's membership in org.
func (c *Caller) membership(org string) (Membership, bool) {
	if c.Anonymous() {
		return Membership{}, false
	}
	for _, m := range c.Orgs {
		if equalFold(m.Org, org) {
			return m, true
		}
	}
	return Membership{}, false
}

// subjects returns the grant subjects the caller holds: its user and teams.
func (c *Caller) subjects() []string {
	if c.Anonymous() {
		return nil
	}
	out := []string{UserSubject(c.User.Name)}
	for _, t := range c.Teams {
		out = append(out, teamSubjectKey(t))
	}
	return out
}
