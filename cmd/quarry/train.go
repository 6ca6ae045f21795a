package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"quarry/hub/hubclient"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// defaultBase is the base model of candidates given by head only.
const defaultBase = "quarry/mobilenet-v2-140-224"

// trainFlags are the flags of `quarry train`.
type trainFlags struct {
	endpoint, token, dataset, revision, project string
	positive, metric, runner                    string
	targetRecall                                float64
	bases, heads                                listFlag
	publish, private, wait                      bool
	poll                                        time.Duration
}

const trainSynopsis = `train --endpoint URL --token T --dataset NS/DATA --project NS/NAME
        [--base ID ...] [--head logreg|mlp|gbdt ...] [--positive LABEL] [--metric f1|recall|...]
        [--runner process|podman] [--target-recall X] [--publish [--private]] [--wait]`

func (m *Main) parseTrainFlags(args []string) (*trainFlags, error) {
	f := &trainFlags{}
	fs := newFlagSet("train", trainSynopsis, m.Stderr)
	addClientFlags(fs, m.Getenv, &f.endpoint, &f.token)
	fs.StringVar(&f.dataset, "dataset", "", "dataset repo NS/NAME (imagefolder layout)")
	fs.StringVar(&f.revision, "revision", "", "dataset revision (default: its main branch)")
	fs.StringVar(&f.project, "project", "", "project NS/NAME: candidates are NS/NAME-HEAD, --publish writes NS/NAME")
	fs.Var(&f.bases, "base", "base model repo, repeatable (default "+defaultBase+")")
	fs.Var(&f.heads, "head", "head logreg|mlp|gbdt, repeatable (default: all three)")
	fs.StringVar(&f.positive, "positive", "", "positive label of a binary task")
	fs.StringVar(&f.metric, "metric", "", "ranking metric (default f1)")
	fs.StringVar(&f.runner, "runner", "", "job runner process|podman (default: the server's)")
	fs.Float64Var(&f.targetRecall, "target-recall", 0, "tune each candidate's threshold to reach this recall")
	fs.BoolVar(&f.publish, "publish", false, "publish the winner as --project (needs --wait)")
	fs.BoolVar(&f.private, "private", false, "publish as a private repo")
	fs.BoolVar(&f.wait, "wait", false, "follow the project until it finishes; print the result as JSON")
	fs.DurationVar(&f.poll, "poll", 500*time.Millisecond, "how often --wait asks for the project's state")
	if _, err := parseFlags(fs, args, 0, ""); err != nil {
		return nil, err
	}
	switch {
	case f.token == "":
		return nil, usagef("train: --token (or QUARRY_TOKEN) is required")
	case f.dataset == "" || f.project == "":
		return nil, usagef("train: --dataset and --project are required")
	case f.publish && !f.wait:
		return nil, usagef("train: --publish needs --wait")
	case f.private && !f.publish:
		return nil, usagef("train: --private goes with --publish")
	}
	return f, nil
}

// request builds the project request: every base with every head.
func (f *trainFlags) request() hubclient.ProjectRequest {
	req := hubclient.ProjectRequest{Name: f.project, Dataset: f.dataset, Revision: f.revision,
		Positive: f.positive, Metric: f.metric, Runner: f.runner}
	if f.targetRecall != 0 {
		req.TargetRecall = &f.targetRecall
	}
	if len(f.bases) > 0 || len(f.heads) > 0 {
		bases, heads := f.bases, f.heads
		if len(bases) == 0 {
			bases = listFlag{defaultBase}
		}
		if len(heads) == 0 {
			heads = listFlag{"logreg", "mlp", "gbdt"}
		}
		for _, b := range bases {
			for _, h := range heads {
				req.Candidates = append(req.Candidates, hubclient.CandidateSpec{Base: b, Head: h})
			}
		}
	}
	return req
}

// runTrain creates a training project and, with --wait, follows it to its
// end, printing progress and, last, the result as one JSON line.
func (m *Main) runTrain(ctx context.Context, args []string) error {
	f, err := m.parseTrainFlags(args)
	if err != nil {
		return err
	}
	api := hubclient.New(f.endpoint, f.token)
	p, err := api.CreateProject(ctx, f.request())
	if err != nil {
		return m.refusal("train", err)
	}
	fmt.Fprintf(m.Stderr, "project %s (%s): %d candidates on %s@%s\n", p.Name, p.ID, len(p.Candidates), p.Dataset, shortRev(p.Revision))
	if !f.wait {
		return writeJSONLine(m.Stdout, p)
	}
	p, err = m.follow(ctx, api, p, f.poll)
	if err != nil {
		return err
	}
	out := resultOf(p)
	if f.publish && p.State == "succeeded" {
		pub, err := api.PublishProject(ctx, p.ID, "", f.private)
		if err != nil {
			return fmt.Errorf("train: publish: %w", err)
		}
		out.Published = pub
		fmt.Fprintf(m.Stderr, "published %s at %s\n", pub.Repo, shortRev(pub.Commit))
	}
	if err := writeJSONLine(m.Stdout, out); err != nil {
		return err
	}
	if p.State != "succeeded" {
		return fmt.Errorf("train: project %s %s%s", p.Name, p.State, suffix(": ", p.Error))
	}
	return nil
}

// refusal prints a refused dataset's report and returns the error.
func (m *Main) refusal(cmd string, err error) error {
	rep, ok := hubclient.ReportOf(err)
	if !ok {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(m.Stderr, "%s: the dataset was refused:\n", cmd)
	for _, p := range rep.Problems {
		fmt.Fprintf(m.Stderr, "  - %s: %s\n", p.Code, p.Message)
	}
	msg := err.Error()
	var he *hubclient.Error
	if errors.As(err, &he) && he.Message != "" {
		msg = he.Message
	}
	return fmt.Errorf("%s: dataset refused: %s", cmd, msg)
}

// follow polls the project until it is finished, drawing its progress.
func (m *Main) follow(ctx context.Context, api *hubclient.Client, p *hubclient.Project, poll time.Duration) (*hubclient.Project, error) {
	view := newProgressView(m.Stdout, isTerminal(m.Stdout))
	for {
		view.draw(p)
		if projectDone(p) {
			view.finish(p)
			return p, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("train: stopped waiting (project %s keeps running): %w", p.ID, ctx.Err())
		case <-time.After(poll):
		}
		next, err := api.Project(ctx, p.ID)
		if err != nil {
			if hubclient.StatusOf(err) >= 500 || hubclient.StatusOf(err) == 0 && ctx.Err() == nil {
				fmt.Fprintf(m.Stderr, "train: %v (retrying)\n", err)
				continue
			}
			return nil, fmt.Errorf("train: %w", err)
		}
		p = next
	}
}

// projectDone reports whether a project is over: its state is final.
func projectDone(p *hubclient.Project) bool { return hubclient.TerminalState(p.State) }

// trainResult is the final JSON line of `quarry train --wait`.
type trainResult struct {
	Project    string               `json:"project"`
	ID         string               `json:"id"`
	State      string               `json:"state"`
	Winner     string               `json:"winner"`
	Candidates []candidateResult    `json:"candidates"`
	Published  *hubclient.Published `json:"published,omitempty"`
}

type candidateResult struct {
	Name    string             `json:"name"`
	Repo    string             `json:"repo"`
	Base    string             `json:"base"`
	Head    string             `json:"head"`
	State   string             `json:"state"`
	Rank    int                `json:"rank,omitempty"`
	Metrics map[string]float64 `json:"metrics"`
	Error   string             `json:"error,omitempty"`
}

func resultOf(p *hubclient.Project) trainResult {
	out := trainResult{Project: p.Name, ID: p.ID, State: p.State, Winner: winnerRepo(p)}
	for _, c := range p.Candidates {
		r := candidateResult{Name: c.Name, Repo: c.Repo, Base: c.Base, Head: c.Head, Rank: c.Rank, Metrics: c.Metrics}
		if c.Job != nil {
			r.State, r.Error = c.Job.State, c.Job.Error
			if len(r.Metrics) == 0 {
				r.Metrics = c.Job.Metrics
			}
		}
		if r.Metrics == nil {
			r.Metrics = map[string]float64{}
		}
		out.Candidates = append(out.Candidates, r)
	}
	return out
}

// winnerRepo returns the winner's repo: the project names it by candidate
// name or repo; else the candidate ranked first.
func winnerRepo(p *hubclient.Project) string {
	for _, c := range p.Candidates {
		if p.Winner != "" && (c.Name == p.Winner || c.Repo == p.Winner) {
			return c.Repo
		}
	}
	if p.Winner != "" {
		return p.Winner
	}
	for _, c := range p.Candidates {
		if c.Rank == 1 {
			return c.Repo
		}
	}
	return ""
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func shortRev(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}
