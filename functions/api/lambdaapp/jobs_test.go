package lambdaapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"quarry/internal/awsjobtest"
	"quarry/internal/awstest"
)

// hubURL is the hub's public URL in the jobs' tests: tasks reach the hub
// there (QUARRY_ENDPOINT).
const hubURL = "https://hub.example.org"

// batchFixture is the app of a fixture whose jobs run on a Batch queue of
// moto, with alice's dataset alice/tiles (5 images of each of mine and
// no_mine) beside her model alice/m.
type batchFixture struct {
	*fixture
	queue *awsjobtest.BatchQueue
}

func openBatchFixture(t *testing.T, extra map[string]string) *batchFixture {
	t.Helper()
	srv := awstest.Need(t, moto)
	q, err := awsjobtest.NewBatchQueue(context.Background(), srv.URL, fmt.Sprintf("lambda-jobs-%d", seq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QUARRY_BATCH_JOB_QUEUE": q.Queue, "QUARRY_BATCH_JOB_DEFINITION": q.JobDefinition,
		"QUARRY_BATCH_GPUS": "1", "QUARRY_PUBLIC_URL": hubURL}
	for k, v := range extra {
		env[k] = v
	}
	f := &batchFixture{fixture: openFixture(t, env), queue: q}
	if r := f.v2(t, "POST", "/api/repos/create", `{"type":"dataset","name":"tiles"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("create dataset: %d %s", r.StatusCode, r.Body)
	}
	var b strings.Builder
	line := func(v any) {
		j, _ := json.Marshal(v)
		b.Write(j)
		b.WriteByte('\n')
	}
	line(header("tiles"))
	n := 0
	for _, label := range []string{"mine", "no_mine"} {
		for i := range 5 {
			n++
			line(map[string]any{"key": "file", "value": map[string]any{"path": fmt.Sprintf("%s/%d.png", label, i),
				"content": base64.StdEncoding.EncodeToString(tinyPNG(t, n)), "encoding": "base64"}})
		}
	}
	if r := f.v2(t, "POST", "/api/datasets/alice/tiles/commit/main", b.String()); r.StatusCode != http.StatusOK {
		t.Fatalf("commit dataset: %d %s", r.StatusCode, r.Body)
	}
	return f
}

// tinyPNG is a 4x4 gray image that differs for every n.
func tinyPNG(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Set(0, 0, color.Gray{Y: uint8(n)})
	img.Set(1, 0, color.Gray{Y: uint8(n >> 8)})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wireJob is what the test reads of a job on the wire.
type wireJob struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Runner string `json:"runner"`
	Handle string `json:"handle"`
}

// TestJobLaunchedWithinRequest creates a training project through a
// Function URL event, buffered and streamed, on an app whose runner is
// AWS Batch (moto). Lambda may freeze the instance as soon as it has the
// answer, so every candidate's job must be on Batch by then: the jobs are
// listed on the queue right when Handle returns, before the answer is
// even read, and each must be there as quarry-<job id> with the handle
// the answer shows, its job starting. With JobsConfig.LaunchInline off the
// launches are left to goroutines that race the answer: it then shows
// jobs without their Batch handle, or Batch lacks some, and this fails.
func TestJobLaunchedWithinRequest(t *testing.T) {
	for _, m := range fixtureModes {
		t.Run(m.name, func(t *testing.T) { testJobLaunchedWithinRequest(t, openBatchFixture(t, m.env)) })
	}
}

func testJobLaunchedWithinRequest(t *testing.T, f *batchFixture) {
	ctx := context.Background()
	body := `{"name":"alice/amber","dataset":"alice/tiles","positive":"mine","candidates":[` +
		`{"base":"alice/m","head":"logreg"},{"base":"alice/m","head":"mlp"},{"base":"alice/m","head":"gbdt"}]}`
	raw, _ := json.Marshal(v2Event("POST", "/api/training/projects", body, functionURLDomain,
		map[string]string{"authorization": "Bearer " + f.token}))
	out, err := f.app.Handle(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	onBatch, err := f.queue.Jobs(ctx, "quarry-") // before anything else: what Batch holds when the answer leaves
	if err != nil {
		t.Fatal(err)
	}
	var r events.APIGatewayV2HTTPResponse
	switch resp := out.(type) {
	case events.APIGatewayV2HTTPResponse:
		r = resp
	case *events.LambdaFunctionURLStreamingResponse:
		r = drain(t, resp)
	default:
		t.Fatalf("answer of type %T", out)
	}
	var p struct {
		Runner     string `json:"runner"`
		Candidates []struct {
			Head string   `json:"head"`
			Job  *wireJob `json:"job"`
		} `json:"candidates"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.Body), &p) != nil {
		t.Fatalf("create project: %d %s", r.StatusCode, r.Body)
	}
	if p.Runner != "batch" || len(p.Candidates) != 3 {
		t.Fatalf("project runner %q with %d candidates, want batch and 3: %s", p.Runner, len(p.Candidates), r.Body)
	}
	for _, c := range p.Candidates {
		j := c.Job
		if j == nil {
			t.Fatalf("candidate %s has no job: %s", c.Head, r.Body)
		}
		b, ok := onBatch["quarry-"+j.ID]
		if !ok {
			t.Fatalf("candidate %s: job quarry-%s is not on Batch when the answer arrives (Batch has %v)",
				c.Head, j.ID, names(onBatch))
		}
		if j.State != "starting" || j.Runner != "batch" || j.Handle == "" {
			t.Fatalf("candidate %s: job %+v in the answer, want a starting batch job with its handle", c.Head, j)
		}
		if got := aws.ToString(b.JobId); got != j.Handle {
			t.Fatalf("candidate %s: Batch job id %s, the answer's handle %s", c.Head, got, j.Handle)
		}
	}
	if len(onBatch) != len(p.Candidates) {
		t.Fatalf("Batch has %d jobs (%v), want the %d candidates'", len(onBatch), names(onBatch), len(p.Candidates))
	}
	checkJobEnv(t, f, p.Candidates[0].Job)
}

// checkJobEnv checks that the Batch job of j carries its id, the token
// the trainer reports with and the hub's URL.
func checkJobEnv(t *testing.T, f *batchFixture, j *wireJob) {
	t.Helper()
	out, err := f.queue.Client.DescribeJobs(context.Background(), &awsbatch.DescribeJobsInput{Jobs: []string{j.Handle}})
	if err != nil || len(out.Jobs) != 1 || out.Jobs[0].Container == nil {
		t.Fatalf("DescribeJobs(%s) = %+v, %v", j.Handle, out, err)
	}
	env := map[string]string{}
	for _, kv := range out.Jobs[0].Container.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if env["QUARRY_JOB_ID"] != j.ID || env["QUARRY_JOB_TOKEN"] == "" || env["QUARRY_ENDPOINT"] != hubURL {
		t.Fatalf("Batch job %s environment %v: want QUARRY_JOB_ID %s, a job token and QUARRY_ENDPOINT %s",
			j.Handle, keys(env), j.ID, hubURL)
	}
}

func names(jobs map[string]types.JobSummary) []string {
	out := make([]string, 0, len(jobs))
	for n := range jobs {
		out = append(out, n)
	}
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if k == "QUARRY_JOB_TOKEN" {
			v = "(set)"
		}
		out = append(out, k+"="+v)
	}
	return out
}

// TestTrainingNeedsPublicURL: without QUARRY_PUBLIC_URL (template.yaml's
// PublicUrl left empty) jobs could not call the hub back, so a project is
// refused with the fix in the message and nothing reaches Batch.
func TestTrainingNeedsPublicURL(t *testing.T) {
	f := openBatchFixture(t, map[string]string{"QUARRY_PUBLIC_URL": ""})
	body := `{"name":"alice/amber","dataset":"alice/tiles","positive":"mine","candidates":[{"base":"alice/m","head":"logreg"}]}`
	r := f.v2(t, "POST", "/api/training/projects", body)
	if r.StatusCode != http.StatusNotImplemented || !strings.Contains(r.Body, "PublicUrl") {
		t.Fatalf("project without a public URL: %d %s; want 501 naming PublicUrl", r.StatusCode, r.Body)
	}
	if jobs, err := f.queue.Jobs(context.Background(), "quarry-"); err != nil || len(jobs) != 0 {
		t.Fatalf("Batch holds %v (%v), want no job", names(jobs), err)
	}
}
