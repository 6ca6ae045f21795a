package hubhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/hub/hubtest"
	"quarry/infra/jobs/process"
)

// jobsEnv is a hub server with the job API, running tasks as
// `sh -c "$WORKER_SCRIPT"` with the process runner: the scripts play the
// trainer, talking to the hub with curl and their job token.
type jobsEnv struct {
	t     *testing.T
	svc   *hub.Service
	jobs  *hub.Jobs
	url   string
	alice string // write token
	read  string // alice's read token
	bob   string
	input hub.JobInput
}

func newJobsEnv(t *testing.T) *jobsEnv {
	t.Helper()
	ctx := context.Background()
	meta := hubtest.NewMemMeta()
	svc := hub.NewService(hubtest.NewMemBlobStore(), meta, bytes.Repeat([]byte("s"), 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	runner, err := process.New(process.Config{Binary: "/bin/sh", Args: []string{"-c", `eval "$WORKER_SCRIPT"`},
		LogDir: filepath.Join(t.TempDir(), "logs"), Grace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jobs := hub.NewJobs(svc, meta, runner, hub.JobsConfig{Endpoint: url, Logger: log})
	srv := hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: log})
	srv.RegisterJobs(jobs)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := jobs.Close(cctx); err != nil {
			t.Errorf("jobs close: %v", err)
		}
		if err := srv.Shutdown(cctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	e := &jobsEnv{t: t, svc: svc, jobs: jobs, url: url}
	for _, name := range []string{"alice", "bob"} {
		if _, err := svc.CreateUser(ctx, name, "", "", false); err != nil {
			t.Fatal(err)
		}
	}
	e.alice, e.read, e.bob = e.token("alice", hub.RoleWrite), e.token("alice", hub.RoleRead), e.token("bob", hub.RoleWrite)
	alice := &hub.Caller{User: &hub.User{Name: "alice"}}
	data := hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}
	out := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "out"}
	for _, id := range []hub.RepoID{data, out, {Type: hub.Model, Namespace: "alice", Name: "other"}} {
		if _, err := svc.CreateRepo(ctx, alice, hub.CreateRepoInput{ID: id, Private: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.input = hub.JobInput{Project: "alice/p", Reads: []hub.RepoID{data}, Writes: []hub.RepoID{out}}
	return e
}

func (e *jobsEnv) token(user, role string) string {
	e.t.Helper()
	tok, _, err := e.svc.CreateToken(context.Background(), user, role, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *jobsEnv) submit(script string) string {
	e.t.Helper()
	in := e.input
	in.Spec = map[string]string{"WORKER_SCRIPT": script}
	j, err := e.jobs.Submit(context.Background(), &hub.Caller{User: &hub.User{Name: "alice"}}, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return j.ID
}

// do sends a request and returns the status and body.
func (e *jobsEnv) do(method, path, token, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type wireJob struct {
	ID       string             `json:"id"`
	State    string             `json:"state"`
	Metrics  map[string]float64 `json:"metrics"`
	Progress struct {
		Phase      string  `json:"phase"`
		Done       int64   `json:"done"`
		Total      int64   `json:"total"`
		ETASeconds float64 `json:"etaSeconds"`
	} `json:"progress"`
	Error        string   `json:"error"`
	LastLogLines []string `json:"lastLogLines"`
	Reads        []string `json:"reads"`
	FinishedAt   *string  `json:"finishedAt"`
}

func (e *jobsEnv) getJob(id string) wireJob {
	e.t.Helper()
	status, body := e.do("GET", "/api/jobs/"+id, e.alice, "")
	if status != 200 {
		e.t.Fatalf("GET job: %d %s", status, body)
	}
	var j wireJob
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		e.t.Fatal(err)
	}
	if strings.Contains(body, "tokenHash") || strings.Contains(body, "hf_") {
		e.t.Fatalf("job JSON shows token material: %s", body)
	}
	return j
}

func (e *jobsEnv) waitState(id, state string) wireJob {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := e.getJob(id)
		if j.State == state {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s is %s, never %s: %+v", id, j.State, state, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// trainerScript reports through the API as the real trainer does.
const trainerScript = `
post() { curl -s -X POST -H "Authorization: Bearer $QUARRY_JOB_TOKEN" -H 'Content-Type: application/json' \
  -d "$1" "$QUARRY_ENDPOINT/api/jobs/$QUARRY_JOB_ID/events"; echo; }
code() { curl -s -o /dev/null -w "$1 %{http_code}\n" -H "Authorization: Bearer $QUARRY_JOB_TOKEN" "$QUARRY_ENDPOINT$2"; }
post '{"state":"running"}'
post '{"progress":{"phase":"features","done":5,"total":10,"etaSeconds":2.5}}'
code dataset /api/datasets/alice/tiles
code other /api/models/alice/other
code other-job /api/jobs/0000000000000000
post '{"state":"succeeded","metrics":{"accuracy":0.9,"recall":1}}'
post '{"state":"failed","error":"late"}'
post '{"state":"running","progress":{"phase":"again"}}'
`

func TestJobAPITrainerReports(t *testing.T) {
	e := newJobsEnv(t)
	id := e.submit(trainerScript)
	j := e.waitState(id, "succeeded")
	if j.Metrics["accuracy"] != 0.9 || j.Metrics["recall"] != 1 || j.Progress.Phase != "features" ||
		j.Progress.Done != 5 || j.Progress.ETASeconds != 0 || j.FinishedAt == nil || j.Error != "" {
		t.Fatalf("job = %+v", j)
	}
	if len(j.Reads) != 1 || j.Reads[0] != "datasets/alice/tiles" {
		t.Fatalf("reads = %q", j.Reads)
	}
	deadline := time.Now().Add(5 * time.Second)
	var logs string
	for time.Now().Before(deadline) && strings.Count(logs, `"state":"succeeded"`) < 3 {
		_, logs = e.do("GET", "/api/jobs/"+id+"/logs", e.alice, "")
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"dataset 200", "other 404", "other-job 404", `"state":"succeeded"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("trainer output lacks %q:\n%s", want, logs)
		}
	}
	// The late failed and running events were answered with the finished job.
	if strings.Count(logs, `"state":"succeeded"`) != 3 {
		t.Fatalf("late events were not answered with the succeeded job:\n%s", logs)
	}
}

func TestJobAPIAccess(t *testing.T) {
	e := newJobsEnv(t)
	id := e.submit(`while :; do sleep 0.1; done`)
	other := e.submit(`while :; do sleep 0.1; done`)
	path := "/api/jobs/" + id
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"anonymous get", "GET", path, "", "", 401},
		{"bad token", "GET", path, "hf_nope", "", 401},
		{"other user get", "GET", path, e.bob, "", 404},
		{"read token get", "GET", path, e.read, "", 200},
		{"malformed id", "GET", "/api/jobs/..%2Fx", e.alice, "", 404},
		{"owner posts an event", "POST", path + "/events", e.alice, `{"state":"succeeded"}`, 403},
		{"bad event json", "POST", path + "/events", e.alice, `{"state":`, 400},
		{"read token cancels", "POST", path + "/cancel", e.read, "", 403},
		{"other user cancels", "POST", path + "/cancel", e.bob, "", 404},
		{"other user logs", "GET", path + "/logs", e.bob, "", 404},
		{"bob lists", "GET", "/api/jobs", e.bob, "", 200},
	} {
		status, body := e.do(tc.method, tc.path, tc.token, tc.body)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
		}
	}
	if _, body := e.do("GET", "/api/jobs", e.bob, ""); body != "[]" {
		t.Fatalf("bob's job list = %s", body)
	}
	status, body := e.do("GET", "/api/jobs?project=alice/p&state=queued&state=starting&state=running", e.alice, "")
	var list []wireJob
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list) != 2 {
		t.Fatalf("alice's list = %d %s", status, body)
	}
	for _, j := range []string{id, other} {
		if status, body := e.do("POST", "/api/jobs/"+j+"/cancel", e.alice, ""); status != 200 || !strings.Contains(body, `"state":"cancelled"`) {
			t.Fatalf("cancel: %d %s", status, body)
		}
	}
	if status, body := e.do("POST", path+"/cancel", e.alice, ""); status != 200 || !strings.Contains(body, `"state":"cancelled"`) {
		t.Fatalf("second cancel: %d %s", status, body)
	}
}

// TestJobAPIFollowAndCancel follows a job's log as SSE, cancels it while
// it runs (ignoring SIGTERM), and expects the stream to end within 5 s
// with the cancelled state.
func TestJobAPIFollowAndCancel(t *testing.T) {
	e := newJobsEnv(t)
	id := e.submit(`trap '' TERM; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done`)
	req, _ := http.NewRequest("GET", e.url+"/api/jobs/"+id+"/logs?follow=1", nil)
	req.Header.Set("Authorization", "Bearer "+e.alice)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("follow: %d %s", res.StatusCode, ct)
	}
	sc := bufio.NewScanner(res.Body)
	var cancelled time.Time
	var data []string
	var end string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "data: tick"):
			data = append(data, strings.TrimPrefix(line, "data: "))
			if len(data) == 3 {
				cancelled = time.Now()
				if status, body := e.do("POST", "/api/jobs/"+id+"/cancel", e.alice, ""); status != 200 {
					t.Fatalf("cancel: %d %s", status, body)
				}
			}
		case line == "event: end":
			sc.Scan()
			end = sc.Text()
		}
	}
	took := time.Since(cancelled)
	if data[0] != "tick 1" || data[2] != "tick 3" || end != `data: {"state":"cancelled"}` {
		t.Fatalf("stream: data %q, end %q", data, end)
	}
	if took > 5*time.Second {
		t.Fatalf("the stream ended %v after cancel", took)
	}
	t.Logf("cancel to end of stream: %v", took.Round(time.Millisecond))
}

func TestJobAPIFailedWithLastLines(t *testing.T) {
	e := newJobsEnv(t)
	id := e.submit(`echo loading; echo "panic: out of memory" >&2; exit 2`)
	j := e.waitState(id, "failed")
	if !strings.Contains(j.Error, "status 2") || len(j.LastLogLines) != 2 || j.LastLogLines[1] != "panic: out of memory" {
		t.Fatalf("failed job = %+v", j)
	}
	status, body := e.do("GET", "/api/jobs/"+id+"/logs?follow=1", e.alice, "")
	if status != 200 || !strings.Contains(body, "data: loading\n\n") || !strings.Contains(body, `{"state":"failed"}`) {
		t.Fatalf("follow of a finished job: %d %q", status, body)
	}
}
