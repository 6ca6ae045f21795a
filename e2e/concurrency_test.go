package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const committers = 8

// commitConcurrently sends one commit per body to main at the same moment and
// returns each response status, in the order of bodies.
func commitConcurrently(t *testing.T, c *client, repo string, bodies [][]byte) []int {
	t.Helper()
	statuses := make([]int, len(bodies))
	errs := make([]error, len(bodies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := c.commit(repo, body)
			if err != nil {
				errs[i] = err
				return
			}
			statuses[i] = r.Status
			if r.Status != http.StatusOK && r.Status != http.StatusPreconditionFailed {
				errs[i] = fmt.Errorf("status %d: %s", r.Status, truncate(r.Body))
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	return statuses
}

// TestConcurrentCommitsWithoutParentAllLand: 8 clients commit one file each to
// the same branch at once without parentCommit; every commit lands.
func TestConcurrentCommitsWithoutParentAllLand(t *testing.T) {
	_, c := newHub(t, "alice")
	repo := c.createModel("race")
	before := c.commitCount(repo)

	var bodies [][]byte
	want := []string{".gitattributes"}
	for i := range committers {
		path := fmt.Sprintf("files/client-%d.txt", i)
		want = append(want, path)
		bodies = append(bodies, ndjson(fmt.Sprintf("client %d", i), "", regularFile(path, []byte(path+"\n"))))
	}
	for i, status := range commitConcurrently(t, c, repo, bodies) {
		if status != http.StatusOK {
			t.Errorf("commit %d without parentCommit: status %d, want 200", i, status)
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, c.files(repo)); diff != "" {
		t.Errorf("files at main after concurrent commits (-want +got):\n%s", diff)
	}
	if got, want := c.commitCount(repo), before+committers; got != want {
		t.Errorf("commit count = %d, want %d", got, want)
	}
	for i := range committers {
		path := fmt.Sprintf("files/client-%d.txt", i)
		if got, want := string(c.resolve(repo, path)), path+"\n"; got != want {
			t.Errorf("resolve %s = %q, want %q", path, got, want)
		}
	}
}

// TestConcurrentCommitsWithSameParent: 8 clients name the same parentCommit at
// once; exactly one lands, the others get 412 and leave no trace.
func TestConcurrentCommitsWithSameParent(t *testing.T) {
	_, c := newHub(t, "bob")
	repo := c.createModel("cas")
	parent := c.head(repo)
	before := c.commitCount(repo)

	var bodies [][]byte
	for i := range committers {
		path := fmt.Sprintf("cas/client-%d.txt", i)
		bodies = append(bodies, ndjson(fmt.Sprintf("client %d", i), parent, regularFile(path, []byte(path))))
	}
	statuses := commitConcurrently(t, c, repo, bodies)
	winner := -1
	for i, status := range statuses {
		if status == http.StatusOK {
			if winner >= 0 {
				t.Fatalf("commits %d and %d both landed on parent %s: statuses %v", winner, i, parent, statuses)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no commit landed on a fresh parent: statuses %v", statuses)
	}
	want := []string{".gitattributes", fmt.Sprintf("cas/client-%d.txt", winner)}
	if diff := cmp.Diff(want, c.files(repo)); diff != "" {
		t.Errorf("files at main (-want +got):\n%s", diff)
	}
	if got, want := c.commitCount(repo), before+1; got != want {
		t.Errorf("commit count = %d, want %d", got, want)
	}
}

// TestStaleParentCommit: a commit naming a parent that is no longer the head
// gets 412 and changes nothing.
func TestStaleParentCommit(t *testing.T) {
	_, c := newHub(t, "carol")
	repo := c.createModel("stale")
	stale := c.head(repo)
	c.mustDo(200, "POST", "/api/models/"+repo+"/commit/main", "application/x-ndjson",
		ndjson("first", stale, regularFile("a.txt", []byte("a"))))
	head := c.head(repo)

	r, err := c.commit(repo, ndjson("second", stale, regularFile("b.txt", []byte("b"))))
	if err != nil {
		t.Fatalf("commit with stale parent: %v", err)
	}
	if r.Status != http.StatusPreconditionFailed {
		t.Fatalf("commit with stale parent: status %d, want 412: %s", r.Status, truncate(r.Body))
	}
	if got := c.head(repo); got != head {
		t.Errorf("head moved from %s to %s after a 412", head, got)
	}
	if diff := cmp.Diff([]string{".gitattributes", "a.txt"}, c.files(repo)); diff != "" {
		t.Errorf("files at main (-want +got):\n%s", diff)
	}
}
