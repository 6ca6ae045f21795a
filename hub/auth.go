package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// tokenRandLen is the number of random base62 characters after "hf_".
const tokenRandLen = 34

// lastUsedEvery bounds how often Authenticate rewrites a token's LastUsedAt.
const lastUsedEvery = time.Minute

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// badCredentials is what every failed token check returns, so that an
// unknown, revoked or orphaned token cannot be told apart.
func badCredentials() error {
	return &Error{Kind: ErrUnauthorized, Message: "Invalid credentials in Authorization header"}
}

// reservedNames are top-level URL segments of the hub (API, repo type
// prefixes, web pages) that cannot be user or organization names.
var reservedNames = []string{"api", "datasets", "spaces", "models", "settings", "training", "login",
	"logout", "healthz", "static", "assets", "docs", "new", "organizations", "join", "search", "favicon.ico"}

// CreateUser creates a user. Names that are top-level URL segments (api,
// datasets, spaces, ...) are refused. An empty password creates a user who cannot
// sign in with a password (tokens only). Errors: ErrInvalid for a bad name,
// ErrConflict when the name is taken.
func (s *Service) CreateUser(ctx context.Context, name, email, password string, admin bool) (*User, error) {
	if err := checkNewName("user name", name); err != nil {
		return nil, err
	}
	u := &User{Name: name, Email: email, Admin: admin, CreatedAt: s.Now().UTC()}
	if password != "" {
		h, err := hashPassword(password)
		if err != nil {
			return nil, fmt.Errorf("create user: %w", err)
		}
		u.PasswordHash = h
	}
	if err := s.Meta.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, Errorf(ErrConflict, "user %q already exists", name)
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// CheckPassword returns the user named name if password is theirs. Unknown
// users, organizations, users without a password and wrong passwords all
// give the same ErrUnauthorized. It does not throttle: SignIn does.
func (s *Service) CheckPassword(ctx context.Context, name, password string) (*User, error) {
	bad := Errorf(ErrUnauthorized, "Invalid username or password")
	u, err := s.Meta.GetUser(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, bad
	} else if err != nil {
		return nil, fmt.Errorf("check password: %w", err)
	}
	if u.Org || u.PasswordHash == "" || password == "" || !verifyPassword(u.PasswordHash, password) {
		return nil, bad
	}
	return u, nil
}

// CreateToken creates an access token for user with role RoleRead or
// RoleWrite. It returns the plaintext ("hf_..."), which is never stored and
// cannot be shown again. Errors: ErrInvalid for a bad role (fine-grained
// tokens: CreateScopedToken), ErrNotFound for an unknown user or an
// organization (orgs cannot own tokens).
func (s *Service) CreateToken(ctx context.Context, user, role, label string) (string, *Token, error) {
	if role != RoleRead && role != RoleWrite {
		return "", nil, Errorf(ErrInvalid, "invalid token role %q: must be %q or %q", role, RoleRead, RoleWrite)
	}
	return s.newToken(ctx, user, &Token{Role: role, Label: label})
}

// CreateScopedToken creates a fine-grained token for user limited to
// scopes (at least one; each a repo or a namespace with role read or
// write). Like CreateToken it returns the plaintext once.
func (s *Service) CreateScopedToken(ctx context.Context, user, label string, scopes []TokenScope) (string, *Token, error) {
	if len(scopes) == 0 {
		return "", nil, Errorf(ErrInvalid, "a fine-grained token needs at least one repo or namespace scope")
	}
	clean := make([]TokenScope, 0, len(scopes))
	for _, sc := range scopes {
		if err := sc.validate(); err != nil {
			return "", nil, err
		}
		if sc.Name == "" {
			sc.Type = ""
		} else {
			sc.Type = normalizeType(sc.Type)
		}
		clean = append(clean, sc)
	}
	return s.newToken(ctx, user, &Token{Role: RoleFineGrained, Label: label, Scopes: clean})
}

// newToken completes t for user, stores it and returns the plaintext.
func (s *Service) newToken(ctx context.Context, user string, t *Token) (string, *Token, error) {
	u, err := s.person(ctx, user)
	if err != nil {
		return "", nil, err
	}
	plain, err := newTokenString()
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	t.Hash, t.Suffix, t.User, t.CreatedAt = hashToken(plain), plain[len(plain)-4:], u.Name, s.now()
	if err := s.Meta.CreateToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	err = s.record(ctx, AuditEvent{Actor: u.Name, Action: "token.create", Target: "..." + t.Suffix,
		Detail: t.Role + " " + t.Label})
	return plain, t, err
}

// Authenticate is AuthenticateFrom with an unknown client address.
func (s *Service) Authenticate(ctx context.Context, token string) (*Caller, error) {
	return s.AuthenticateFrom(ctx, token, "")
}

// AuthenticateFrom returns the caller a token stands for. Unknown and
// revoked tokens, and tokens of deleted users, give ErrUnauthorized with
// the HF message "Invalid credentials in Authorization header"; an address
// that presented too many of those gets a *RateLimitError. It records the
// token's last use, at most once a minute.
//
// When the store is a ChangeCounter, the token and its user are reused
// from the object cache while the store's change count stays the same
// (authcache.go), so that a revocation or a user change, even by another
// process, applies to the next request. Memberships are not cached: the
// caller's Orgs and Teams are read from the store when the service needs
// them (LoadMemberships).
func (s *Service) AuthenticateFrom(ctx context.Context, token, clientAddr string) (*Caller, error) {
	now := s.now()
	if err := s.throttle.CheckToken(clientAddr, now); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(token, "hf_") {
		s.throttle.FailToken(clientAddr, now)
		return nil, badCredentials()
	}
	t, u, cr, err := s.credentials(ctx, token)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			s.throttle.FailToken(clientAddr, now)
		}
		return nil, err
	}
	if t.Expired(now) {
		return nil, badCredentials() // cached before it expired
	}
	if now.Sub(t.LastUsedAt) >= lastUsedEvery && (cr == nil || cr.touching.CompareAndSwap(false, true)) {
		t.LastUsedAt = now
		// Best effort: a failed bookkeeping write must not fail the request
		// the token authorizes; the next request retries it. A successful
		// one moves the change count on, so the cached entry retires.
		if err := s.Meta.UpdateToken(ctx, t); err != nil && cr != nil {
			cr.touching.Store(false)
		}
	}
	return &Caller{User: u, Token: t, deferred: true}, nil
}

// readCredentials reads an active token and its user from the store.
func (s *Service) readCredentials(ctx context.Context, hash string) (*Token, *User, error) {
	t, err := s.Meta.GetToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, badCredentials()
	} else if err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	if !t.RevokedAt.IsZero() || t.Expired(s.now()) {
		return nil, nil, badCredentials()
	}
	u, err := s.Meta.GetUser(ctx, t.User)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Org) {
		return nil, nil, badCredentials()
	} else if err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	return t, u, nil
}

// ListTokens returns user's tokens, oldest first, revoked ones included.
func (s *Service) ListTokens(ctx context.Context, user string) ([]*Token, error) {
	ts, err := s.Meta.ListTokens(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes user's token with the given hash. A token that does
// not exist or belongs to someone else gives ErrNotFound; revoking twice is
// not an error.
func (s *Service) RevokeToken(ctx context.Context, user, hash string) error {
	t, err := s.Meta.GetToken(ctx, hash)
	if errors.Is(err, ErrNotFound) || (err == nil && !equalFold(t.User, user)) {
		return Errorf(ErrNotFound, "token not found")
	} else if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if !t.RevokedAt.IsZero() {
		return nil
	}
	t.RevokedAt = s.now()
	if err := s.Meta.UpdateToken(ctx, t); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return s.record(ctx, AuditEvent{Actor: t.User, Action: "token.revoke", Target: "..." + t.Suffix, Detail: t.Label})
}

// hashToken returns the hex sha256 under which a token is stored.
func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// newTokenString returns "hf_" followed by tokenRandLen uniformly random
// base62 characters from crypto/rand.
func newTokenString() (string, error) {
	var b strings.Builder
	b.WriteString("hf_")
	n62 := big.NewInt(int64(len(base62)))
	for i := 0; i < tokenRandLen; i++ {
		n, err := rand.Int(rand.Reader, n62)
		if err != nil {
			return "", err
		}
		b.WriteByte(base62[n.Int64()])
	}
	return b.String(), nil
}

// hashPassword returns an argon2id hash in the PHC string format
// "$argon2id$v=19$m=...,t=...,p=...$<salt>$<key>" (unpadded base64).
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyPassword reports whether password matches a hash made by
// hashPassword, using the parameters recorded in the hash.
func verifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || mem == 0 || passes == 0 || threads == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
