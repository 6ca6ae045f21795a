package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quarry/hub"
	"quarry/modelcards"
)

// modelsDir returns the repository's third_party/models when set-up has
// converted the base model; otherwise it skips the test, or fails it when
// CI=true.
func modelsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", defaultModelsDir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mobilenet-v2-140-224", "onnx", "model.onnx")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("converted base model missing (run make setup): %v", err)
		}
		t.Skipf("converted base model missing (run make setup): %v", err)
	}
	return dir
}

func TestImportBase(t *testing.T) {
	models := modelsDir(t)
	data := t.TempDir()
	_, out, err := run(t, nil, "import-base", "--data", data, "--models", models)
	if err != nil {
		t.Fatalf("import-base: %v\n%s", err, out)
	}
	const id = "quarry/mobilenet-v2-140-224"
	if got := lastLine(out); got != id {
		t.Fatalf("last line %q, want %q", got, id)
	}
	if !strings.Contains(out, id+": committed ") {
		t.Fatalf("first run did not commit:\n%s", out)
	}
	head := checkImported(t, data, models)

	_, out, err = run(t, map[string]string{"QUARRY_DATA": data}, "import-base", "--models", models)
	if err != nil {
		t.Fatalf("second import-base: %v\n%s", err, out)
	}
	if lastLine(out) != id || !strings.Contains(out, id+": up to date at "+head) {
		t.Fatalf("second run output:\n%s", out)
	}
	if again := checkImported(t, data, models); again != head {
		t.Fatalf("second run moved main from %s to %s", head, again)
	}
	checkServed(t, data, models)
}

// checkImported checks main of the base repo in the data directory and
// returns its commit.
func checkImported(t *testing.T, data, models string) string {
	t.Helper()
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	var head string
	err := m.withService(m.storeConfig(data), func(svc *hub.Service) error {
		anon := &hub.Caller{}
		id := hub.RepoID{Type: hub.Model, Namespace: "quarry", Name: "mobilenet-v2-140-224"}
		rev, err := svc.ResolveRevision(ctx, anon, id, "main") // public: anonymous may read
		if err != nil {
			return err
		}
		head = rev.Commit
		entries, err := svc.Tree(ctx, rev, "", true)
		if err != nil {
			return err
		}
		var paths []string
		for _, e := range entries {
			paths = append(paths, e.Path)
			if e.Path == "onnx/model.onnx" {
				want := sha256File(t, filepath.Join(models, "mobilenet-v2-140-224", "onnx", "model.onnx"))
				if e.LFS == nil || e.LFS.OID != want {
					t.Errorf("onnx/model.onnx: LFS %+v, want oid %s", e.LFS, want)
				}
			}
		}
		if got, want := strings.Join(paths, " "), ".gitattributes README.md config.json onnx onnx/model.onnx preprocessor_config.json"; got != want {
			t.Errorf("tree %q, want %q", got, want)
		}
		f, err := svc.Stat(ctx, rev, "README.md", false)
		if err != nil {
			return err
		}
		rc, err := svc.OpenFile(ctx, f, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		readme, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		card, err := modelcards.Parse(readme)
		if err != nil {
			return err
		}
		if card.PipelineTag() != "image-feature-extraction" || !strings.Contains(card.Body, "nsfwjs@4.4.0") {
			t.Errorf("card %v", card.Data)
		}
		if _, err := svc.Meta.GetUser(ctx, "quarry"); err != nil {
			t.Errorf("user quarry: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// checkServed downloads the model anonymously from a server on the data
// directory and compares it with the converted file.
func checkServed(t *testing.T, data, models string) {
	t.Helper()
	m, _, err := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := http.Get(m.URL() + "/quarry/mobilenet-v2-140-224/resolve/main/onnx/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, res.Body); err != nil {
		t.Fatal(err)
	}
	want := sha256File(t, filepath.Join(models, "mobilenet-v2-140-224", "onnx", "model.onnx"))
	if res.StatusCode != 200 || hex.EncodeToString(h.Sum(nil)) != want {
		t.Fatalf("resolve: status %d, sha256 %x, want 200 and %s", res.StatusCode, h.Sum(nil), want)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestImportBaseMissingModels(t *testing.T) {
	data, models := t.TempDir(), t.TempDir()
	_, _, err := run(t, nil, "import-base", "--data", data, "--models", models)
	want := "import-base: base model not found at " + filepath.Join(models, "mobilenet-v2-140-224") + ": run make setup"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	entries, _ := os.ReadDir(data)
	if len(entries) != 0 {
		t.Fatalf("a failed import touched the data directory: %v", entries)
	}
}

func TestImportBaseUsage(t *testing.T) {
	_, _, err := run(t, nil, "import-base", "extra")
	if _, ok := err.(*usageError); !ok {
		t.Fatalf("err = %v, want a usage error", err)
	}
}
