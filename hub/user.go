package hub

import "time"

// User is a person (or, later, an organization) owning a namespace.
type User struct {
	Name         string
	FullName     string
	Email        string
	PasswordHash string // empty: cannot sign in with a password
	Admin        bool   // site administrator: may manage every user, org and repo
	CreatedAt    time.Time
}

// Token roles.
const (
	RoleRead  = "read"
	RoleWrite = "write"
)

// Token is an access token. Only the sha256 of its secret is stored; the
// plaintext ("hf_...") is shown once, at creation.
type Token struct {
	Hash       string // hex sha256 of the plaintext token
	Suffix     string // last 4 characters, to tell tokens apart in listings
	User       string
	Role       string // RoleRead or RoleWrite
	Label      string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
}

// Caller is who makes a request: anonymous (User == nil), or a user through
// a token or a session.
type Caller struct {
	User  *User
	Token *Token // nil for a session (full rights of the user)
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
