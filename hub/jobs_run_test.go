package hub_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"quarry/hub"
)

func TestJobExits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exit      hub.JobExit
		state     hub.JobState
		errSubstr string
		lines     int
	}{
		{"clean exit", hub.JobExit{Code: 0}, hub.JobSucceeded, "", 0},
		{"non-zero exit", hub.JobExit{Code: 2, LastLines: []string{"loading", "panic: boom"}}, hub.JobFailed, "status 2", 2},
		{"killed", hub.JobExit{Code: -1, Signal: "killed", LastLines: []string{"features 40%"}}, hub.JobFailed, "signal killed", 1},
		{"cancelled", hub.JobExit{Code: -1, Signal: "terminated", Cancelled: true}, hub.JobCancelled, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newJobEnv(t, 1)
			j := e.waitLaunched(t, e.submit(t).ID)
			e.runner.exit(j.ID, tc.exit)
			got := e.waitState(t, j.ID, tc.state)
			if !containsStr(got.Error, tc.errSubstr) || len(got.LastLogLines) != tc.lines {
				t.Fatalf("job after %+v = error %q, lines %q", tc.exit, got.Error, got.LastLogLines)
			}
		})
	}
}

// containsStr reports whether s contains sub, or both are empty for sub "".
func containsStr(s, sub string) bool {
	if sub == "" {
		return s == ""
	}
	return strings.Contains(s, sub)
}

func TestJobTrainerFailureThenExit(t *testing.T) {
	e := newJobEnv(t, 1)
	j := e.waitLaunched(t, e.submit(t).ID)
	tc, _ := e.tokenCaller(t, j.ID)
	if _, err := e.jobs.Report(ctx, tc, j.ID, hub.JobEvent{State: hub.JobFailed, Error: "dataset has one class"}); err != nil {
		t.Fatal(err)
	}
	e.runner.exit(j.ID, hub.JobExit{Code: 1, LastLines: []string{"error: dataset has one class"}})
	got := e.waitJob(t, j.ID, "log lines", func(j *hub.Job) bool { return len(j.LastLogLines) > 0 })
	if got.State != hub.JobFailed || got.Error != "dataset has one class" {
		t.Fatalf("job = %+v", got)
	}
}

func TestJobCancel(t *testing.T) {
	e := newJobEnv(t, 1)
	first := e.waitLaunched(t, e.submit(t).ID)
	second := e.submit(t) // waits for the only slot
	got, err := e.jobs.Cancel(ctx, e.alice, second.ID)
	if err != nil || got.State != hub.JobCancelled || !got.StartedAt.IsZero() {
		t.Fatalf("Cancel(queued) = %+v, %v", got, err)
	}
	got, err = e.jobs.Cancel(ctx, e.admin, first.ID)
	if err != nil || got.State != hub.JobCancelled {
		t.Fatalf("Cancel(launched) = %+v, %v", got, err)
	}
	if !slices.Contains(e.runner.canceled, "h-"+first.ID) {
		t.Fatalf("the runner was not asked to stop the task: %v", e.runner.canceled)
	}
	again, err := e.jobs.Cancel(ctx, e.alice, first.ID)
	if err != nil || again.Version != got.Version {
		t.Fatalf("second Cancel = %+v, %v; want no change", again, err)
	}
	third := e.waitLaunched(t, e.submit(t).ID) // the slot was freed by the exit
	if started := e.runner.startedJobs(); slices.Contains(started, second.ID) || !slices.Contains(started, third.ID) {
		t.Fatalf("started jobs = %v: the cancelled queued job must never start", started)
	}
	// A token of a cancelled job is retired.
	_, plain := e.tokenCaller(t, third.ID)
	if _, err := e.jobs.Cancel(ctx, e.alice, third.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(hub.JobTokenGrace + time.Second)
	_, err = e.svc.Authenticate(ctx, plain)
	checkKind(t, "token of a cancelled job", err, hub.ErrUnauthorized)
}

func TestJobParallelLimit(t *testing.T) {
	e := newJobEnv(t, 2)
	var ids []string
	for range 4 {
		ids = append(ids, e.submit(t).ID)
	}
	e.waitLaunched(t, ids[0])
	e.waitLaunched(t, ids[1])
	time.Sleep(30 * time.Millisecond)
	if n := len(e.runner.startedJobs()); n != 2 {
		t.Fatalf("%d jobs started with a limit of 2", n)
	}
	e.runner.exit(ids[0], hub.JobExit{})
	e.waitLaunched(t, ids[2])
	if got, _ := e.meta.GetJob(ctx, ids[3]); got.State != hub.JobQueued {
		t.Fatalf("fourth job = %s, want queued", got.State)
	}
}

func TestJobStartFailure(t *testing.T) {
	e := newJobEnv(t, 1)
	e.runner.startErr = errors.New("exec: quarry: not found")
	j := e.submit(t)
	got := e.waitState(t, j.ID, hub.JobFailed)
	if !containsStr(got.Error, "could not be started") {
		t.Fatalf("error = %q", got.Error)
	}
	tok, err := e.meta.GetToken(ctx, got.TokenHash)
	if err != nil {
		t.Fatalf("the failed job's token: %v", err)
	}
	if !tok.Expired(e.clock.Now().Add(hub.JobTokenGrace + time.Second)) {
		t.Fatalf("token of a job that never ran stays valid until %v", tok.ExpiresAt)
	}
}

func TestJobRecover(t *testing.T) {
	e := newJobEnv(t, 1)
	mk := func(id string, s hub.JobState, runner string) {
		j := &hub.Job{ID: id, Owner: "alice", State: s, Runner: runner, Kind: "train",
			Reads: e.in.Reads, Writes: e.in.Writes, CreatedAt: e.clock.Now()}
		if err := e.meta.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	mk("00000000000000a1", hub.JobRunning, "fake")
	mk("00000000000000a2", hub.JobStarting, "fake")
	mk("00000000000000a3", hub.JobRunning, "batch")
	mk("00000000000000a4", hub.JobQueued, "fake")
	if err := e.jobs.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]hub.JobState{"00000000000000a1": hub.JobFailed, "00000000000000a2": hub.JobFailed,
		"00000000000000a3": hub.JobRunning} {
		if got, _ := e.meta.GetJob(ctx, id); got.State != want {
			t.Errorf("job %s after Recover = %s, want %s", id, got.State, want)
		}
	}
	e.waitLaunched(t, "00000000000000a4")
}

func TestJobLogs(t *testing.T) {
	e := newJobEnv(t, 1)
	first := e.waitLaunched(t, e.submit(t).ID)
	queued := e.submit(t)
	r, err := e.jobs.Logs(ctx, e.alice, first.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "log of h-"+first.ID+"\n" {
		t.Fatalf("logs = %q", b)
	}
	r, err = e.jobs.Logs(ctx, e.alice, queued.ID, false)
	if b, _ := io.ReadAll(r); err != nil || len(b) != 0 {
		t.Fatalf("logs of a queued job = %q, %v", b, err)
	}
	done := make(chan string)
	go func() {
		r, err := e.jobs.Logs(ctx, e.alice, queued.ID, true)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	e.runner.exit(first.ID, hub.JobExit{})
	select {
	case got := <-done:
		if got != "log of h-"+queued.ID+"\n" {
			t.Fatalf("followed logs of a job that was queued = %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("following the logs of a queued job never returned once it started")
	}
	_, err = e.jobs.Logs(ctx, e.bob, first.ID, false)
	checkKind(t, "other user's logs", err, hub.ErrNotFound)
}
