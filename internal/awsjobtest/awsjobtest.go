// Package awsjobtest helps the tests that run jobs on AWS (the batch and
// ecs runners, the Lambda functions) against moto_server: signed calls to
// APIs the runners do not use (IAM), a ready Batch job queue, and an HTTP
// client that records the request bodies the SDK sends, so that tests
// check a request's exact shape even where moto drops fields.
package awsjobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"quarry/internal/awstest"
)

// CreateRole creates IAM role name on the emulator at endpoint (Batch
// compute environments need an existing service role) and returns its ARN.
func CreateRole(ctx context.Context, endpoint, name string) (string, error) {
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds, err := credentials.NewStaticCredentialsProvider(awstest.AccessKeyID, awstest.SecretAccessKey, "").Retrieve(ctx)
	if err != nil {
		return "", err
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", awstest.Region, time.Now()); err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && !bytes.Contains(b, []byte("EntityAlreadyExists")) {
		return "", fmt.Errorf("create role %s: %s: %s", name, resp.Status, b)
	}
	return "arn:aws:iam::123456789012:role/" + name, nil
}

// Recorder is an HTTP client that keeps the body of every request, by
// operation (the end of its X-Amz-Target header or of its path). It also
// repairs the ECS responses of moto where they break the SDK.
type Recorder struct {
	mu     sync.Mutex
	bodies map[string][]string // operation -> request bodies
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{bodies: map[string][]string{}} }

// Do implements aws.HTTPClient.
func (r *Recorder) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		op := req.Header.Get("X-Amz-Target")
		if op == "" {
			op = req.URL.Path
		}
		if i := strings.LastIndexAny(op, "./"); i >= 0 {
			op = op[i+1:]
		}
		r.mu.Lock()
		r.bodies[op] = append(r.bodies[op], string(b))
		r.mu.Unlock()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || !strings.HasPrefix(req.Header.Get("X-Amz-Target"), "AmazonEC2ContainerService") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b = motoECSNumbers.ReplaceAll(b, []byte(`"$1": "$2"`))
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// motoECSNumbers matches the container cpu and memory that moto 5.2
// answers as numbers where the ECS API has strings (the SDK refuses them).
var motoECSNumbers = regexp.MustCompile(`"(cpu|memory)": (\d+)`)

// Bodies returns the recorded bodies of operation op ("submitjob",
// "RunTask"), oldest first.
func (r *Recorder) Bodies(op string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[op]...)
}

// RunBatchJobsWithoutDocker tells moto_server not to run Batch jobs in
// Docker containers. There is no Docker engine here, so moto would otherwise
// fail every submitted job at a moment of its choosing, and a test that
// describes a job just after submitting it would see "failed" or not by
// chance; without Docker moto moves jobs along its simple path instead.
func RunBatchJobsWithoutDocker(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint+"/moto-api/config",
		strings.NewReader(`{"batch": {"use_docker": false}}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto config: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("moto config: %s", resp.Status)
	}
	return nil
}
