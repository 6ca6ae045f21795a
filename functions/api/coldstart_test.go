package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"quarry/infra"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

// buildFlags build the function as make build-lambda does.
var buildFlags = []string{"build", "-trimpath", "-ldflags=-s -w", "-tags=lambda.norpc,noecs"}

// maxBinary is the size goal of the deployed (arm64) binary.
const maxBinary = 25 << 20

// TestColdStart runs the function binary with the Lambda runtime API
// emulated (AWS_LAMBDA_RUNTIME_API served by this test), on moto, and
// times exec to the first answered event (a model listing): its init
// (one DynamoDB read of the signing secret) plus one request. It also
// checks the size of the arm64 build that is deployed.
func TestColdStart(t *testing.T) {
	srv := awstest.Need(t, moto)
	if testing.Short() {
		t.Skip("builds the function")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	build(t, bin, runtime.GOARCH)
	arm := filepath.Join(dir, "bootstrap-arm64")
	build(t, arm, "arm64")
	st, err := os.Stat(arm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("API function binary (linux/arm64, -s -w, trimpath, no cgo): %.1f MiB", float64(st.Size())/(1<<20))
	if st.Size() > maxBinary {
		t.Errorf("arm64 binary is %d bytes, above the %d-byte goal", st.Size(), maxBinary)
	}

	env := []string{"QUARRY_BACKEND=aws", "QUARRY_S3_BUCKET=coldstart", "QUARRY_DYNAMODB_TABLE=coldstart",
		"AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=" + awstest.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v) // InitAWS's SDK reads the credentials from the process environment
	}
	if err := infra.InitAWS(context.Background(), infra.ConfigFromEnv(os.Getenv)); err != nil {
		t.Fatal(err)
	}
	var times []time.Duration
	for range 3 {
		times = append(times, coldStart(t, bin, env))
	}
	best := min(times[0], times[1], times[2])
	t.Logf("cold start, exec to first answered event (3 runs): %v %v %v", times[0], times[1], times[2])
	if best > 2*time.Second {
		t.Errorf("cold start %v is far above the 150 ms goal", best)
	}
}

func build(t *testing.T, out, arch string) {
	t.Helper()
	cmd := exec.Command("go", append(buildFlags, "-o", out, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (%s): %v\n%s", arch, err, b)
	}
}

// coldStart starts bin against a one-event runtime API and returns the
// time from exec to the posted answer, which must be a 200.
func coldStart(t *testing.T, bin string, env []string) time.Duration {
	t.Helper()
	answer := make(chan events.APIGatewayV2HTTPResponse, 1)
	served := false
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if served {
			<-r.Context().Done() // one event; the process is killed next
			return
		}
		served = true
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/models",
			Headers: map[string]string{"host": "abc.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc.lambda-url.us-east-1.on.aws",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/models", SourceIP: "203.0.113.9"}}}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:api")
		json.NewEncoder(w).Encode(ev)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/req-1/response", func(w http.ResponseWriter, r *http.Request) {
		var resp events.APIGatewayV2HTTPResponse
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &resp)
		answer <- resp
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		t.Errorf("init error: %s", b)
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, env...), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	select {
	case resp := <-answer:
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first event answered %d: %s", resp.StatusCode, resp.Body)
		}
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no answer within 30s")
	}
	return 0
}
