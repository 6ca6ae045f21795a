package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// server is one running `quarry serve` process.
type server struct {
	URL  string // base URL, e.g. http://127.0.0.1:34567
	Data string // data directory
	cmd  *exec.Cmd
	log  string // file holding the server's stdout and stderr
	done chan error
}

// startServer runs `quarry serve` on a free loopback port over data and waits
// until /healthz answers 200. The process is killed when the test ends; its
// log is printed if the test failed.
func startServer(t *testing.T, data string) *server {
	t.Helper()
	return startServerEnv(t, data, nil)
}

// startServerEnv is startServer with extra environment variables
// ("KEY=VALUE") for the server process.
func startServerEnv(t *testing.T, data string, env []string) *server {
	t.Helper()
	addr := freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create server log: %v", err)
	}
	cmd := exec.Command(quarryBin, "serve", "--addr", addr, "--data", data)
	cmd.Env = append(serverEnv(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start quarry serve: %v", err)
	}
	s := &server{URL: "http://" + addr, Data: data, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("server log (%s):\n%s", addr, tail(s.log, 60))
		}
	})
	s.waitHealthy(t)
	return s
}

// serverEnv is the environment of child processes without QUARRY_* variables
// of the caller, so that flags alone decide the address and data directory.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUARRY_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitHealthy polls /healthz until it answers 200, the process exits, or 30s pass.
func (s *server) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("quarry serve exited before becoming healthy: %v\n%s", err, tail(s.log, 60))
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("quarry serve at %s: /healthz not 200 after 30s\n%s", s.URL, tail(s.log, 60))
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *server) kill() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	err := <-s.done
	s.done <- err
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// quarryCLI runs `quarry ARGS... --data DATA` and returns its stdout.
func quarryCLI(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, err := runQuarry(data, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runQuarry runs `quarry ARGS... --data DATA` and returns its stdout, or an
// error naming the command with its output.
func runQuarry(data string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, quarryBin, append(args, "--data", data)...)
	cmd.Env = serverEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("quarry %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String(), nil
}

// createUser runs `quarry user create NAME` and returns the write token it prints last.
func createUser(t *testing.T, data, name string) string {
	t.Helper()
	out := quarryCLI(t, data, "user", "create", name)
	token := lastLine(out)
	if !strings.HasPrefix(token, "hf_") {
		t.Fatalf("quarry user create %s: last stdout line %q is not an hf_ token", name, token)
	}
	return token
}

// lastLine is the last non-empty line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newHub starts a fresh server on a new data directory with one user and
// returns a client for that user.
func newHub(t *testing.T, user string) (*server, *client) {
	t.Helper()
	return newHubEnv(t, user, nil)
}

// newHubEnv is newHub with extra environment variables for the server.
func newHubEnv(t *testing.T, user string, env []string) (*server, *client) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatalf("mkdir data: %v", err)
	}
	token := createUser(t, data, user)
	s := startServerEnv(t, data, env)
	return s, &client{t: t, base: s.URL, token: token, user: user}
}
