package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"quarry/internal/awstest"
)

// awsEnv is the environment of a quarry process on the AWS backend of m.
func awsEnv(m *awstest.Server, bucket, table string) []string {
	return []string{"QUARRY_BACKEND=aws", "QUARRY_S3_BUCKET=" + bucket, "QUARRY_DYNAMODB_TABLE=" + table,
		"AWS_ENDPOINT_URL=" + m.URL, "AWS_REGION=" + awstest.Region, "AWS_ACCESS_KEY_ID=" + awstest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + awstest.SecretAccessKey}
}

// quarryEnv runs `quarry ARGS...` with env added and returns its stdout.
func quarryEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, quarryBin, args...)
	cmd.Env = append(serverEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("quarry %s: %v\n%s%s", strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

// TestHubJSClientAWS runs the @huggingface/hub scenario (hub.test.mjs,
// unchanged) against `quarry serve` on the AWS backend emulated by moto,
// after `quarry aws init`, and checks in moto's access log that the
// client itself moved the LFS bytes: part PUTs and object GETs through
// presigned URLs (query-signed, which the server's own SDK calls never
// are).
func TestHubJSClientAWS(t *testing.T) {
	node, err := exec.LookPath("node")
	requireTool(t, err == nil, "node")
	_, err = os.Stat(filepath.Join("node_modules", "@huggingface", "hub", "package.json"))
	requireTool(t, err == nil, "e2e/node_modules/@huggingface/hub")
	m := awstest.Run(t)
	env := awsEnv(m, "quarry-e2e", "quarry-e2e")
	out := quarryEnv(t, env, "aws", "init")
	if !strings.Contains(out, "quarry-e2e") {
		t.Fatalf("quarry aws init printed %q", out)
	}
	quarryEnv(t, env, "aws", "init") // idempotent
	data := t.TempDir()
	token := lastLine(quarryEnv(t, env, "user", "create", "awsuser", "--data", data))
	s := startServerEnv(t, data, env)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "hub.test.mjs")
	cmd.Env = append(serverEnv(), "QUARRY_ENDPOINT="+s.URL, "QUARRY_TOKEN="+token, "QUARRY_USER=awsuser", "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test hub.test.mjs on the AWS backend: %v (see its output above)", err)
	}
	checkPresignedTraffic(t, m.Log(), "quarry-e2e")
}

// checkPresignedTraffic checks moto's access log for the client's
// transfers: at least the 10 part PUTs of the 15 and 60 MiB uploads
// (8 MiB parts) to staging keys, and GETs of lfs/ content keys, all with a
// presigned signature in the query.
func checkPresignedTraffic(t *testing.T, log, bucket string) {
	t.Helper()
	line := regexp.MustCompile(`"([A-Z]+) (/` + bucket + `/[^ ?]+)\?([^ ]*) HTTP/1\.1" (\d{3})`)
	var partPuts, lfsGets int
	for _, mt := range line.FindAllStringSubmatch(log, -1) {
		method, key, query, status := mt[1], mt[2], mt[3], mt[4]
		if !strings.Contains(query, "X-Amz-Signature=") {
			continue // the server's own (header-signed) request
		}
		code, _ := strconv.Atoi(status)
		switch {
		case method == "PUT" && strings.Contains(key, "/uploads/") && strings.Contains(query, "partNumber="):
			if code != http.StatusOK {
				t.Errorf("presigned part PUT %s answered %d", key, code)
			}
			partPuts++
		case method == "GET" && strings.Contains(key, "/lfs/"):
			if code != http.StatusOK && code != http.StatusPartialContent {
				t.Errorf("presigned GET %s answered %d", key, code)
			}
			lfsGets++
		}
	}
	if partPuts < 10 || lfsGets < 2 {
		t.Fatalf("moto saw %d presigned part PUTs (want >= 10) and %d presigned lfs/ GETs (want >= 2): the client's bytes did not go straight to S3", partPuts, lfsGets)
	}
	t.Logf("moto log: %d presigned part PUTs, %d presigned lfs/ GETs from the client", partPuts, lfsGets)
}
