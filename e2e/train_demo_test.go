package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoContentOnFirstStart: with QUARRY_DEMO_CONTENT=1 (make run) a
// fresh server creates demo/amber-mines-data (250 + 250 synthetic tiles),
// trains a 3-candidate project and publishes the winner as the public
// demo/amber-mines with the demo's flag dataset; a restart changes nothing.
func TestDemoContentOnFirstStart(t *testing.T) {
	ortLib := demoRuntime(t)
	models, err := filepath.Abs(filepath.Join("..", "third_party", "models"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(demoEnv(ortLib), "QUARRY_DEMO_CONTENT=1", "QUARRY_MODELS="+models)
	s := startServerEnv(t, data, env)
	anon := &client{t: t, base: s.URL}
	start := time.Now()
	var card []byte
	for {
		if r, err := anon.do("GET", s.URL+"/demo/amber-mines/resolve/main/README.md", "", nil, false); err == nil &&
			r.Status == 200 && strings.Contains(string(r.Body), "flag_dataset: demo/amber-mines-flags") {
			card = r.Body
			break
		}
		if time.Since(start) > 6*time.Minute {
			t.Fatalf("no demo/amber-mines with its flag dataset after 6 minutes:\n%s", tail(s.log, 30))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("demo content ready %v after the start", time.Since(start).Round(time.Second))
	fm, body := frontMatter(t, card)
	if fm["pipeline_tag"] != "image-classification" || !strings.Contains(strings.ToLower(body), "synthetic") {
		t.Errorf("demo/amber-mines card: pipeline_tag %v; body:\n%s", fm["pipeline_tag"], body)
	}
	dcard := anon.mustDo(200, "GET", "/datasets/demo/amber-mines-data/resolve/main/README.md", "", nil)
	if dfm, _ := frontMatter(t, dcard.Body); !strings.Contains(strings.Join(anyStrings(dfm["tags"]), ","), "synthetic") {
		t.Errorf("dataset card tags %v", dfm["tags"])
	}
	anon.mustDo(200, "GET", "/demo/amber-mines/demo/config", "", nil)
	commits := anon.commitCount("demo/amber-mines")

	s.kill()
	s = startServerEnv(t, data, env)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(tail(s.log, 50), "demo content: demo/amber-mines exists") {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted server did not skip the demo content:\n%s", tail(s.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	anon.base = s.URL
	if got := anon.commitCount("demo/amber-mines"); got != commits {
		t.Fatalf("demo/amber-mines has %d commits after a restart, %d before", got, commits)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
