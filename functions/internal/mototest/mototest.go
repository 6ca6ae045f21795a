// Package mototest runs moto_server, the local AWS emulator, for the tests
// of the Lambda functions (quarry/infra/internal/awstest is internal to
// infra). A package starts one server from TestMain:
//
//	var moto *mototest.Server
//
//	func TestMain(m *testing.M) { os.Exit(mototest.Main(m, &moto)) }
//
// and each test calls mototest.Need(t, moto). Without moto_server the tests
// skip, except under CI=true, where Main fails the run.
package mototest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Credentials and region of every test client; moto accepts any.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	Region          = "us-east-1"
)

var errNotInstalled = errors.New("mototest: moto_server is not installed (pip install 'moto[server]')")

// Server is a running moto_server on a loopback port.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	log  *buffer
	done chan error
}

// Main starts a server into *srv, runs the tests and stops it; it returns
// the exit code.
func Main(m *testing.M, srv **Server) int {
	s, err := start()
	if errors.Is(err, errNotInstalled) && os.Getenv("CI") != "true" {
		fmt.Fprintln(os.Stderr, err, "- skipping the tests that need it")
		return m.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*srv = s
	defer s.stop()
	return m.Run()
}

// Need returns s, skipping the test when no server runs.
func Need(t testing.TB, s *Server) *Server {
	t.Helper()
	if s == nil {
		t.Skip(errNotInstalled.Error())
	}
	return s
}

// Env sets the variables that point the AWS SDK at s for the test.
func (s *Server) Env(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretAccessKey)
}

// Log returns the server's access log so far.
func (s *Server) Log() string { return s.log.String() }

func start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errNotInstalled
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("mototest: start: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("mototest: moto_server did not answer within 30s: %s", s.log.String())
}

func (s *Server) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

type buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
