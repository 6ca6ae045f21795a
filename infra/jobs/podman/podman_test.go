package podman_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"quarry/hub"
	"quarry/infra/jobs/internal/jobstest"
	"quarry/infra/jobs/podman"
)

var ctx = context.Background()

const testImageRepo = "localhost/quarry-test-worker"

var (
	imageOnce sync.Once
	image     string
	imageErr  error
)

// testImage builds the stand-in worker and its image with
// scripts/podman-image.sh, once for the package. Without podman the test
// is skipped, except under CI where podman is required.
func testImage(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("podman is required under CI (make setup installs it)")
		}
		t.Skip("podman is not installed (make setup installs it)")
	}
	imageOnce.Do(func() { image, imageErr = buildImage() })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return image
}

func buildImage() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	root := filepath.Join(dir, "..", "..", "..")
	bin := filepath.Join(os.TempDir(), "quarry-podman-test-worker")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/worker")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return "", &buildError{"go build", string(out), err}
	}
	script := exec.Command("bash", filepath.Join(root, "scripts", "podman-image.sh"),
		"--binary", bin, "--image", testImageRepo, "--ort", "")
	var stderr strings.Builder
	script.Stderr = &stderr
	out, err := script.Output()
	if err != nil {
		return "", &buildError{"podman-image.sh", stderr.String(), err}
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

type buildError struct {
	step, out string
	err       error
}

func (e *buildError) Error() string { return e.step + ": " + e.err.Error() + "\n" + e.out }

func newHarness(t *testing.T, grace time.Duration) *jobstest.Harness {
	t.Helper()
	r, err := podman.New(podman.Config{Image: testImage(t), Command: []string{"/quarry", "train-worker"},
		LogDir: t.TempDir(), Grace: grace, Env: map[string]string{"EXTRA": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	return jobstest.New(t, r)
}

func logsOf(t *testing.T, h *jobstest.Harness, id string, follow bool) string {
	t.Helper()
	r, err := h.Jobs.Logs(ctx, h.Alice, id, follow)
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImageForMatchesScript(t *testing.T) {
	img := testImage(t)
	got, err := podman.ImageFor(filepath.Join(os.TempDir(), "quarry-podman-test-worker"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(got, podman.ImageRepo, testImageRepo, 1); want != img {
		t.Fatalf("ImageFor = %s, script built %s", got, img)
	}
	if out, err := exec.Command("bash", "-c", "podman run --rm --runtime runc --network host "+img+
		" /quarry train-worker").CombinedOutput(); err != nil || !strings.Contains(string(out), "worker [train-worker]") {
		t.Fatalf("running the image: %s, %v", out, err)
	}
}

func TestRunSucceeds(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	var total time.Duration
	const runs = 3
	for range runs {
		start := time.Now()
		j := h.Submit(t, map[string]string{"WORKER_MODE": "ok"})
		h.WaitState(t, j.ID, hub.JobSucceeded, 30*time.Second)
		total += time.Since(start)
		logs := logsOf(t, h, j.ID, false)
		for _, want := range []string{"worker [train-worker] job " + j.ID, "endpoint http://127.0.0.1:1",
			"token-set true", "EXTRA=x"} {
			if !strings.Contains(logs, want) {
				t.Fatalf("logs lack %q:\n%s", want, logs)
			}
		}
	}
	t.Logf("submit to succeeded for a trivial container job: %v on average over %d runs", (total / runs).Round(time.Millisecond), runs)
}

func TestRunFails(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	j := h.Submit(t, map[string]string{"WORKER_MODE": "fail"})
	got := h.WaitState(t, j.ID, hub.JobFailed, 30*time.Second)
	if !strings.Contains(got.Error, "status 3") || len(got.LastLogLines) == 0 ||
		got.LastLogLines[len(got.LastLogLines)-1] != "error: bad dataset" {
		t.Fatalf("failed job = error %q, lines %q", got.Error, got.LastLogLines)
	}
}

// TestCancel stops a container whose process ignores SIGTERM: podman stop
// kills it after the grace period, within 5 s, and no container is left.
func TestCancel(t *testing.T) {
	for _, mode := range []string{"hang", "polite"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, 2*time.Second)
			j := h.Submit(t, map[string]string{"WORKER_MODE": mode})
			h.Wait(t, j.ID, "output", 30*time.Second, func(j *hub.Job) bool {
				return j.Handle != "" && strings.Contains(logsOf(t, h, j.ID, false), "extracting")
			})
			start := time.Now()
			got, err := h.Jobs.Cancel(ctx, h.Alice, j.ID)
			if err != nil || got.State != hub.JobCancelled {
				t.Fatalf("Cancel = %+v, %v", got, err)
			}
			logsOf(t, h, j.ID, true) // until the task ended
			took := time.Since(start)
			t.Logf("%s: cancel to container end: %v", mode, took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Fatalf("the container ran %v after cancel", took)
			}
			out, _ := exec.Command("podman", "ps", "-a", "--filter", "name="+podman.ContainerName(j.ID), "-q").Output()
			if strings.TrimSpace(string(out)) != "" {
				t.Fatalf("container %s still exists", podman.ContainerName(j.ID))
			}
			if after, _ := h.Meta.GetJob(ctx, j.ID); after.State != hub.JobCancelled {
				t.Fatalf("job after the container ended = %s", after.State)
			}
		})
	}
}

// TestKilled: a container killed from outside fails its job with the last
// lines of its output.
func TestKilled(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	j := h.Submit(t, map[string]string{"WORKER_MODE": "hang"})
	h.Wait(t, j.ID, "output", 30*time.Second, func(j *hub.Job) bool {
		return j.Handle != "" && strings.Contains(logsOf(t, h, j.ID, false), "extracting")
	})
	if out, err := exec.Command("podman", "kill", "--signal", "KILL", podman.ContainerName(j.ID)).CombinedOutput(); err != nil {
		t.Fatalf("podman kill: %s %v", out, err)
	}
	got := h.WaitState(t, j.ID, hub.JobFailed, 30*time.Second)
	if !strings.Contains(got.Error, "signal killed") || len(got.LastLogLines) == 0 || got.LastLogLines[len(got.LastLogLines)-1] != "extracting" {
		t.Fatalf("killed job = error %q, lines %q", got.Error, got.LastLogLines)
	}
}

func TestRunArgs(t *testing.T) {
	cfg := podman.Config{Image: "localhost/quarry-trainer:abc", Command: []string{"/quarry", "train-worker"},
		Env: map[string]string{"B": "1"}}
	got := strings.Join(cfg.RunArgs(&hub.Job{ID: "00ff"}, map[string]string{"A": "secret", hub.EnvJobToken: "hf_x"}), " ")
	want := "run --rm --runtime runc --network host --name quarry-job-00ff --label quarry.job=00ff --pull never " +
		"--log-driver none -e A -e B -e QUARRY_JOB_TOKEN localhost/quarry-trainer:abc /quarry train-worker"
	if got != want {
		t.Fatalf("RunArgs =\n%s\nwant\n%s", got, want)
	}
}
