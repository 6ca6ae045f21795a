package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"sync/atomic"
)

// ChangeCounter is an optional MetaStore capability that lets the service
// reuse what it read about a token (the token record and its user) across
// requests instead of reading both from the store for each one.
type ChangeCounter interface {
	// ChangeCount returns a number that grows whenever users, tokens,
	// organization memberships or teams may have changed, whoever changed
	// them (this process or another one sharing the store, such as the admin
	// CLI). Precisely: once a change is committed, every call that begins
	// afterwards returns a number larger than every number returned by
	// calls that ended before the commit. Spurious increases are allowed;
	// they only cost a cache miss.
	ChangeCount(ctx context.Context) (uint64, error)
}

// credential is what the service knows about an active token as of one
// change count. It is stored in the service's object cache under a key
// made of the count and the token hash: once the count moves on, the entry
// is never read again and ages out of the LRU, so it never goes stale.
type credential struct {
	token Token
	user  User
	// touching is set once a request took on rewriting the token's
	// LastUsedAt, so that concurrent requests do not all write it.
	touching atomic.Bool
}

// credentialSize is what a credential counts for in the object cache.
func credentialSize(t *Token) int { return 512 + 64*len(t.Scopes) }

// credentialKey is "cred:<count>:<hex sha256 of the token>", built with one
// allocation.
func credentialKey(count uint64, sum *[sha256.Size]byte) string {
	b := make([]byte, 0, 5+20+1+2*sha256.Size)
	b = append(b, "cred:"...)
	b = strconv.AppendUint(b, count, 10)
	b = append(b, ':')
	b = hex.AppendEncode(b, sum[:])
	return string(b)
}

// credentials returns the record of a token (given in plaintext) and its
// user: from the cache when the store's change count is the one they were
// read at, else from the store (and caches them). The returned records are the caller's own
// copies; cred is the cache entry, or nil when the store cannot count
// changes or the count failed (reading uncached, as without a cache).
func (s *Service) credentials(ctx context.Context, token string) (*Token, *User, *credential, error) {
	cc, ok := s.Meta.(ChangeCounter)
	if !ok || s.cache == nil {
		t, u, err := s.readCredentials(ctx, hashToken(token))
		return t, u, nil, err
	}
	n, err := cc.ChangeCount(ctx)
	if err != nil {
		t, u, err := s.readCredentials(ctx, hashToken(token))
		return t, u, nil, err
	}
	sum := sha256.Sum256([]byte(token))
	key := credentialKey(n, &sum)
	if v, ok := s.cache.get(key); ok {
		cr := v.(*credential)
		t, u := cr.copies()
		return t, u, cr, nil
	}
	// Read after taking the count: a change committed after this read began
	// gives later requests a larger count, so they never see this entry.
	t, u, err := s.readCredentials(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, nil, nil, err
	}
	cr := &credential{token: *t, user: *u}
	cr.token.Scopes = slices.Clone(t.Scopes)
	s.cache.add(key, cr, credentialSize(t))
	if v, ok := s.cache.get(key); ok {
		cr = v.(*credential) // another request may have added it first
	}
	return t, u, cr, nil
}

// copies returns copies of the cached records that callers may modify
// (one allocation: this runs for every request with a token).
func (cr *credential) copies() (*Token, *User) {
	cp := &struct {
		t Token
		u User
	}{cr.token, cr.user}
	cp.t.Scopes = slices.Clone(cr.token.Scopes)
	return &cp.t, &cp.u
}
