//go:build cgo

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"quarry/functions/internal/awsstores"
	"quarry/functions/internal/lambdatest"
	"quarry/hub"
	"quarry/infra"
	"quarry/internal/awstest"
	"quarry/internal/mltest"
	"quarry/ml/classify"
	"quarry/ml/modelrepo"
	"quarry/ml/onnxrt"
)

// imageLabels are the classes of the classifier the image serves.
var imageLabels = []string{"cat", "dog", "kite"}

// TestLambdaImage builds the demo function's container image (make
// lambda-image: scripts/lambda-image.sh, FROM scratch) and runs it with
// podman as Lambda runs an image: its entry point polls a Runtime API
// (AWS_LAMBDA_RUNTIME_API, served here), on the S3 bucket and DynamoDB
// table of the real deployment (moto here) holding a published classifier.
// It checks /healthz, a model info request, the ONNX Runtime version the
// function loaded, a run/predict whose answer must equal ONNX Runtime's
// in this process, and a Gradio call/predict whose SSE result streams
// through the Function URL.
func TestLambdaImage(t *testing.T) {
	srv := awstest.Need(t, moto)
	if testing.Short() {
		t.Skip("builds and runs a container image")
	}
	podman := requirePodman(t)
	ortLib, backbone := mltest.ORTLibrary(t), mltest.BackboneDir(t)
	env := map[string]string{"QUARRY_BACKEND": "aws", "QUARRY_S3_BUCKET": "lambda-image", "QUARRY_DYNAMODB_TABLE": "lambda-image",
		"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": awstest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": awstest.SecretAccessKey}
	files := publishClassifier(t, env, backbone)
	img := buildImage(t)

	fn := runImage(t, podman, img, env)
	health := fn.call(t, v2("GET", "/healthz", "", httpAPI))
	t.Logf("image cold start, podman run to the first answer: %v", time.Since(fn.started))
	if health.StatusCode != http.StatusOK || !strings.Contains(health.Body, `"ok"`) {
		t.Fatalf("/healthz: %d %s", health.StatusCode, health.Body)
	}
	if m := regexp.MustCompile(`"msg":"demo: ONNX Runtime loaded","version":"([0-9.]+)"`).FindStringSubmatch(fn.log.String()); m == nil {
		t.Fatalf("the function did not report an ONNX Runtime version; its log:\n%s", fn.log.String())
	} else {
		t.Logf("ONNX Runtime %s loaded in the image", m[1])
	}
	info := fn.call(t, v2("GET", "/api/models/alice/classifier", "", functionURL))
	var mi struct {
		ID          string `json:"id"`
		PipelineTag string `json:"pipeline_tag"`
	}
	if info.StatusCode != http.StatusOK || json.Unmarshal([]byte(info.Body), &mi) != nil || mi.ID != "alice/classifier" ||
		mi.PipelineTag != "image-classification" {
		t.Fatalf("model info: %d %s", info.StatusCode, info.Body)
	}

	pic := testPNG(t)
	want := classifyHere(t, ortLib, files, pic)
	input, _ := json.Marshal(map[string]any{"data": []any{map[string]any{"url": "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)}}})
	root := "/alice/classifier/demo/gradio_api"
	r := fn.call(t, v2("POST", root+"/run/predict", string(input), httpAPI))
	var out struct{ Data []classify.Prediction }
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.Body), &out) != nil || len(out.Data) != 1 {
		t.Fatalf("run/predict: %d %s", r.StatusCode, r.Body)
	}
	samePrediction(t, "run/predict", out.Data[0], want)

	r = fn.call(t, v2("POST", root+"/call/predict", string(input), functionURL))
	var ev struct {
		EventID string `json:"event_id"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.Body), &ev) != nil || ev.EventID == "" {
		t.Fatalf("call/predict: %d %s", r.StatusCode, r.Body)
	}
	sse := fn.call(t, v2("GET", root+"/call/predict/"+ev.EventID, "", functionURL))
	if !sse.streamed || sse.StatusCode != http.StatusOK || sse.Headers["Content-Type"] != "text/event-stream" {
		t.Fatalf("call/predict/%s: streamed %v, %d %v", ev.EventID, sse.streamed, sse.StatusCode, sse.Headers)
	}
	_, data, ok := strings.Cut(sse.Body, "event: complete\ndata: ") // after any heartbeats
	data, _, _ = strings.Cut(data, "\n")
	var preds []classify.Prediction
	if !ok || json.Unmarshal([]byte(data), &preds) != nil || len(preds) != 1 {
		t.Fatalf("SSE result %q", sse.Body)
	}
	samePrediction(t, "call/predict SSE", preds[0], want)
}

// requirePodman returns podman's path; without it the test skips, or
// fails under CI=true.
func requirePodman(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("podman is not installed (scripts/lambda-image.sh installs it with apt)")
		}
		t.Skip("podman is not installed")
	}
	return p
}

// buildImage runs scripts/lambda-image.sh (make lambda-image) and returns
// the image it printed.
func buildImage(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(mltest.Root(t), "scripts", "lambda-image.sh"), "--out", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lambda-image.sh: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// publishClassifier creates alice's public model alice/classifier on the
// bucket and table of env (as `quarry aws init` and the hub API would) with
// a seeded linear head over the backbone, and returns its files.
func publishClassifier(t *testing.T, env map[string]string, backbone string) map[string][]byte {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v) // the SDK reads the credentials from the process environment
	}
	ctx, getenv := context.Background(), func(k string) string { return env[k] }
	if err := infra.InitAWS(ctx, infra.ConfigFromEnv(getenv)); err != nil {
		t.Fatal(err)
	}
	st, err := awsstores.Open(ctx, getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	svc := hub.NewService(st.Blobs, st.Meta, st.Secret)
	if _, err := svc.CreateUser(ctx, "alice", "alice@example.com", "correct horse", false); err != nil {
		t.Fatal(err)
	}
	alice := &hub.Caller{User: &hub.User{Name: "alice"}}
	id := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "classifier"}
	if _, err := svc.CreateRepo(ctx, alice, hub.CreateRepoInput{ID: id}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	W, b := make([][]float32, len(imageLabels)), make([]float32, len(imageLabels))
	for i := range W {
		W[i] = make([]float32, 1792)
		for j := range W[i] {
			W[i][j] = float32(r.NormFloat64() * 0.03)
		}
		b[i] = float32(i) * 0.1
	}
	files, err := modelrepo.Build(backbone, W, b, imageLabels, modelrepo.Options{ModelID: "alice/classifier"})
	if err != nil {
		t.Fatal(err)
	}
	var ops []hub.Op
	for path, data := range files {
		if len(data) < 1<<20 {
			ops = append(ops, hub.Op{Kind: hub.OpFile, Path: path, Content: data})
			continue
		}
		obj, err := svc.StoreLFS(ctx, alice, id, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, hub.Op{Kind: hub.OpLFSFile, Path: path, OID: obj.OID, Size: obj.Size})
	}
	if _, err := svc.Commit(ctx, alice, id, hub.CommitInput{Summary: "classifier", Ops: ops}); err != nil {
		t.Fatal(err)
	}
	return files
}

// classifyHere classifies pic with ONNX Runtime in this process.
func classifyHere(t *testing.T, ortLib string, files map[string][]byte, pic []byte) classify.Prediction {
	t.Helper()
	rt, err := onnxrt.Open(ortLib, onnxrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := classify.New(rt, classify.Options{})
	defer c.Close()
	preds, err := c.Classify(context.Background(), "reference", func(_ context.Context, name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("no file %s", name)
	}, [][]byte{pic})
	if err != nil {
		t.Fatal(err)
	}
	return preds[0]
}

// samePrediction compares the function's prediction with the reference.
func samePrediction(t *testing.T, what string, got, want classify.Prediction) {
	t.Helper()
	if got.Label != want.Label || len(got.Confidences) != len(want.Confidences) {
		t.Fatalf("%s: %+v, want %+v", what, got, want)
	}
	for i, c := range got.Confidences {
		if c.Label != want.Confidences[i].Label || math.Abs(c.Score-want.Confidences[i].Score) > 1e-4 {
			t.Fatalf("%s: confidences %+v, want %+v", what, got.Confidences, want.Confidences)
		}
	}
}

// testPNG is a 96 px colour pattern.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			img.Set(x, y, color.NRGBA{uint8(x * 2), uint8(y * 2), uint8((x ^ y) * 2), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Domains of Function URL and HTTP API events.
const (
	functionURL = "abc.lambda-url.us-east-1.on.aws"
	httpAPI     = "abc.execute-api.us-east-1.amazonaws.com"
)

// v2 is a payload v2 event to domain with a JSON body.
func v2(method, path, body, domain string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path,
		Headers: map[string]string{"host": domain, "x-forwarded-proto": "https", "content-type": "application/json"},
		Body:    base64.StdEncoding.EncodeToString([]byte(body)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.9"}}}
}

// function is the image running under podman.
type function struct {
	rt      *lambdatest.Runtime
	log     *syncBuffer
	started time.Time
	ctx     context.Context // ends when the container exits or after a few minutes
}

// runImage starts the image with env, QUARRY_RESPONSE_STREAM=true (its
// Function URL streams, as in template.yaml) and the Runtime API; the
// container is removed when the test ends.
func runImage(t *testing.T, podman, img string, env map[string]string) *function {
	t.Helper()
	rt := lambdatest.Start(t, time.Minute)
	name := fmt.Sprintf("quarry-lambda-test-%d", os.Getpid())
	args := []string{"run", "--rm", "--name", name, "--runtime", "runc", "--network", "host",
		"-e", "AWS_LAMBDA_RUNTIME_API=" + rt.Addr, "-e", "QUARRY_RESPONSE_STREAM=true"}
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	fn := &function{rt: rt, log: &syncBuffer{}, started: time.Now()}
	cmd := exec.Command(podman, append(args, img)...)
	cmd.Stdout, cmd.Stderr = fn.log, fn.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	fn.ctx = ctx
	exited := make(chan struct{})
	go func() { cmd.Wait(); cancel(); close(exited) }()
	t.Cleanup(func() {
		exec.Command(podman, "rm", "-f", "-t", "0", name).Run()
		<-exited
	})
	return fn
}

// answer is a function's answer, buffered or streamed.
type answer struct {
	events.APIGatewayV2HTTPResponse
	streamed bool
}

// call invokes the function with ev and reads its answer.
func (fn *function) call(t *testing.T, ev events.APIGatewayV2HTTPRequest) answer {
	t.Helper()
	inv, err := fn.rt.Invoke(fn.ctx, ev)
	if err != nil {
		t.Fatalf("%s %s: %v; the container's log:\n%s", ev.RequestContext.HTTP.Method, ev.RawPath, err, fn.log.String())
	}
	defer inv.Body.Close()
	if inv.Error != nil {
		t.Fatalf("%s %s: the function failed: %s", ev.RequestContext.HTTP.Method, ev.RawPath, inv.Error)
	}
	if inv.ContentType == lambdatest.StreamingContentType {
		p, body, err := lambdatest.ReadPrelude(inv.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return answer{events.APIGatewayV2HTTPResponse{StatusCode: p.StatusCode, Headers: p.Headers, Cookies: p.Cookies, Body: string(b)}, true}
	}
	var a answer
	b, err := io.ReadAll(inv.Body)
	if err != nil || json.Unmarshal(b, &a.APIGatewayV2HTTPResponse) != nil {
		t.Fatalf("%s %s: answer %q (%v)", ev.RequestContext.HTTP.Method, ev.RawPath, b, err)
	}
	if a.IsBase64Encoded {
		raw, err := base64.StdEncoding.DecodeString(a.Body)
		if err != nil {
			t.Fatal(err)
		}
		a.Body = string(raw)
	}
	return a
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
