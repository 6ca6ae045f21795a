package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"quarry/hub/hubclient"
	"quarry/ml/imageproc"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
	"quarry/train/tiles"
)

// trainHub is a server with the base model and a user able to train.
type trainHub struct {
	s      *server
	c      *client
	api    *hubclient.Client
	ortLib string
}

// newTrainHub starts a server set up for training (ONNX Runtime, the base
// model imported) with user name.
func newTrainHub(t *testing.T, name string, env ...string) *trainHub {
	t.Helper()
	ortLib := demoRuntime(t)
	s, c := newHubEnv(t, name, append(demoEnv(ortLib), env...))
	ensureBaseModel(t, s, c)
	return &trainHub{s: s, c: c, api: hubclient.New(s.URL, c.token), ortLib: ortLib}
}

// cliResult is the outcome of one CLI run.
type cliResult struct {
	stdout, stderr string
	err            error
	elapsed        time.Duration
}

// last is the last stdout line.
func (r cliResult) last() string { return lastLine(r.stdout) }

func (r cliResult) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.err, tailString(r.stdout, 40), tailString(r.stderr, 40))
}

// cli runs `quarry ARGS...` against the hub with the user's token.
func (h *trainHub) cli(timeout time.Duration, args ...string) cliResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, quarryBin, append(args, "--endpoint", h.s.URL, "--token", h.c.token)...)
	cmd.Env = serverEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err, elapsed: time.Since(start)}
}

// tileSet generates n mine and n no_mine tiles with seed into a new
// directory.
func tileSet(t *testing.T, seed int64, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fmt.Sprintf("tiles-%d", seed))
	if _, err := tiles.GenerateSet(dir, seed, n, tiles.DefaultSize); err != nil {
		t.Fatal(err)
	}
	return dir
}

// uploadDataset runs `quarry dataset upload` and returns the revision.
func (h *trainHub) uploadDataset(t *testing.T, id, src string, flags ...string) string {
	t.Helper()
	r := h.cli(5*time.Minute, append([]string{"dataset", "upload", "--dataset", id, src}, flags...)...)
	if r.err != nil {
		t.Fatalf("dataset upload %s: %s", id, r)
	}
	var out struct{ Revision string }
	if err := json.Unmarshal([]byte(r.last()), &out); err != nil || len(out.Revision) != 40 {
		t.Fatalf("dataset upload %s: last line %q: %v", id, r.last(), err)
	}
	return out.Revision
}

// trainResult is the last line of `quarry train --wait`.
type trainResult struct {
	Project    string `json:"project"`
	ID         string `json:"id"`
	State      string `json:"state"`
	Winner     string `json:"winner"`
	Candidates []struct {
		Name    string             `json:"name"`
		Repo    string             `json:"repo"`
		Head    string             `json:"head"`
		State   string             `json:"state"`
		Rank    int                `json:"rank"`
		Metrics map[string]float64 `json:"metrics"`
	} `json:"candidates"`
	Published *struct{ Repo, Commit string } `json:"published"`
}

// train runs `quarry train ... --wait` and parses its last line.
func (h *trainHub) train(t *testing.T, args ...string) (trainResult, cliResult) {
	t.Helper()
	r := h.cli(10*time.Minute, append([]string{"train", "--wait", "--poll", "200ms"}, args...)...)
	var res trainResult
	if err := json.Unmarshal([]byte(r.last()), &res); err != nil {
		t.Fatalf("quarry train: last line is not the result: %v\n%s", err, r)
	}
	return res, r
}

// binaryMetricKeys are the six binary metrics of the leaderboard.
var binaryMetricKeys = []string{"loss", "accuracy", "precision", "recall", "auc", "f1"}

// download reads a file of repo (model) through the API as the user.
func (h *trainHub) download(t *testing.T, repo, path string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := h.api.Download(context.Background(), hubclient.Model, repo, "main", path, &buf); err != nil {
		t.Fatalf("download %s/%s: %v", repo, path, err)
	}
	return buf.Bytes()
}

// frontMatter splits a card into its YAML front matter and body.
func frontMatter(t *testing.T, card []byte) (map[string]any, string) {
	t.Helper()
	s := string(card)
	if !strings.HasPrefix(s, "---\n") {
		t.Fatalf("card without front matter:\n%s", s)
	}
	yml, body, ok := strings.Cut(s[4:], "\n---\n")
	if !ok {
		t.Fatalf("card front matter does not end:\n%s", s)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(yml), &m); err != nil {
		t.Fatalf("card front matter: %v\n%s", err, yml)
	}
	return m, body
}

// cardMetrics reads a card's model-index: metric values by type, by dataset split.
func cardMetrics(t *testing.T, fm map[string]any) map[string]map[string]float64 {
	t.Helper()
	out := map[string]map[string]float64{}
	idx, _ := fm["model-index"].([]any)
	for _, m := range idx {
		results, _ := m.(map[string]any)["results"].([]any)
		for _, r := range results {
			ds, _ := r.(map[string]any)["dataset"].(map[string]any)
			split, _ := ds["split"].(string)
			if out[split] == nil {
				out[split] = map[string]float64{}
			}
			ms, _ := r.(map[string]any)["metrics"].([]any)
			for _, x := range ms {
				mm := x.(map[string]any)
				typ, _ := mm["type"].(string)
				if v, ok := mm["value"].(float64); ok {
					out[split][typ] = v
				}
			}
		}
	}
	return out
}

// modelClassifier runs a published model in-process (as the demo does:
// preprocessor_config.json, ONNX Runtime, softmax).
type modelClassifier struct {
	labels []string
	pre    *imageproc.Config
	rt     *onnxrt.Runtime
	sess   *onnxrt.Session
}

func newModelClassifier(t *testing.T, h *trainHub, repo string) *modelClassifier {
	t.Helper()
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
	}
	if err := json.Unmarshal(h.download(t, repo, modelrepo.ConfigFile), &cfg); err != nil {
		t.Fatal(err)
	}
	m := &modelClassifier{labels: make([]string, len(cfg.ID2Label))}
	for k, v := range cfg.ID2Label {
		var i int
		fmt.Sscan(k, &i)
		m.labels[i] = v
	}
	pre, err := imageproc.ParseConfig(h.download(t, repo, modelrepo.PreprocessorFile))
	if err != nil {
		t.Fatal(err)
	}
	m.pre = pre
	if m.rt, err = onnxrt.Open(h.ortLib, onnxrt.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.rt.Close() })
	if m.sess, err = m.rt.NewSession(h.download(t, repo, modelrepo.ModelFile), []string{onnxgraph.PixelValues},
		[]string{onnxgraph.Logits}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.sess.Close() })
	return m
}

// classify returns each image's scores by label (batches of 8).
func (m *modelClassifier) classify(t *testing.T, paths []string) []map[string]float64 {
	t.Helper()
	var out []map[string]float64
	for start := 0; start < len(paths); start += 8 {
		var imgs []image.Image
		for _, p := range paths[start:min(start+8, len(paths))] {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := imageproc.Decode(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, d.Image)
		}
		x, shape, err := m.pre.Batch(imgs)
		if err != nil {
			t.Fatal(err)
		}
		logits, _, err := m.sess.Run(x, shape)
		if err != nil {
			t.Fatal(err)
		}
		k := len(m.labels)
		for i := range imgs {
			probs := softmax(logits[i*k : (i+1)*k])
			s := map[string]float64{}
			for j, l := range m.labels {
				s[l] = probs[j]
			}
			out = append(out, s)
		}
	}
	return out
}

// setImages lists a tile set's images with their labels.
func setImages(t *testing.T, dir string) (paths, labels []string) {
	t.Helper()
	for _, l := range []string{tiles.LabelMine, tiles.LabelNoMine} {
		entries, err := os.ReadDir(filepath.Join(dir, l))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			paths, labels = append(paths, filepath.Join(dir, l, e.Name())), append(labels, l)
		}
	}
	return paths, labels
}

func argmax(scores map[string]float64) string {
	best, bv := "", -1.0
	for l, v := range scores {
		if v > bv || v == bv && l < best {
			best, bv = l, v
		}
	}
	return best
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// taskPIDs returns the pids of processes whose environment holds
// QUARRY_JOB_ID=id (the job's trainer), with that environment.
func taskPIDs(id string) map[int]map[string]string {
	out := map[int]map[string]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(b, []byte("QUARRY_JOB_ID="+id+"\x00")) {
			continue
		}
		env := map[string]string{}
		for _, kv := range strings.Split(string(b), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		var pid int
		fmt.Sscan(filepath.Base(d), &pid)
		out[pid] = env
	}
	return out
}
