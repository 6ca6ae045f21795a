package browsertest

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/internal/mltest"
	"quarry/train/tiles"
)

// Drop test data: small class folders for the dropped-folder upload, a zip
// large enough for a one-candidate project to train on.
const (
	dropSeed        = 6700
	dropPerClass    = 8
	dropZipPerClass = 12
	dropZipName     = "tiles.zip"
	dropModel       = "zip-finder"
)

// dropRepos are the dataset repos drop.mjs creates: dropped folders, zip.
var dropRepos = []string{"dropped-folders", "dropped-zip"}

// TestDropInChromium drives web/browsertest/drop.mjs on /training/new: the
// drop zone's folder picker by keyboard and by a click (a parent folder,
// then one class folder), two class folders dropped (fake directory
// entries dispatched in a drop event) then uploaded with a class renamed,
// refusals of a loose file, an empty folder, a folder without images, a
// PDF and a fake zip (each named in the live status), and a zip dropped as
// a real DataTransfer file, uploaded as is, validated by the server and
// trained on. The repos must then hold exactly the dropped images (under
// their class names, sub-folders flattened) and the zip, byte for byte,
// and the project must have trained on the zip's dataset.
func TestDropInChromium(t *testing.T) {
	chromium := prerequisites(t)
	ortLib := mltest.ORTLibrary(t)
	models := filepath.Dir(mltest.BackboneDir(t))
	bin := quarryBinary(t)
	data := t.TempDir()
	token := lastLine(t, run(t, bin, "user", "create", testUser, "--password", testPassword, "--data", data))
	run(t, bin, "import-base", "--models", models, "--data", data)
	srv := serveEnv(t, bin, []string{"QUARRY_ORT_LIB=" + ortLib}, "serve", "--data", data)

	classes, wantFolders := dropFolders(t)
	zipFile := filepath.Join(t.TempDir(), dropZipName)
	writeTileZip(t, zipFile)
	artifacts := artifactsDir(t)
	old, _ := filepath.Glob(filepath.Join(artifacts, "drop-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "drop.mjs")
	cmd.Env = append(os.Environ(),
		"QUARRY_URL="+srv, "QUARRY_USER="+testUser, "QUARRY_PASSWORD="+testPassword,
		"DROP_CLASSES="+classes, "DROP_ZIP="+zipFile, "DROP_POSITIVE="+tiles.LabelMine,
		"DROP_REPOS="+strings.Join(dropRepos, ","), "DROP_MODEL="+dropModel,
		"QUARRY_ARTIFACTS="+artifacts, "QUARRY_CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node drop.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)", err, artifacts)
	}
	for _, name := range []string{"drop-01-picked.png", "drop-02-folders-validated.png", "drop-03-refused.png",
		"drop-04-zip-chosen.png", "drop-05-zip-validated.png", "drop-06-project.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, name)); err != nil || fi.Size() == 0 {
			t.Fatalf("screenshot %s missing: %v", name, err)
		}
	}
	checkDatasetContent(t, srv, token, testUser+"/"+dropRepos[0], wantFolders)
	zipSum := fileSHA256(t, zipFile)
	checkDatasetContent(t, srv, token, testUser+"/"+dropRepos[1], map[string]string{dropZipName: zipSum})
	checkLFS(t, srv, token, testUser+"/"+dropRepos[1], dropZipName, zipSum)
	checkZipProject(t, srv, token)
}

// TestDropClassification runs droptree.mjs: datasetdrop.js reads fake
// directory-entry trees and picked folders into classes, a zip, or named
// refusals.
func TestDropClassification(t *testing.T) {
	prerequisites(t)
	out, err := exec.Command("node", "droptree.mjs").CombinedOutput()
	t.Logf("node droptree.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("droptree.mjs: %v", err)
	}
}

// dropFolders writes the class folders that drop.mjs picks and drops:
// mine/ with tiles, notes.txt and .DS_Store; no_mine/ with half its tiles
// in no_mine/more/. It returns their parent and the repo content expected
// after the upload, where no_mine is renamed clear: path -> sha256.
func dropFolders(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "classes")
	items, err := tiles.GenerateSet(dir, dropSeed, dropPerClass, tiles.DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	more := filepath.Join(dir, tiles.LabelNoMine, "more")
	if err := os.MkdirAll(more, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	moved := 0
	for _, it := range items {
		src := filepath.Join(dir, filepath.FromSlash(it.Path))
		name := filepath.Base(src)
		switch {
		case it.Label == tiles.LabelMine:
			want["mine/"+name] = fileSHA256(t, src)
		case moved < dropPerClass/2:
			moved++
			if err := os.Rename(src, filepath.Join(more, name)); err != nil {
				t.Fatal(err)
			}
			want["clear/more-"+name] = fileSHA256(t, filepath.Join(more, name))
		default:
			want["clear/"+name] = fileSHA256(t, src)
		}
	}
	for name, body := range map[string]string{"notes.txt": "not an image", ".DS_Store": "junk"} {
		if err := os.WriteFile(filepath.Join(dir, tiles.LabelMine, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, want
}

// writeTileZip writes a zip of tiles as a desktop archiver makes it: a
// wrapper folder (tiles/mine/*.png, tiles/no_mine/*.png), folder entries,
// and macOS junk (__MACOSX/, .DS_Store), which the server ignores.
func writeTileZip(t *testing.T, path string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "tiles")
	items, err := tiles.GenerateSet(src, dropSeed+1, dropZipPerClass, tiles.DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	add := func(name string, body []byte) {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err == nil {
			_, err = fw.Write(body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"tiles/", "tiles/mine/", "tiles/no_mine/"} {
		add(d, nil)
	}
	for _, it := range items {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(it.Path)))
		if err != nil {
			t.Fatal(err)
		}
		add("tiles/"+it.Path, b)
	}
	add("tiles/.DS_Store", []byte("junk"))
	add("__MACOSX/tiles/mine/._mine_0000.png", []byte("resource fork"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkLFS checks that path is stored in the dataset repo as the LFS
// object oid (the zip went through the LFS path, resumable when large).
func checkLFS(t *testing.T, base, token, repo, path, oid string) {
	t.Helper()
	var entries []struct {
		Path string
		LFS  *struct{ OID string }
	}
	if err := json.Unmarshal(apiGet(t, base+"/api/datasets/"+repo+"/tree/main", token), &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Path == path {
			if e.LFS == nil || e.LFS.OID != oid {
				t.Fatalf("%s in %s: LFS %+v, want object %s", path, repo, e.LFS, oid)
			}
			return
		}
	}
	t.Fatalf("%s not in %s", path, repo)
}

// checkZipProject checks that the user's project dropModel trained one
// candidate on the zip dataset and succeeded.
func checkZipProject(t *testing.T, base, token string) {
	t.Helper()
	var projects []struct {
		Name, Dataset, State string
		Labels               []string
		Candidates           []struct {
			Head    string
			Metrics map[string]float64
		}
	}
	if err := json.Unmarshal(apiGet(t, base+"/api/training/projects?owner="+testUser, token), &projects); err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		if p.Name != testUser+"/"+dropModel {
			continue
		}
		if p.Dataset != testUser+"/"+dropRepos[1] || p.State != "succeeded" || strings.Join(p.Labels, ",") != "mine,no_mine" {
			t.Fatalf("project %s: dataset %s, state %s, labels %v; want %s/%s, succeeded, mine and no_mine",
				p.Name, p.Dataset, p.State, p.Labels, testUser, dropRepos[1])
		}
		if len(p.Candidates) != 1 || p.Candidates[0].Head != "logreg" || len(p.Candidates[0].Metrics) == 0 {
			t.Fatalf("project %s candidates %+v, want one logreg with metrics", p.Name, p.Candidates)
		}
		t.Logf("project %s trained on %s: %s", p.Name, p.Dataset, p.State)
		return
	}
	t.Fatalf("no project %s/%s among %d", testUser, dropModel, len(projects))
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
