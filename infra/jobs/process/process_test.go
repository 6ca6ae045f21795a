package process_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"quarry/hub"
	"quarry/infra/jobs/internal/jobstest"
	"quarry/infra/jobs/process"
)

var ctx = context.Background()

// newHarness runs tasks as `sh -c "$WORKER_SCRIPT"`: each job's spec
// carries its script.
func newHarness(t *testing.T, grace time.Duration) (*jobstest.Harness, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := process.New(process.Config{Binary: "/bin/sh", Args: []string{"-c", `eval "$WORKER_SCRIPT"`},
		LogDir: filepath.Join(dir, "logs"), Grace: grace, Env: map[string]string{"EXTRA": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	return jobstest.New(t, r), dir
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
		t.Fatalf("reading logs: %v", err)
	}
	return string(b)
}

func TestSuccess(t *testing.T) {
	t.Setenv("HUB_SECRET", "do-not-leak")
	h, _ := newHarness(t, time.Second)
	j := h.Submit(t, map[string]string{"WORKER_SCRIPT": `echo "job $QUARRY_JOB_ID"; env | sort; echo to-stderr >&2`})
	got := h.WaitState(t, j.ID, hub.JobSucceeded, 10*time.Second)
	if got.Error != "" || len(got.LastLogLines) != 0 {
		t.Fatalf("succeeded job = %+v", got)
	}
	logs := logsOf(t, h, j.ID, false)
	for _, want := range []string{"job " + j.ID, "QUARRY_JOB_TOKEN=hf_", "QUARRY_ENDPOINT=http://127.0.0.1:1",
		"EXTRA=x", "PATH=", "to-stderr"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "do-not-leak") {
		t.Fatal("the hub's environment leaked into the task")
	}
}

func TestFailureKeepsLastLines(t *testing.T) {
	h, _ := newHarness(t, time.Second)
	j := h.Submit(t, map[string]string{"WORKER_SCRIPT": `for i in $(seq 1 30); do echo "line $i"; done; printf 'no newline'; exit 3`})
	got := h.WaitState(t, j.ID, hub.JobFailed, 10*time.Second)
	if !strings.Contains(got.Error, "status 3") {
		t.Fatalf("error = %q", got.Error)
	}
	want := []string{}
	for i := 12; i <= 30; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	want = append(want, "no newline")
	if strings.Join(got.LastLogLines, "|") != strings.Join(want, "|") {
		t.Fatalf("last lines = %q, want %q", got.LastLogLines, want)
	}
}

func TestSIGKILLFails(t *testing.T) {
	h, dir := newHarness(t, time.Second)
	pidFile := filepath.Join(dir, "pid")
	j := h.Submit(t, map[string]string{"PID_FILE": pidFile,
		"WORKER_SCRIPT": `echo "features 40%"; echo $$ > "$PID_FILE"; while :; do sleep 0.05; done`})
	pid := waitPid(t, pidFile)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got := h.WaitState(t, j.ID, hub.JobFailed, 10*time.Second)
	if !strings.Contains(got.Error, "signal killed") || len(got.LastLogLines) != 1 || got.LastLogLines[0] != "features 40%" {
		t.Fatalf("killed job = error %q, lines %q", got.Error, got.LastLogLines)
	}
}

func waitPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the task never wrote %s", path)
	return 0
}

// TestCancel stops a task that ignores SIGTERM (so SIGKILL after the grace
// period is needed) and whose child holds a grandchild: all of it must be
// gone within 5 s and the job cancelled; the exit that follows changes
// nothing.
func TestCancel(t *testing.T) {
	h, dir := newHarness(t, 2*time.Second)
	pidFile := filepath.Join(dir, "pid")
	j := h.Submit(t, map[string]string{"PID_FILE": pidFile,
		"WORKER_SCRIPT": `trap '' TERM; sleep 300 & echo $! > "$PID_FILE"; echo extracting; while :; do sleep 0.05; done`})
	grandchild := waitPid(t, pidFile)
	h.Wait(t, j.ID, "a handle", 5*time.Second, func(j *hub.Job) bool { return j.Handle != "" })
	start := time.Now()
	got, err := h.Jobs.Cancel(ctx, h.Alice, j.ID)
	if err != nil || got.State != hub.JobCancelled {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	logs := logsOf(t, h, j.ID, true) // returns when the task ended
	took := time.Since(start)
	if took > 5*time.Second || took < 2*time.Second {
		t.Fatalf("the task ended %v after cancel; want SIGKILL after the 2s grace, within 5s", took)
	}
	t.Logf("cancel to task end: %v", took.Round(time.Millisecond))
	if !strings.Contains(logs, "extracting") {
		t.Fatalf("logs = %q", logs)
	}
	for deadline := time.Now().Add(time.Second); alive(grandchild) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // SIGKILL sent with the child's, it may still be exiting
	}
	if alive(grandchild) {
		t.Fatalf("the task's grandchild %d survived the cancel", grandchild)
	}
	time.Sleep(100 * time.Millisecond)
	after, _ := h.Meta.GetJob(ctx, j.ID)
	if after.State != hub.JobCancelled || after.Version != got.Version {
		t.Fatalf("the exit after cancel changed the job: %+v", after)
	}
}

// alive reports whether process pid runs (zombies, which nothing may reap
// in a container without an init, do not count).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// TestCancelPolite: a task that exits on SIGTERM ends at once.
func TestCancelPolite(t *testing.T) {
	h, _ := newHarness(t, 3*time.Second)
	j := h.Submit(t, map[string]string{"WORKER_SCRIPT": `echo started; exec sleep 300`})
	h.Wait(t, j.ID, "a handle", 5*time.Second, func(j *hub.Job) bool { return j.Handle != "" })
	start := time.Now()
	if _, err := h.Jobs.Cancel(ctx, h.Alice, j.ID); err != nil {
		t.Fatal(err)
	}
	logsOf(t, h, j.ID, true)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a task that obeys SIGTERM took %v to stop", took)
	}
}

func TestFollowLogs(t *testing.T) {
	h, _ := newHarness(t, time.Second)
	start := time.Now()
	j := h.Submit(t, map[string]string{"WORKER_SCRIPT": `echo one; sleep 0.3; echo two; sleep 0.3; echo three`})
	r, err := h.Jobs.Logs(ctx, h.Alice, j.ID, true) // waits for the launch
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "one\ntwo\nthree\n" {
		t.Fatalf("followed logs = %q, %v", b, err)
	}
	if took := time.Since(start); took < 600*time.Millisecond {
		t.Fatalf("following returned after %v, before the task ended", took)
	}
	h.WaitState(t, j.ID, hub.JobSucceeded, 5*time.Second)
	if got := logsOf(t, h, j.ID, true); got != "one\ntwo\nthree\n" {
		t.Fatalf("following a finished job's logs = %q", got)
	}
}

func TestStartFailure(t *testing.T) {
	r, err := process.New(process.Config{Binary: "/nonexistent/quarry", LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := jobstest.New(t, r)
	j := h.Submit(t, nil)
	got := h.WaitState(t, j.ID, hub.JobFailed, 5*time.Second)
	if !strings.Contains(got.Error, "could not be started") {
		t.Fatalf("error = %q", got.Error)
	}
}
