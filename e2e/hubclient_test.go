package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// requireTool skips the test when a dependency is missing, except under CI
// (CI=true), where a missing dependency is a failure.
func requireTool(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing (run make setup)", what)
	}
	t.Skipf("%s is missing (run make setup)", what)
}

// TestHubJSClient runs e2e/hub.test.mjs (node:test with @huggingface/hub)
// against a fresh server and fails when any of its tests fails.
func TestHubJSClient(t *testing.T) {
	node, err := exec.LookPath("node")
	requireTool(t, err == nil, "node")
	_, err = os.Stat(filepath.Join("node_modules", "@huggingface", "hub", "package.json"))
	requireTool(t, err == nil, "e2e/node_modules/@huggingface/hub")

	s, c := newHub(t, "jsuser")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "hub.test.mjs")
	cmd.Env = append(serverEnv(),
		"QUARRY_ENDPOINT="+s.URL,
		"QUARRY_TOKEN="+c.token,
		"QUARRY_USER="+c.user,
		"NO_COLOR=1",
	)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test hub.test.mjs: %v (see its output above)", err)
	}
}
