package web

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
	"quarry/hub/hubtest"
)

func TestMarkBest(t *testing.T) {
	row := func(vals ...string) candidateRow {
		r := candidateRow{}
		for i, v := range vals {
			r.Cells = append(r.Cells, metricCell{Metric: []string{"f1", "loss"}[i], Value: v})
		}
		return r
	}
	rows := []candidateRow{row("0.8000", "0.6000"), row("0.9000", "0.7000"), row("0.9000", ""), row("", "0.5000")}
	markBest(rows, []string{"f1", "loss"})
	var got [][]bool
	for _, r := range rows {
		got = append(got, []bool{r.Cells[0].Best, r.Cells[1].Best})
	}
	want := [][]bool{{false, false}, {true, false}, {true, false}, {false, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("best cells (-want +got):\n%s", diff)
	}
}

func TestProjectInput(t *testing.T) {
	f := projectForm{Namespace: "alice", Name: "finder", Dataset: "alice/tiles", Positive: "mine", Metric: "f1",
		TargetRecall: "0.9", Candidates: []string{"quarry/base|logreg", "quarry/base|gbdt"}}
	in, err := projectInput(f)
	if err != nil {
		t.Fatal(err)
	}
	base := hub.RepoID{Type: hub.Model, Namespace: "quarry", Name: "base"}
	want := hub.ProjectInput{Name: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "finder"},
		Dataset: hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "tiles"}, Positive: "mine", Metric: "f1",
		TargetRecall: 0.9, Candidates: []hub.CandidateInput{{Base: base, Head: "logreg"}, {Base: base, Head: "gbdt"}}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("input (-want +got):\n%s", diff)
	}
	for name, bad := range map[string]projectForm{
		"no name":       {Namespace: "alice", Dataset: "alice/tiles", Candidates: f.Candidates},
		"no dataset":    {Namespace: "alice", Name: "x", Candidates: f.Candidates},
		"no candidates": {Namespace: "alice", Name: "x", Dataset: "alice/tiles"},
		"bad recall":    {Namespace: "alice", Name: "x", Dataset: "alice/tiles", TargetRecall: "high", Candidates: f.Candidates},
	} {
		if _, err := projectInput(bad); hub.ErrorKind(err) != hub.ErrInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestCandidateRowOf(t *testing.T) {
	cs := hub.CandidateStatus{Candidate: hub.Candidate{Name: "c1", Head: "logreg"}, Rank: 1,
		Job:     &hub.Job{ID: "ab12", State: hub.JobSucceeded},
		Metrics: map[string]float64{"f1": 0.875, "loss": 0.25}}
	r := candidateRowOf(cs)
	if got, want := r.JobID, "ab12"; got != want {
		t.Fatalf("job id = %q, want %q", got, want)
	}
	if got, want := r.State, "succeeded"; got != want {
		t.Fatalf("state = %q, want %q", got, want)
	}
	vals := map[string]string{}
	for _, c := range r.Cells {
		vals[c.Metric] = c.Value
	}
	if diff := cmp.Diff(map[string]string{"f1": "0.8750", "accuracy": "", "precision": "", "recall": "", "auc": "", "loss": "0.2500"}, vals); diff != "" {
		t.Fatalf("cells (-want +got):\n%s", diff)
	}
	if got := candidateRowOf(hub.CandidateStatus{Candidate: hub.Candidate{Name: "c2"}}); got.JobID != "" || got.State != "waiting" {
		t.Fatalf("no job: job id %q state %q, want empty and waiting", got.JobID, got.State)
	}
}

// presignOnly is a blob store that takes presigned multipart uploads at
// url (only PresignPart is called).
type presignOnly struct {
	hub.BlobStore
	hub.MultipartPresigner
	url string
	err error
}

func (p presignOnly) PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error) {
	return p.url, p.err
}

// TestUploadCSP: the upload page may connect to the object store's origin
// when the store takes presigned part uploads, and only then.
func TestUploadCSP(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		blobs hub.BlobStore
		want  string
	}{
		{"local store", hubtest.NewMemBlobStore(), ""},
		{"S3", presignOnly{url: "https://bucket.s3.eu-west-1.amazonaws.com/uploads/x/data?partNumber=1&X-Amz-Signature=ab"}, "https://bucket.s3.eu-west-1.amazonaws.com"},
		{"emulator", presignOnly{url: "http://127.0.0.1:5000/bucket/uploads/x/data?partNumber=1"}, "http://127.0.0.1:5000"},
		{"signing fails", presignOnly{err: errors.New("no credentials")}, ""},
		{"not a URL", presignOnly{url: "mem:up1/1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := uploadOrigin(ctx, c.blobs)
			if got != c.want {
				t.Fatalf("uploadOrigin = %q, want %q", got, c.want)
			}
			csp := uploadCSP(got)
			wantCSP := strings.Replace(contentSecurityPolicy, "connect-src 'self'", strings.TrimSpace("connect-src 'self' "+c.want), 1)
			if csp != wantCSP || !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self';") {
				t.Fatalf("CSP %q, want %q", csp, wantCSP)
			}
			if c.want != "" && !strings.Contains(csp, "connect-src 'self' "+c.want+";") {
				t.Fatalf("CSP %q lacks %s in connect-src", csp, c.want)
			}
		})
	}
}
