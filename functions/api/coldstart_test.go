package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"quarry/functions/internal/lambdatest"
	"quarry/infra"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

// buildFlags build the function as make build-lambda does.
var buildFlags = []string{"build", "-trimpath", "-ldflags=-s -w", "-tags=lambda.norpc,noecs,awsenv"}

// maxBinary is the size goal of the deployed (arm64) binary: 25 MB.
const maxBinary = 25_000_000

// TestColdStart runs the function binary with the Lambda runtime API
// emulated (AWS_LAMBDA_RUNTIME_API served by this test), on moto, and
// times exec to the first answered event (a model listing): its init
// (one DynamoDB read of the signing secret) plus one request. It also
// checks the size of the arm64 build that is deployed, and that behind a
// streaming Function URL (QUARRY_RESPONSE_STREAM) the binary posts
// Function URL answers as streams and API Gateway answers buffered.
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
	t.Logf("API function binary (linux/arm64, -s -w, trimpath, no cgo): %d bytes (%.1f MiB)", st.Size(), float64(st.Size())/(1<<20))
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
	checkStreaming(t, bin, append(env, "QUARRY_RESPONSE_STREAM=true"))
}

func build(t *testing.T, out, arch string) {
	t.Helper()
	cmd := exec.Command("go", append(buildFlags, "-o", out, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (%s): %v\n%s", arch, err, b)
	}
}

// listEvent is a model listing through domain (a Function URL or an HTTP API).
func listEvent(domain string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/models",
		Headers: map[string]string{"host": domain, "x-forwarded-proto": "https"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/models", SourceIP: "203.0.113.9"}}}
}

// startFunction runs bin against a fresh Runtime API until the test ends.
func startFunction(t *testing.T, bin string, env []string) *lambdatest.Runtime {
	t.Helper()
	rt := lambdatest.Start(t, time.Minute)
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, env...), "AWS_LAMBDA_RUNTIME_API="+rt.Addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return rt
}

// coldStart starts bin against a one-event runtime API and returns the
// time from exec to the posted answer, which must be a 200.
func coldStart(t *testing.T, bin string, env []string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	rt := startFunction(t, bin, env)
	inv, err := rt.Invoke(ctx, listEvent("abc.lambda-url.us-east-1.on.aws"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(inv.Body)
	inv.Body.Close()
	d := time.Since(start)
	var resp events.APIGatewayV2HTTPResponse
	if err != nil || json.Unmarshal(b, &resp) != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first event answered %s (%v)", b, err)
	}
	return d
}

// checkStreaming sends a Function URL event and an HTTP API event to bin
// started with env (QUARRY_RESPONSE_STREAM=true): the first answer must be
// posted as a stream (prelude, then the JSON listing), the second buffered.
func checkStreaming(t *testing.T, bin string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := startFunction(t, bin, env)
	inv, err := rt.Invoke(ctx, listEvent("abc.lambda-url.us-east-1.on.aws"))
	if err != nil {
		t.Fatal(err)
	}
	p, body, err := lambdatest.ReadPrelude(inv.Body)
	if inv.ContentType != lambdatest.StreamingContentType || err != nil {
		t.Fatalf("Function URL event posted as %q: %v", inv.ContentType, err)
	}
	b, err := io.ReadAll(body)
	inv.Body.Close()
	if p.StatusCode != http.StatusOK || !strings.HasPrefix(p.Headers["Content-Type"], "application/json") || err != nil || !json.Valid(b) {
		t.Fatalf("streamed answer %+v %s (%v)", p, b, err)
	}
	inv, err = rt.Invoke(ctx, listEvent("abc.execute-api.us-east-1.amazonaws.com"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(inv.Body)
	inv.Body.Close()
	var resp events.APIGatewayV2HTTPResponse
	if err != nil || json.Unmarshal(b, &resp) != nil || resp.StatusCode != http.StatusOK || inv.ContentType == lambdatest.StreamingContentType {
		t.Fatalf("HTTP API event answered %q %s (%v)", inv.ContentType, b, err)
	}
}
