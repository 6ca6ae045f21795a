package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestAccessSignInThrottle (issue 3, acceptance 6): 100 wrong passwords in a
// row for one account from one client address are throttled (429 with
// Retry-After), the right password from that address stays refused while it
// is throttled, and the right password from another address signs in.
func TestAccessSignInThrottle(t *testing.T) {
	s, _ := newHub(t, "owner0")
	const victim = "gina"
	quarryCLI(t, s.Data, "user", "create", victim, "--password", passwordOf(victim))

	attacker := clientFrom("127.0.0.1", true)
	first429, statuses := -1, map[int]int{}
	var last *response
	for i := 0; i < 100; i++ {
		r, err := webSignIn(attacker, s.URL, victim, fmt.Sprintf("wrong-password-%d", i))
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		statuses[r.Status]++
		if r.Status == http.StatusTooManyRequests && first429 < 0 {
			first429 = i
			checkRetryAfter(t, fmt.Sprintf("attempt %d", i), r)
		}
		last = r
	}
	t.Logf("100 wrong passwords from 127.0.0.1: statuses %v, first 429 at attempt %d", statuses, first429)
	if first429 < 0 {
		t.Fatalf("no 429 in 100 wrong passwords (statuses %v); last: %s", statuses, describeResponse(last, nil))
	}
	if last.Status != http.StatusTooManyRequests {
		t.Errorf("attempt 100 is not throttled: %s", describeResponse(last, nil))
	} else {
		checkRetryAfter(t, "attempt 100", last)
	}
	if ok, err := signedIn(attacker, s.URL); ok || err != nil {
		t.Errorf("wrong passwords produced a session (%v)", err)
	}

	other := clientFrom("127.0.0.2", true)
	r, err := webSignIn(other, s.URL, victim, passwordOf(victim))
	if err != nil {
		t.Fatalf("right password from 127.0.0.2: %v", err)
	}
	if ok, err := signedIn(other, s.URL); !ok {
		t.Errorf("right password from 127.0.0.2 is locked out (%v): %s", err, describeResponse(r, nil))
	}

	r, err = webSignIn(attacker, s.URL, victim, passwordOf(victim))
	if err != nil {
		t.Fatalf("right password from the throttled 127.0.0.1: %v", err)
	}
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("right password from the throttled address: %s, want 429", describeResponse(r, nil))
	}
}

// TestAccessBadTokenThrottle (issue 3): bad tokens sent again and again from
// one address end in 429 with Retry-After, while a good token from another
// address keeps working.
func TestAccessBadTokenThrottle(t *testing.T) {
	s, good := newHub(t, "henry")
	from := &client{t: t, base: s.URL, hc: clientFrom("127.0.0.3", false)}
	first429, statuses := -1, map[int]int{}
	for i := 0; i < 1000 && first429 < 0; i++ {
		from.token = fmt.Sprintf("hf_bad%032d", i)
		r, err := from.do("GET", s.URL+"/api/whoami-v2", "", nil, true)
		if err != nil {
			t.Fatalf("bad token %d: %v", i, err)
		}
		statuses[r.Status]++
		switch r.Status {
		case http.StatusTooManyRequests:
			first429 = i
			checkRetryAfter(t, fmt.Sprintf("bad token %d", i), r)
		case http.StatusUnauthorized:
		default:
			t.Fatalf("bad token %d: %s, want 401 or 429", i, describeResponse(r, nil))
		}
	}
	t.Logf("bad tokens from 127.0.0.3: statuses %v, first 429 at request %d", statuses, first429)
	if first429 < 0 {
		t.Errorf("1000 bad tokens from one address were never throttled (statuses %v)", statuses)
	}
	good.hc = clientFrom("127.0.0.4", false)
	if r, err := good.do("GET", s.URL+"/api/whoami-v2", "", nil, true); err != nil || r.Status != http.StatusOK {
		t.Errorf("good token from another address after the bad ones: %s, want 200", describeResponse(r, err))
	}
}

// checkRetryAfter requires a Retry-After header of positive seconds or an
// HTTP date in the future.
func checkRetryAfter(t *testing.T, what string, r *response) {
	t.Helper()
	v := r.Header.Get("Retry-After")
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return
	}
	if d, err := http.ParseTime(v); err == nil && d.After(time.Now()) {
		return
	}
	t.Errorf("%s: 429 with Retry-After %q, want positive seconds or a future date", what, v)
}
