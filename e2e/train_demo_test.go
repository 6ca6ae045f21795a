package e2e

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/train/tiles"
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

// checkHeldOut classifies a fresh held-out set with the published model
// (in-process, as the demo does) and compares its accuracy with the one
// the card says to expect (the cross-validated estimate); a few tiles go
// through the demo endpoint and transformers.js, whose scores must match.
func (h *trainHub) checkHeldOut(t *testing.T, repo string, card cardFigures) {
	t.Helper()
	paths, labels := setImages(t, tileSet(t, heldOutSetSeed, heldPerClass))
	clf := newModelClassifier(t, h, repo)
	scores := clf.classify(t, paths)
	right := 0
	for i, s := range scores {
		if argmax(s) == labels[i] {
			right++
		}
	}
	acc := float64(right) / float64(len(paths))
	expected := card.expected["accuracy"]
	gap := math.Abs(acc - expected)
	// The card's figure has its own standard error (over the folds), the
	// held-out accuracy a binomial one: a card that reported training-set
	// or otherwise biased figures would be more than 3 SE off.
	se := math.Sqrt(card.expectedSE*card.expectedSE + acc*(1-acc)/float64(len(paths)))
	t.Logf("held-out accuracy %.4f on %d fresh tiles; card: expected accuracy %.4f ± %.4f (%s), validation split %.4f; "+
		"gap %.4f (3 SE = %.4f)", acc, len(paths), expected, card.expectedSE, cvSplit, card.validation["accuracy"], gap, 3*se)
	if gap > 0.03 {
		t.Errorf("held-out accuracy %.4f is %.4f from the card's expected %.4f: issue 5 asks for at most 0.03", acc, gap, expected)
	}
	if gap > 3*se {
		t.Errorf("held-out accuracy %.4f is more than 3 standard errors (%.4f) from the card's %.4f", acc, 3*se, expected)
	}
	var sample []tjsImage
	for _, i := range []int{0, 1, 2, heldPerClass, heldPerClass + 1, heldPerClass + 2} {
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		l := demoPredict(t, h.c, h.s.URL+"/"+repo+"/demo", filepath.Base(paths[i]), data, nil)
		got := l.scores()
		for label, v := range scores[i] {
			if math.Abs(got[label]-v) > 1e-4 {
				t.Errorf("%s: demo %s=%v, in-process %v", filepath.Base(paths[i]), label, got[label], v)
			}
		}
		sample = append(sample, tjsImage{Path: paths[i], Scores: got})
	}
	h.checkTransformersJS(t, repo, sample)
}

// checkTransformersJS runs transformers.test.mjs on the published model:
// transformers.js must give the demo's top label and scores within 1e-3.
func (h *trainHub) checkTransformersJS(t *testing.T, repo string, images []tjsImage) {
	t.Helper()
	node := nodeDeps(t, ".", "@huggingface/transformers")
	dir := t.TempDir()
	expPath := filepath.Join(dir, "expected.json")
	writeJSON(t, expPath, tjsExpected{Model: repo, Labels: []string{tiles.LabelMine, tiles.LabelNoMine}, Images: images})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "transformers.test.mjs")
	cmd.Env = append(serverEnv(), "QUARRY_ENDPOINT="+h.s.URL, "TJS_EXPECTED="+expPath,
		"TJS_ACTUAL="+filepath.Join(dir, "actual.json"), "TJS_CACHE="+filepath.Join(dir, "cache"), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test transformers.test.mjs on %s: %v\n%s", repo, err, out)
	}
	t.Logf("transformers.js: %s", lastLine(grepLines(string(out), "transformers.js")))
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(append(out, ""), "\n")
}
