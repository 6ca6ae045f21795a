package browsertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/train/tiles"
)

// Upload test data: a few synthetic tiles per class, and one scan large
// enough for the multipart path (hub.LFSMultipartThreshold).
const (
	uploadSeed     = 6600
	uploadPerClass = 8
	bigScanName    = "big-scan.png"
	bigScanSide    = 3600 // pixels: a noise PNG of about 37 MiB, 5 parts
)

// uploadRepos are the dataset repos upload.mjs creates, one per scenario.
var uploadRepos = []string{"resume-reload", "resume-bad-part", "resume-refused"}

// TestResumableUploadInChromium drives web/browsertest/upload.mjs: on
// /training/new two class folders, one holding a file over the multipart
// threshold, are uploaded three times with the part PUTs cut after a few
// parts, then started again: after a page reload only the missing parts
// are sent ("Resuming: 2 of 5 parts already uploaded") and the validation
// report appears; with a tampered part ETag kept in the browser the
// server refuses the completion and the page sends the file again from the
// start; with a saved upload URL the server does not accept (as when it
// has expired) the page uploads afresh. Each dataset repo must then hold
// byte-identical copies of the files.
func TestResumableUploadInChromium(t *testing.T) {
	chromium := prerequisites(t)
	bin := quarryBinary(t)
	data := t.TempDir()
	token := lastLine(t, run(t, bin, "user", "create", testUser, "--password", testPassword, "--data", data))
	srv := startServer(t, bin, data)
	uploadScenarios(t, chromium, srv, token, artifactsDir(t))
}

// uploadScenarios generates the file set, runs upload.mjs against the
// server srv, keeping screenshots in artifacts, and checks the content of
// the dataset repos it made.
func uploadScenarios(t *testing.T, chromium, srv, token, artifacts string) {
	t.Helper()
	set := filepath.Join(t.TempDir(), "tiles")
	if _, err := tiles.GenerateSet(set, uploadSeed, uploadPerClass, tiles.DefaultSize); err != nil {
		t.Fatal(err)
	}
	big := writeNoisePNG(t, filepath.Join(set, tiles.LabelMine, bigScanName), bigScanSide)
	if big < hub.LFSMultipartThreshold {
		t.Fatalf("%s has %d bytes, under the multipart threshold %d", bigScanName, big, hub.LFSMultipartThreshold)
	}
	parts := (big + hub.LFSChunkSize - 1) / hub.LFSChunkSize
	want := localHashes(t, set)

	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(artifacts, "upload-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "upload.mjs")
	cmd.Env = append(os.Environ(),
		"QUARRY_URL="+srv, "QUARRY_USER="+testUser, "QUARRY_PASSWORD="+testPassword,
		"UPLOAD_CLASS1="+filepath.Join(set, tiles.LabelMine), "UPLOAD_CLASS2="+filepath.Join(set, tiles.LabelNoMine),
		"UPLOAD_POSITIVE="+tiles.LabelMine, "UPLOAD_BIG="+tiles.LabelMine+"/"+bigScanName,
		"UPLOAD_BIG_OID="+want[tiles.LabelMine+"/"+bigScanName],
		"UPLOAD_PARTS="+strconv.FormatInt(parts, 10), "UPLOAD_REPOS="+strings.Join(uploadRepos, ","),
		"QUARRY_ARTIFACTS="+artifacts, "QUARRY_CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node upload.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)", err, artifacts)
	}
	for _, name := range []string{"upload-01-interrupted.png", "upload-02-resumed.png", "upload-03-restarted.png", "upload-04-fresh.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, name)); err != nil || fi.Size() == 0 {
			t.Fatalf("screenshot %s missing: %v", name, err)
		}
	}
	for _, repo := range uploadRepos {
		checkDatasetContent(t, srv, token, testUser+"/"+repo, want)
	}
}

// TestUploadHasher runs sha256.mjs: the incremental SHA-256 that the page
// uses for large files agrees with node:crypto around every block and
// padding boundary, whatever the slices it is fed.
func TestUploadHasher(t *testing.T) {
	prerequisites(t)
	out, err := exec.Command("node", "sha256.mjs").CombinedOutput()
	t.Logf("node sha256.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("sha256.mjs: %v", err)
	}
}

// writeNoisePNG writes a side x side PNG of random opaque pixels, stored
// without compression, and returns its size in bytes.
func writeNoisePNG(t *testing.T, path string, side int) int64 {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(uploadSeed, 1))
	for i := 0; i < len(img.Pix); i += 4 {
		v := r.Uint32()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(v), byte(v>>8), byte(v>>16), 255
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// localHashes returns the sha256 of every file under dir by its path
// relative to dir ("LABEL/NAME").
func localHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDatasetContent downloads every file of the dataset repo's main
// branch (other than .gitattributes) and compares it with want (path ->
// sha256): same files, same bytes.
func checkDatasetContent(t *testing.T, base, token, repo string, want map[string]string) {
	t.Helper()
	var entries []struct{ Type, Path string }
	if err := json.Unmarshal(apiGet(t, base+"/api/datasets/"+repo+"/tree/main?recursive=true", token), &entries); err != nil {
		t.Fatalf("tree of %s: %v", repo, err)
	}
	got := map[string]string{}
	for _, e := range entries {
		if e.Type != "file" || e.Path == ".gitattributes" {
			continue
		}
		sum := sha256.Sum256(apiGet(t, base+"/datasets/"+repo+"/resolve/main/"+e.Path, token))
		got[e.Path] = hex.EncodeToString(sum[:])
	}
	if len(got) != len(want) {
		t.Fatalf("%s holds %d files, want %d", repo, len(got), len(want))
	}
	for p, sum := range want {
		if got[p] != sum {
			t.Fatalf("%s: %s has sha256 %q, want %s", repo, p, got[p], sum)
		}
	}
	t.Logf("%s: %d files, byte-identical", repo, len(got))
}

// apiGet GETs url with the token and returns the body of a 200 answer.
func apiGet(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, b[:min(len(b), 200)])
	}
	return b
}
