// Package awstest runs moto_server, the local AWS emulator, for the tests
// of the AWS adapters (infra/...), the Lambda functions (functions/...) and
// the end-to-end tests (e2e). A package starts one server for its whole
// test run from TestMain:
//
//	var moto *awstest.Server
//
//	func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }
//
// and each test asks for it with awstest.Need(t, moto); a test that needs a
// server of its own calls awstest.Run(t). When moto_server is not installed
// the tests skip, except under CI=true, where Main (or Run) fails the run:
// CI must never pass by skipping.
package awstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Command is the emulator's executable, found on PATH.
const Command = "moto_server"

// ErrNotInstalled reports that moto_server is not on PATH.
var ErrNotInstalled = errors.New("awstest: " + Command + " is not installed (pip install 'moto[server]')")

// Credentials and region every test client uses; moto accepts any.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	Region          = "us-east-1"
)

// Server is a running moto_server on a loopback port.
type Server struct {
	URL  string // base URL, "http://127.0.0.1:PORT"
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error // receives the process's exit
}

// Main starts a server into *srv, runs the tests and stops the server. It
// returns the exit code for os.Exit. Without moto_server the tests run with
// *srv nil (so that Need skips them), unless the environment has CI=true:
// then it fails at once.
func Main(m *testing.M, srv **Server) int {
	s, err := Start()
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		fmt.Fprintln(os.Stderr, err, "- skipping the tests that need it")
		return m.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*srv = s
	defer s.Stop()
	return m.Run()
}

// Need returns s, skipping the test when no server runs (moto_server not
// installed outside CI).
func Need(t testing.TB, s *Server) *Server {
	t.Helper()
	if s == nil {
		t.Skip(ErrNotInstalled.Error())
	}
	return s
}

// Run starts a server for test t alone and stops it when t ends. Without
// moto_server it skips t, or fails it under CI=true.
func Run(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Env sets, for test t, the variables that point the AWS SDK at s.
func (s *Server) Env(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretAccessKey)
}

// Start launches moto_server on a free loopback port and waits until it
// answers. It tries a few ports in case another process takes the one
// picked.
func Start() (*Server, error) {
	if _, err := exec.LookPath(Command); err != nil {
		return nil, ErrNotInstalled
	}
	var err error
	for range 3 {
		var s *Server
		if s, err = startOnce(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func startOnce() (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(Command, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	// Its own process group, so that Stop ends whatever the pyenv shim
	// started; and killed with the test binary if that dies first.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked exits: keep it.
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.done <- s.cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("awstest: start %s: %w", Command, err)
	}
	if err := s.wait(30 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("awstest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// wait polls the server until it answers, exits or the timeout passes.
func (s *Server) wait(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("awstest: %s exited (%v): %s", Command, err, s.log.String())
		default:
		}
		resp, err := client.Get(s.URL + "/moto-api/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("awstest: %s did not answer within %v: %s", Command, timeout, s.log.String())
}

// Stop ends the server's process group: SIGTERM, then SIGKILL after 5 s.
func (s *Server) Stop() {
	pid := s.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-s.done
	}
}

// Requests returns the number of HTTP requests the server logged so far
// (its access log has one line a request). The difference of two calls
// counts the requests made in between, as the server saw them.
func (s *Server) Requests() int {
	return len(requestLine.FindAllStringIndex(s.log.String(), -1))
}

// WaitRequests waits until the server logged at least n requests (the
// access log is written after the response, so it lags a little), at most
// timeout, and returns the number logged.
func (s *Server) WaitRequests(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		got := s.Requests()
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requestLine matches an access-log line: "POST / HTTP/1.1" 200 -
var requestLine = regexp.MustCompile(`(?m)"[A-Z]+ \S+ HTTP/1\.[01]" \d{3} `)

// Log returns what the server printed so far (its access log).
func (s *Server) Log() string { return s.log.String() }

// syncBuffer is a bytes.Buffer safe for the process's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
