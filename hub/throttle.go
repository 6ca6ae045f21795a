package hub

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// RateLimitError is returned when a client is throttled; it unwraps to
// ErrRateLimited. RetryAfter is how long the client should wait.
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string { return e.Message }

// Unwrap returns the *Error carrying the kind and the user-visible message.
func (e *RateLimitError) Unwrap() error {
	return &Error{Kind: ErrRateLimited, Message: e.Message}
}

// ThrottlePolicy sets the failure budgets of a Throttle. Each budget is a
// leaky bucket: a failure adds one, one leaks away every Every, and a key
// whose bucket holds Burst failures is refused until one has leaked.
type ThrottlePolicy struct {
	// Pair: wrong passwords for one account from one client address. This is
	// the limit "100 wrong passwords in a row" trips; a sign-in that
	// succeeds empties the pair's bucket.
	Pair Budget
	// Addr: wrong passwords from one address, whatever the accounts
	// (password spraying).
	Addr Budget
	// Account: wrong passwords for one account from every address
	// (distributed guessing). When it is full, only addresses that have
	// failed for this account recently are refused: an address with a clean
	// record for the account can always sign in, so the limit cannot be
	// used to lock the owner out.
	Account Budget
	// Token: invalid or revoked tokens presented from one address.
	Token Budget
}

// Budget is one leaky bucket's size and leak period.
type Budget struct {
	Burst int
	Every time.Duration
}

// DefaultThrottlePolicy returns the policy of NewService: 10 wrong
// passwords in a row per account and address, then one try a minute; 50
// per address then one every 10 s; 100 per account then (for failing
// addresses only) one every 30 s; 300 bad tokens per address, then 5 a
// second.
func DefaultThrottlePolicy() ThrottlePolicy {
	return ThrottlePolicy{
		Pair:    Budget{Burst: 10, Every: time.Minute},
		Addr:    Budget{Burst: 50, Every: 10 * time.Second},
		Account: Budget{Burst: 100, Every: 30 * time.Second},
		Token:   Budget{Burst: 300, Every: 200 * time.Millisecond},
	}
}

// Throttle counts authentication failures in memory (per process; the
// time comes from the caller, so tests control the clock). It is safe for
// concurrent use.
type Throttle struct {
	policy ThrottlePolicy
	mu     sync.Mutex
	sets   [4]bucketSet // pair, addr, account, token
}

const (
	setPair = iota
	setAddr
	setAccount
	setToken
)

// SetThrottlePolicy replaces the service's failure budgets (tests,
// operators); it resets the counts.
func (s *Service) SetThrottlePolicy(p ThrottlePolicy) { s.throttle = NewThrottle(p) }

// NewThrottle returns a throttle with policy p.
func NewThrottle(p ThrottlePolicy) *Throttle {
	t := &Throttle{policy: p}
	for i := range t.sets {
		t.sets[i] = bucketSet{m: make(map[string]*bucket), budget: t.budget(i)}
	}
	return t
}

func (t *Throttle) budget(set int) Budget {
	return [4]Budget{t.policy.Pair, t.policy.Addr, t.policy.Account, t.policy.Token}[set]
}

func pairKey(account, addr string) string { return strings.ToLower(account) + "\x00" + addr }

// CheckSignIn returns a *RateLimitError when a sign-in for account from
// addr must be refused now, before the password is even checked.
func (t *Throttle) CheckSignIn(account, addr string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	pk := pairKey(account, addr)
	wait := max(t.sets[setPair].wait(pk, now), t.sets[setAddr].wait(addr, now))
	if t.sets[setPair].level(pk, now) > 0 {
		wait = max(wait, t.sets[setAccount].wait(strings.ToLower(account), now))
	}
	if wait > 0 {
		return rateLimited(wait, "Too many failed sign-in attempts")
	}
	return nil
}

// FailSignIn records a wrong password for account from addr.
func (t *Throttle) FailSignIn(account, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sets[setPair].add(pairKey(account, addr), now)
	t.sets[setAddr].add(addr, now)
	t.sets[setAccount].add(strings.ToLower(account), now)
}

// SucceedSignIn forgets the failures of account from addr.
func (t *Throttle) SucceedSignIn(account, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sets[setPair].m, pairKey(account, addr))
}

// CheckToken returns a *RateLimitError when addr presented too many bad tokens.
func (t *Throttle) CheckToken(addr string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait := t.sets[setToken].wait(addr, now); wait > 0 {
		return rateLimited(wait, "Too many requests with invalid credentials")
	}
	return nil
}

// FailToken records a bad token presented from addr.
func (t *Throttle) FailToken(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sets[setToken].add(addr, now)
}

func rateLimited(wait time.Duration, what string) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &RateLimitError{RetryAfter: wait,
		Message: fmt.Sprintf("%s: try again in %d seconds", what, secs)}
}

// bucket is a leaky bucket of failures.
type bucket struct {
	n  float64
	at time.Time
}

// bucketSet is one budget's buckets by key. Emptied buckets are swept when
// the map has doubled since the last sweep, so memory follows the number
// of recently failing keys.
type bucketSet struct {
	m         map[string]*bucket
	budget    Budget
	sweepSize int
}

// level returns key's failures still in the bucket at now.
func (s *bucketSet) level(key string, now time.Time) float64 {
	b, ok := s.m[key]
	if !ok || s.budget.Every <= 0 {
		return 0
	}
	leaked := float64(now.Sub(b.at)) / float64(s.budget.Every)
	return max(0, b.n-leaked)
}

// wait returns how long key must wait before one more failure fits.
func (s *bucketSet) wait(key string, now time.Time) time.Duration {
	over := s.level(key, now) - float64(s.budget.Burst) + 1
	if s.budget.Burst <= 0 || over <= 0 {
		return 0
	}
	return time.Duration(over * float64(s.budget.Every))
}

func (s *bucketSet) add(key string, now time.Time) {
	if s.budget.Burst <= 0 {
		return
	}
	s.m[key] = &bucket{n: s.level(key, now) + 1, at: now}
	if len(s.m) > max(1024, 2*s.sweepSize) {
		for k := range s.m {
			if s.level(k, now) == 0 {
				delete(s.m, k)
			}
		}
		s.sweepSize = len(s.m)
	}
}
