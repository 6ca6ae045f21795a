package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"quarry/hub/hubclient"
)

// addClientFlags adds --endpoint and --token (QUARRY_ENDPOINT or
// HF_ENDPOINT, QUARRY_TOKEN or HF_TOKEN).
func addClientFlags(fs *flag.FlagSet, getenv func(string) string, endpoint, token *string) {
	def := cmpOr(getenv("QUARRY_ENDPOINT"), cmpOr(getenv("HF_ENDPOINT"), "http://127.0.0.1:8080"))
	fs.StringVar(endpoint, "endpoint", def, "hub URL (QUARRY_ENDPOINT, HF_ENDPOINT)")
	fs.StringVar(token, "token", cmpOr(getenv("QUARRY_TOKEN"), getenv("HF_TOKEN")), "access token hf_... (QUARRY_TOKEN, HF_TOKEN)")
}

// progressView shows a project's candidates: redrawn bars on a terminal,
// a line per change otherwise.
type progressView struct {
	w     io.Writer
	tty   bool
	drawn int               // lines drawn last time (terminal)
	last  map[string]string // last line per candidate (lines mode)
}

func newProgressView(w io.Writer, tty bool) *progressView {
	return &progressView{w: w, tty: tty, last: map[string]string{}}
}

// barWidth is the width of a terminal progress bar.
const barWidth = 24

// draw shows the project's current state.
func (v *progressView) draw(p *hubclient.Project) {
	if v.tty {
		if v.drawn > 0 {
			fmt.Fprintf(v.w, "\x1b[%dA", v.drawn) // back to the first line
		}
		for _, c := range p.Candidates {
			fmt.Fprintf(v.w, "\x1b[2K%s\n", candidateLine(c, true))
		}
		v.drawn = len(p.Candidates)
		return
	}
	for _, c := range p.Candidates {
		line := candidateLine(c, false)
		if key := c.Name + "|" + coarse(c); v.last[c.Name] != key {
			v.last[c.Name] = key
			fmt.Fprintln(v.w, line)
		}
	}
}

// finish prints the leaderboard once the project is over.
func (v *progressView) finish(p *hubclient.Project) {
	fmt.Fprintf(v.w, "project %s %s\n", p.Name, p.State)
	for _, c := range p.Candidates {
		m := c.Metrics
		if len(m) == 0 && c.Job != nil {
			m = c.Job.Metrics
		}
		fmt.Fprintf(v.w, "  #%d %-40s %s\n", c.Rank, c.Repo, metricSummary(m))
	}
}

// coarse is what makes a new line in lines mode: the state, the phase
// and the tenth of the phase done.
func coarse(c hubclient.Candidate) string {
	if c.Job == nil {
		return ""
	}
	pr := c.Job.Progress
	tenth := int64(0)
	if pr.Total > 0 {
		tenth = pr.Done * 10 / pr.Total
	}
	return fmt.Sprintf("%s|%s|%d", c.Job.State, pr.Phase, tenth)
}

// candidateLine describes a candidate's job, with a bar on a terminal.
func candidateLine(c hubclient.Candidate, bar bool) string {
	name := c.Name
	if name == "" {
		name = c.Repo
	}
	if c.Job == nil {
		return fmt.Sprintf("%-32s pending", name)
	}
	j := c.Job
	pr := j.Progress
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-9s", name, j.State)
	if j.Terminal() {
		if j.State == "succeeded" {
			b.WriteString(" " + metricSummary(j.Metrics))
		} else if j.Error != "" {
			b.WriteString(" " + firstLine(j.Error))
		}
		return b.String()
	}
	if bar {
		frac := 0.0
		if pr.Total > 0 {
			frac = min(1, float64(pr.Done)/float64(pr.Total))
		}
		n := int(frac * barWidth)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), frac*100)
	}
	fmt.Fprintf(&b, " %s", pr.Phase)
	if pr.Total > 0 {
		fmt.Fprintf(&b, " %d/%d", pr.Done, pr.Total)
	}
	if pr.ETASeconds > 0 {
		fmt.Fprintf(&b, " eta %.0fs", pr.ETASeconds)
	}
	return b.String()
}

// metricSummary lists the binary metrics in AutoTrain's order, then others.
func metricSummary(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"loss", "accuracy", "precision", "recall", "f1", "auc"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%.4f", k, v))
		}
	}
	if len(parts) == 0 {
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s=%.4f", k, v))
		}
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
