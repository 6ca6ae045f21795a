package main

import (
	"errors"
	"strings"
	"testing"
)

func TestServeTrainingFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--runner", "docker"}, `unknown runner "docker"`},
		{nil, []string{"--max-parallel-jobs", "0"}, "at least 1"},
		{map[string]string{"QUARRY_MAX_PARALLEL_JOBS": "two"}, nil, "QUARRY_MAX_PARALLEL_JOBS"},
		// The trainer image of a test binary is never built.
		{map[string]string{"QUARRY_RUNNER": "podman"}, nil, "the podman runner is not available"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, tc.args...)
		m, _, err := run(t, tc.env, args...)
		if m.Serving() {
			m.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("serve %v %v: err = %v, want %q", tc.env, tc.args, err, tc.want)
		}
		if tc.want != "the podman runner is not available" && !errors.As(err, new(*usageError)) {
			t.Fatalf("serve %v: %v is not a usage error", tc.args, err)
		}
	}
}

func TestServeTrainingAPI(t *testing.T) {
	dir := t.TempDir()
	tok := lastLine(mustRun(t, map[string]string{"QUARRY_DATA": dir}, "user", "create", "alice"))
	m, _, err := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--max-parallel-jobs", "3")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := m.URL()
	if code, body := call(t, "GET", url+"/api/training/projects", tok, nil); code != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("list projects: %d %s", code, body)
	}
	if code, body := call(t, "GET", url+"/api/jobs", tok, nil); code != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("list jobs: %d %s", code, body)
	}
	code, body := call(t, "POST", url+"/api/training/validate", tok, map[string]string{"dataset": "alice/none"})
	if code != 404 {
		t.Fatalf("validate a missing dataset: %d %s", code, body)
	}
	code, body = call(t, "POST", url+"/api/training/projects", tok,
		map[string]string{"name": "alice/p", "dataset": "alice/none", "runner": "podman"})
	if code != 400 || !strings.Contains(string(body), "podman runner is not available") {
		t.Fatalf("project on podman: %d %s", code, body)
	}
}
