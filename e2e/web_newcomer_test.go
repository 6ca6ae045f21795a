package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/train/tiles"
)

// Newcomer test data: 20 + 20 synthetic tiles keep the walk under two
// minutes of training.
const (
	newcomerSeed     = 6100
	newcomerPerClass = 20
	newcomerPassword = "newcomer browser password"
)

// TestNewcomerInChromium is acceptance 1 of the web issue: in headless
// Chromium (web/browsertest/newcomer.mjs) a newcomer signs in, uploads two
// folders of synthetic tiles as a new dataset (the validation report shows
// both classes), starts a 3-candidate project on /training/new, watches it
// finish on /training/ID, reads the leaderboard (every metric, best per
// column, confusion matrix and ROC curve), publishes the winner as private,
// opens its model page and demo (which classifies a mine tile), makes it
// public on /settings/repos, signs out and finds it from the home page
// search. Screenshots of each step are kept as newcomer-*.png.
func TestNewcomerInChromium(t *testing.T) {
	chromium := browserPrereqs(t)
	node := nodeDeps(t, browserTestDir, "playwright-core", "axe-core")
	ortLib := demoRuntime(t)
	const user = "newcomer"
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	token := lastLine(quarryCLI(t, data, "user", "create", user, "--password", newcomerPassword))
	s := startServerEnv(t, data, demoEnv(ortLib))
	c := &client{t: t, base: s.URL, token: token, user: user}
	ensureBaseModel(t, s, c)

	set := filepath.Join(t.TempDir(), "tiles")
	if _, err := tiles.GenerateSet(set, newcomerSeed, newcomerPerClass, tiles.DefaultSize); err != nil {
		t.Fatal(err)
	}
	tile := filepath.Join(t.TempDir(), "tile.png")
	if err := os.WriteFile(tile, pngOf(t, tiles.Generate(newcomerSeed+99999, true, tiles.DefaultSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	artifacts := artifactsDir(t)
	old, _ := filepath.Glob(filepath.Join(artifacts, "newcomer-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	start := time.Now()
	runBrowser(t, node, "newcomer.mjs", "QUARRY_URL="+s.URL, "QUARRY_USER="+user, "QUARRY_PASSWORD="+newcomerPassword,
		"NEWCOMER_CLASS1="+filepath.Join(set, tiles.LabelMine), "NEWCOMER_CLASS2="+filepath.Join(set, tiles.LabelNoMine),
		"NEWCOMER_POSITIVE="+tiles.LabelMine, "NEWCOMER_MODEL=mine-finder", "NEWCOMER_TILE="+tile,
		"QUARRY_ARTIFACTS="+artifacts, "QUARRY_CHROMIUM="+chromium)
	t.Logf("newcomer walk took %s", time.Since(start).Round(time.Second))
	for i, name := range []string{"01-sign-in", "02-dataset-validated", "03-candidates", "04-project-started",
		"05-leaderboard", "06-published", "07-model-page", "08-demo", "09-public", "10-search-signed-out"} {
		p := filepath.Join(artifacts, fmt.Sprintf("newcomer-%s.png", name))
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Fatalf("screenshot %d %s missing: %v", i+1, p, err)
		}
	}
	checkBrowserUpload(t, c, user+"/mine-finder-images", newcomerPerClass)
}

// checkBrowserUpload checks that the page stored each class folder's
// images in dataset repo as LFS files under LABEL/.
func checkBrowserUpload(t *testing.T, c *client, repo string, n int) {
	t.Helper()
	for _, label := range mineLabels {
		r, err := c.do("GET", c.base+"/api/datasets/"+repo+"/tree/main/"+label, "", nil, true)
		if err != nil || r.Status != 200 {
			t.Fatalf("tree of %s/%s: %v %v", repo, label, err, r)
		}
		var entries []struct {
			Path string
			LFS  *struct{ Oid string } `json:"lfs"`
		}
		if err := json.Unmarshal(r.Body, &entries); err != nil {
			t.Fatal(err)
		}
		lfs := 0
		for _, e := range entries {
			if e.LFS != nil && len(e.LFS.Oid) == 64 && strings.HasPrefix(e.Path, label+"/") {
				lfs++
			}
		}
		if len(entries) != n || lfs != n {
			t.Fatalf("%s/%s: %d files, %d in LFS, want %d of each", repo, label, len(entries), lfs, n)
		}
	}
}
