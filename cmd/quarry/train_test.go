package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub/hubclient"
)

func TestTrainRequest(t *testing.T) {
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		args []string
		want []hubclient.CandidateSpec
	}{
		{nil, nil},
		{[]string{"--head", "mlp"}, []hubclient.CandidateSpec{{Base: defaultBase, Head: "mlp"}}},
		{[]string{"--base", "a/b", "--base", "c/d", "--head", "logreg", "--head", "gbdt"}, []hubclient.CandidateSpec{
			{Base: "a/b", Head: "logreg"}, {Base: "a/b", Head: "gbdt"}, {Base: "c/d", Head: "logreg"}, {Base: "c/d", Head: "gbdt"}}},
		{[]string{"--base", "a/b"}, []hubclient.CandidateSpec{{Base: "a/b", Head: "logreg"}, {Base: "a/b", Head: "mlp"}, {Base: "a/b", Head: "gbdt"}}},
	} {
		args := append([]string{"--token", "hf_x", "--dataset", "u/d", "--project", "u/p"}, tc.args...)
		f, err := m.parseTrainFlags(args)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, f.request().Candidates); diff != "" {
			t.Errorf("%v: candidates (-want +got):\n%s", tc.args, diff)
		}
	}
	for _, bad := range [][]string{
		{"--dataset", "u/d", "--project", "u/p"},                                 // no token
		{"--token", "hf_x", "--project", "u/p"},                                  // no dataset
		{"--token", "hf_x", "--dataset", "u/d", "--project", "u/p", "--publish"}, // publish without wait
		{"--token", "hf_x", "--dataset", "u/d", "--project", "u/p", "--private"}, // private without publish
	} {
		if _, err := m.parseTrainFlags(bad); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

func TestProgressView(t *testing.T) {
	p := &hubclient.Project{Name: "u/p", State: "running", Candidates: []hubclient.Candidate{
		{Name: "logreg", Repo: "u/p-logreg", Job: &hubclient.Job{State: "running",
			Progress: hubclient.Progress{Phase: "features", Done: 50, Total: 100, ETASeconds: 12}}},
		{Name: "mlp", Repo: "u/p-mlp"},
	}}
	var lines bytes.Buffer
	v := newProgressView(&lines, false)
	v.draw(p)
	v.draw(p) // nothing changed: no new line
	if got := strings.Count(lines.String(), "\n"); got != 2 {
		t.Fatalf("lines mode printed %d lines:\n%s", got, lines.String())
	}
	if !strings.Contains(lines.String(), "features 50/100 eta 12s") || strings.Contains(lines.String(), "[") {
		t.Fatalf("lines mode:\n%s", lines.String())
	}
	var tty bytes.Buffer
	v = newProgressView(&tty, true)
	v.draw(p)
	v.draw(p)
	if !strings.Contains(tty.String(), "\x1b[2A") || !strings.Contains(tty.String(), "[############............]  50%") {
		t.Fatalf("terminal mode: %q", tty.String())
	}
	p.State = "succeeded"
	p.Candidates[0].Job.State, p.Candidates[0].Rank = "succeeded", 1
	p.Candidates[0].Job.Metrics = map[string]float64{"accuracy": 0.5, "f1": 0.25}
	p.Winner = "u/p-logreg"
	if got := winnerRepo(p); got != "u/p-logreg" {
		t.Fatalf("winner %q", got)
	}
	res := resultOf(p)
	if res.Candidates[0].Metrics["f1"] != 0.25 || res.Candidates[1].Metrics == nil {
		t.Fatalf("result %+v", res)
	}
}
