package web_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"quarry/hub"
)

// Size of the benchmark repo (issue 6, acceptance 4).
const (
	benchFiles   = 1000
	benchCommits = 500
)

// benchRepo creates alice/big: benchFiles files (README.md with a
// model-index, half the others at the root, half under data/) and
// benchCommits commits in all (the initial one included).
func benchRepo(b *testing.B, e *env) (hub.RepoID, string) {
	b.Helper()
	id := createRepo(b, e.svc, hub.Model, "alice", "big", false)
	files := map[string]file{"README.md": {content: cardV2}}
	for i := 1; i < benchFiles; i++ {
		p := fmt.Sprintf("file-%03d.txt", i)
		if i%2 == 0 {
			p = fmt.Sprintf("data/part-%03d.txt", i)
		}
		files[p] = file{content: fmt.Sprintf("content of %s\nline two\n", p)}
	}
	last := commitFiles(b, e.svc, id, "Add 1,000 files", files)
	for i := 2; i < benchCommits; i++ {
		p := fmt.Sprintf("file-%03d.txt", 2*(i%(benchFiles/2))+1)
		last = commitFiles(b, e.svc, id, fmt.Sprintf("Edit %s (%d)", p, i), map[string]file{p: {content: fmt.Sprintf("edit %d\nline two\n", i)}})
	}
	return id, last
}

// BenchmarkPages measures the reading pages of a repo with 1,000 files and
// 500 commits through the whole Fiber app (app.Test), reporting the 50th
// and 99th percentile latency. Run with -benchtime=200x for stable p99.
func BenchmarkPages(b *testing.B) {
	e := newEnvB(b)
	_, last := benchRepo(b, e)
	for _, tc := range []struct{ name, path string }{
		{"repo", "/alice/big"},
		{"tree-root", "/alice/big/tree/main"},
		{"tree-data", "/alice/big/tree/main/data"},
		{"blob", "/alice/big/blob/main/file-001.txt"},
		{"commits", "/alice/big/commits/main"},
		{"commits-last-page", "/alice/big/commits/main?p=10"},
		{"commit", "/alice/big/commit/" + last},
		{"compare", "/alice/big/compare"},
		{"home", "/"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			get(b, e, tc.path) // warm the object cache like a running server
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				get(b, e, tc.path)
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
			b.ReportMetric(ms(times[min(len(times)-1, len(times)*99/100)]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// get requests path anonymously and fails unless the page is 200.
func get(b *testing.B, e *env, path string) {
	resp, err := e.app.Test(httptest.NewRequest("GET", "http://quarry.test"+path, nil), -1)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
}
