package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Test users and repo.
const (
	testUser     = "alice"
	testPassword = "browser test password"
	testRepo     = "newsroom-draft"
)

// TestSettingsInChromium signs in, creates a token (shown once, used from a
// script, revoked in the page, then refused), toggles a repo's visibility
// and signs out in headless Chromium, keeping screenshots.
func TestSettingsInChromium(t *testing.T) {
	chromium := prerequisites(t)
	bin := quarryBinary(t)
	data := t.TempDir()
	token := lastLine(t, run(t, bin, "user", "create", testUser, "--password", testPassword, "--data", data))
	srv := startServer(t, bin, data)
	createPrivateRepo(t, srv, token, testRepo)

	artifacts := artifactsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "settings.mjs")
	cmd.Env = append(os.Environ(),
		"QUARRY_URL="+srv, "QUARRY_USER="+testUser, "QUARRY_PASSWORD="+testPassword,
		"QUARRY_REPO="+testUser+"/"+testRepo, "QUARRY_ARTIFACTS="+artifacts, "QUARRY_CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node settings.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)", err, artifacts)
	}
	for _, name := range []string{"settings-tokens-created.png", "settings-tokens-revoked.png", "settings-repos.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, name)); err != nil || fi.Size() == 0 {
			t.Fatalf("screenshot %s missing: %v", name, err)
		}
	}
}

// prerequisites returns the Chromium executable, or skips (fails under
// CI=true) when Chromium, Node or node_modules is missing.
func prerequisites(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		msg := what + " is missing: run make setup"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chromium := os.Getenv("QUARRY_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("Chromium (" + chromium + ", Debian package chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node")
	}
	for _, dir := range []string{"node_modules/playwright-core", "node_modules/axe-core"} {
		if _, err := os.Stat(dir); err != nil {
			missing("web/browsertest/" + dir + " (npm ci in web/browsertest)")
		}
	}
	return chromium
}

// quarryBinary returns $QUARRY_BIN, or builds cmd/quarry into a temporary
// directory.
func quarryBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("QUARRY_BIN"); bin != "" {
		return bin
	}
	return build(t, "quarry/cmd/quarry", "quarry")
}

func build(t *testing.T, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// run runs a command and returns its stdout; it fails the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return runEnv(t, nil, name, args...)
}

// runEnv is run with env added to the child's environment.
func runEnv(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env = append(childEnv(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// childEnv is the environment without QUARRY_* settings of the caller, so
// that flags alone choose the address and data directory.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUARRY_") {
			env = append(env, kv)
		}
	}
	return env
}

func lastLine(t *testing.T, s string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(last, "hf_") {
		t.Fatalf("last line %q is not a token", last)
	}
	return last
}

// startServer runs `quarry serve` over data and returns its base URL once
// /healthz answers.
func startServer(t *testing.T, bin, data string) string {
	t.Helper()
	return serve(t, bin, "serve", "--data", data)
}

// serve starts bin with args plus --addr on a free loopback port, stops it
// at the end of the test, and waits for /healthz.
func serve(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return serveEnv(t, bin, nil, args...)
}

// serveEnv is serve with env added to the server's environment.
func serveEnv(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(bin, append(args, "--addr", addr)...)
	cmd.Env = append(childEnv(), env...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", tail(log.String(), 60))
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s exited: %v", bin, err)
		default:
		}
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
	}
	t.Fatalf("%s: /healthz not 200 after 30s", bin)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// createPrivateRepo creates the private model user/name through the API.
func createPrivateRepo(t *testing.T, base, token, name string) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"type":"model","private":true}`, name)
	req, _ := http.NewRequest("POST", base+"/api/repos/create", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create repo %s: %d %s", name, resp.StatusCode, b)
	}
}

// artifactsDir returns $QUARRY_ARTIFACTS or ./artifacts (gitignored), made
// absolute and created, without screenshots of an earlier run.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("QUARRY_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "settings-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return dir
}

func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
