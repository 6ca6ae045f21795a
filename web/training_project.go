package web

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// projectData is the project page's data.
type projectData struct {
	ID        string
	Name      string // "ns/name"
	Dataset   string
	Metric    string
	Positive  string
	State     string
	Running   bool
	RankedOn  string // hub.RankedOnCV, hub.RankedOnValidation or ""
	Columns   []column
	Rows      []candidateRow
	Selected  *candidateRow // the candidate whose charts are shown
	Published *hub.Publication
	Error     string
}

// candidateRow is one leaderboard row.
type candidateRow struct {
	Name, Base, Head, Repo string
	JobID                  string // "" when no job was submitted
	State, Phase           string
	Done, Total            int64
	ETA                    string
	Rank                   int
	Error                  string
	Cells                  []metricCell
}

// column is a leaderboard metric column: Key is the job's metrics key.
type column struct {
	Key, Label string
}

// cvColumns are the cross-validated ranking metric and accuracy (the
// steadier figures, shown with their standard errors), which lead the
// leaderboard's metric columns.
func cvColumns(metric string) []column {
	var cols []column
	for _, m := range []string{metric, "accuracy"} {
		key := hub.CVMetricPrefix + m
		if slices.Contains(trainingMetrics, m) && !slices.ContainsFunc(cols, func(c column) bool { return c.Key == key }) {
			cols = append(cols, column{Key: key, Label: "CV " + m + " ± SE"})
		}
	}
	return cols
}

// cvCellsOf are a candidate's cells of the cvColumns: "estimate ± SE".
func cvCellsOf(cs hub.CandidateStatus, cols []column) []metricCell {
	cells := make([]metricCell, len(cols))
	for i, col := range cols {
		cells[i].Metric = col.Key
		if v, ok := cs.Metrics[col.Key]; ok && !math.IsNaN(v) {
			cells[i].Value = fmt.Sprintf("%.4f", v)
			if se, ok := cs.Metrics[col.Key+hub.CVStdErrSuffix]; ok {
				cells[i].Value += fmt.Sprintf(" ± %.4f", se)
			}
		}
	}
	return cells
}

// metricCell is one metric of a row.
type metricCell struct {
	Metric string
	Value  string // "" when missing
	Best   bool
}

// trainingProject serves GET /training/ID (?candidate=NAME selects the
// charts shown).
func (s *site) trainingProject(c *fiber.Ctx) error {
	u, err := s.requireUser(c, requestPath(c))
	if u == nil {
		return err
	}
	st, err := s.training.GetProject(c.UserContext(), u.caller, c.Params("id"))
	if err != nil {
		return err
	}
	return s.showProject(c, u, fiber.StatusOK, st, "")
}

// showProject renders a project's page.
func (s *site) showProject(c *fiber.Ctx, u *signedIn, status int, st *hub.ProjectStatus, msg string) error {
	d := projectOf(st, c.Query("candidate"))
	d.Error = msg
	v := view{Title: "Training " + d.Name, User: u.name(), CSRF: u.session.CSRF, Here: requestPath(c), Page: d}
	return s.render(c, status, "training_project", v)
}

// projectOf builds the page data of a project status.
func projectOf(st *hub.ProjectStatus, selected string) projectData {
	p := st.Project
	d := projectData{ID: p.ID, Name: p.Name.String(), Dataset: p.Dataset.String(), Metric: p.Metric,
		Positive: p.Positive, State: string(st.State), Running: st.State == hub.ProjectRunning,
		RankedOn: st.RankedOn, Columns: cvColumns(p.Metric), Published: p.Published}
	cvCols := slices.Clone(d.Columns)
	keys := make([]string, 0, len(cvCols)+len(trainingMetrics))
	for _, c := range cvCols {
		keys = append(keys, c.Key)
	}
	for _, m := range trainingMetrics {
		d.Columns, keys = append(d.Columns, column{Key: m, Label: m}), append(keys, m)
	}
	for _, cs := range st.Leaderboard {
		r := candidateRowOf(cs)
		r.Cells = append(cvCellsOf(cs, cvCols), r.Cells...)
		d.Rows = append(d.Rows, r)
	}
	markBest(d.Rows, keys)
	for i := range d.Rows {
		r := &d.Rows[i]
		if r.Name == selected || (selected == "" && d.Selected == nil && r.Rank == 1) {
			d.Selected = r
		}
	}
	return d
}

// candidateRowOf builds a leaderboard row.
func candidateRowOf(cs hub.CandidateStatus) candidateRow {
	r := candidateRow{Name: cs.Name, Base: cs.Base.String(), Head: cs.Head, Repo: cs.Repo.String(),
		JobID: cs.JobID, Rank: cs.Rank, State: "waiting"}
	if j := cs.Job; j != nil {
		r.JobID = j.ID
		r.State, r.Phase, r.Done, r.Total, r.Error = string(j.State), j.Progress.Phase, j.Progress.Done, j.Progress.Total, j.Error
		if j.Progress.ETA > 0 && !hubJobDone(j.State) {
			r.ETA = j.Progress.ETA.Round(time.Second).String()
		}
	}
	for _, m := range trainingMetrics {
		cell := metricCell{Metric: m}
		if v, ok := cs.Metrics[m]; ok && !math.IsNaN(v) {
			cell.Value = fmt.Sprintf("%.4f", v)
		}
		r.Cells = append(r.Cells, cell)
	}
	return r
}

// hubJobDone reports whether a job state is terminal.
func hubJobDone(s hub.JobState) bool {
	return s == hub.JobSucceeded || s == hub.JobFailed || s == hub.JobCancelled
}

// markBest flags the best value of each column, by metrics key (ties all
// flagged; a cross-validated cell is compared by its estimate, before the
// ±).
func markBest(rows []candidateRow, cols []string) {
	for ci, m := range cols {
		best, found := 0.0, false
		for _, r := range rows {
			var v float64
			if _, err := fmt.Sscan(r.Cells[ci].Value, &v); err != nil {
				continue
			}
			lower := lowerIsBetter[strings.TrimPrefix(m, hub.CVMetricPrefix)]
			if !found || (lower && v < best) || (!lower && v > best) {
				best, found = v, true
			}
		}
		for i := range rows {
			var v float64
			if _, err := fmt.Sscan(rows[i].Cells[ci].Value, &v); err == nil && found && v == best {
				rows[i].Cells[ci].Best = true
			}
		}
	}
}

// trainingPublish serves POST /training/ID/publish: fields candidate (""
// for the winner) and visibility ("private" or "public").
func (s *site) trainingPublish(c *fiber.Ctx) error {
	id := c.Params("id")
	u, err := s.requireForm(c, "/training/"+url.PathEscape(id))
	if u == nil {
		return err
	}
	in := hub.PublishInput{Candidate: c.FormValue("candidate"), Private: c.FormValue("visibility") != "public"}
	if _, err := s.training.PublishProject(c.UserContext(), u.caller, id, in); err != nil {
		status, msg := describe(err)
		if status >= 500 {
			return err
		}
		st, gerr := s.training.GetProject(c.UserContext(), u.caller, id)
		if gerr != nil {
			return err
		}
		return s.showProject(c, u, status, st, msg)
	}
	return c.Redirect("/training/"+url.PathEscape(id), fiber.StatusSeeOther)
}
