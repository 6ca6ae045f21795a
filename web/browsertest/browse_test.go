package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowseInChromium opens the home page, searches, opens a model page,
// its files, history, a commit and the comparison, a model whose card
// tries to run script (nothing may execute), a private repo signed out
// (404 like a missing one) and signed in, and a user page, with axe-core on
// every page and screenshots kept (browse-*.png); then reads the same
// pages with JavaScript disabled.
func TestBrowseInChromium(t *testing.T) {
	chromium := prerequisites(t)
	bin := quarryBinary(t)
	data := t.TempDir()
	token := lastLine(t, run(t, bin, "user", "create", testUser, "--password", testPassword, "--data", data))
	srv := startServer(t, bin, data)
	browseFixture(t, srv, token)

	artifacts := artifactsDir(t)
	old, _ := filepath.Glob(filepath.Join(artifacts, "browse-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "browse.mjs")
	cmd.Env = append(os.Environ(),
		"QUARRY_URL="+srv, "QUARRY_USER="+testUser, "QUARRY_PASSWORD="+testPassword,
		"QUARRY_ARTIFACTS="+artifacts, "QUARRY_CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node browse.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)", err, artifacts)
	}
	for _, name := range []string{"browse-home.png", "browse-search.png", "browse-model.png", "browse-files.png",
		"browse-commit.png", "browse-compare.png", "browse-evil-card.png", "browse-private-404.png",
		"browse-private-signed-in.png", "browse-user.png", "browse-model-phone.png", "browse-nojs.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, name)); err != nil || fi.Size() == 0 {
			t.Fatalf("screenshot %s missing: %v", name, err)
		}
	}
}

// Cards of the browse test's repos.
const (
	catsCardV1 = "---\nlicense: mit\nlibrary_name: transformers.js\npipeline_tag: image-classification\nmodel-index:\n" +
		"- name: cats-detector\n  results:\n  - task: {type: image-classification}\n    dataset: {name: tiles, type: alice/tiles, split: validation}\n" +
		"    metrics:\n    - {type: accuracy, value: 0.91}\n    - {type: recall, value: 0.8}\n---\n" +
		"# Cats detector\n\nFinds cats in satellite tiles.\n\n| class | images |\n|---|---|\n| cat | 120 |\n| no_cat | 300 |\n"
	catsCardV2 = "---\nlicense: mit\nlibrary_name: transformers.js\npipeline_tag: image-classification\nmodel-index:\n" +
		"- name: cats-detector\n  results:\n  - task: {type: image-classification}\n    dataset: {name: tiles, type: alice/tiles, split: validation}\n" +
		"    metrics:\n    - {type: accuracy, value: 0.94}\n    - {type: recall, value: 0.88}\n---\n" +
		"# Cats detector\n\nFinds cats in satellite tiles. Retrained on more tiles.\n\n| class | images |\n|---|---|\n| cat | 240 |\n| no_cat | 600 |\n"
	// evilCard tries script, handlers, frames and script URLs; the page
	// must render it inert (browse.mjs checks window.__pwned and dialogs).
	evilCard = "---\nlicense: mit\n---\n# Evil card\n\n" +
		"<script>window.__pwned = 'script'; alert('script')</script>\n\n" +
		"<img src=x onerror=\"window.__pwned='onerror'; alert('onerror')\">\n\n" +
		"<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>\n\n" +
		"<svg onload=\"window.__pwned='svg'\"></svg>\n\n" +
		"<details open ontoggle=\"window.__pwned='toggle'\"><summary>x</summary></details>\n\n" +
		"[click me](javascript:window.__pwned='link';alert('link'))\n\n" +
		"[entity](&#106;avascript:window.__pwned='entity')\n\n" +
		"<a href=\"javascript:window.__pwned='raw'\">raw link</a>\n\n" +
		"![pixel](https://evil.example/pixel.png)\n\n" +
		"Plain text after the attacks.\n"
)

// browseFixture creates, through the HF API with token: the public model
// alice/cats-detector (two commits), the private model
// alice/secret-draft, the public model alice/evil-card and the public
// dataset alice/tiles.
func browseFixture(t *testing.T, base, token string) {
	t.Helper()
	createRepo(t, base, token, "model", "cats-detector", false)
	commitAPI(t, base, token, "models", "cats-detector", "First training run", map[string]string{
		"README.md": catsCardV1, "config.json": `{"model_type": "vit"}`, "labels.txt": "cat\nno_cat\n"})
	commitAPI(t, base, token, "models", "cats-detector", "Retrain on more tiles", map[string]string{
		"README.md": catsCardV2, "labels.txt": "cat\nno_cat\nunknown\n"})
	createPrivateRepo(t, base, token, "secret-draft")
	commitAPI(t, base, token, "models", "secret-draft", "Draft", map[string]string{"README.md": "# Secret draft\n"})
	createRepo(t, base, token, "model", "evil-card", false)
	commitAPI(t, base, token, "models", "evil-card", "Evil card", map[string]string{"README.md": evilCard})
	createRepo(t, base, token, "dataset", "tiles", false)
	commitAPI(t, base, token, "datasets", "tiles", "Tiles", map[string]string{"README.md": "# Tiles\n", "cat/1.txt": "pretend image\n"})
}

// createRepo creates user/name of typ through the API.
func createRepo(t *testing.T, base, token, typ, name string, private bool) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"type":%q,"private":%v}`, name, typ, private)
	apiCall(t, "POST", base+"/api/repos/create", token, "application/json", body)
}

// commitAPI commits text files to main through the NDJSON commit API.
func commitAPI(t *testing.T, base, token, plural, name, summary string, files map[string]string) {
	t.Helper()
	var b strings.Builder
	line := func(key string, value any) {
		v, _ := json.Marshal(map[string]any{"key": key, "value": value})
		b.Write(v)
		b.WriteByte('\n')
	}
	line("header", map[string]string{"summary": summary})
	for p, content := range files {
		line("file", map[string]string{"path": p, "encoding": "base64", "content": base64.StdEncoding.EncodeToString([]byte(content))})
	}
	apiCall(t, "POST", fmt.Sprintf("%s/api/%s/%s/%s/commit/main", base, plural, testUser, name), token, "application/x-ndjson", b.String())
}

func apiCall(t *testing.T, method, url, token, ctype, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
}
