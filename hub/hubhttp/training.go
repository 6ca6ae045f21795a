package hubhttp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/train/dataset"
)

// RegisterTraining adds the training API over tr:
//
//	POST /api/training/projects               create a project (dataset validated first; 400 with the report)
//	GET  /api/training/projects               the caller's projects (?owner=NAMESPACE)
//	GET  /api/training/projects/{id}          one project with its leaderboard
//	POST /api/training/projects/{id}/cancel   cancel every job of the project
//	POST /api/training/projects/{id}/publish  copy a candidate (default the winner) to the project's repo
//	POST /api/training/validate               validate a dataset repo (no job)
func (s *Server) RegisterTraining(tr *hub.Training) {
	h := &trainingAPI{tr: tr}
	s.app.Post("/api/training/projects", h.create)
	s.app.Get("/api/training/projects", h.list)
	s.app.Get("/api/training/projects/:id", h.get)
	s.app.Post("/api/training/projects/:id/cancel", h.cancel)
	s.app.Post("/api/training/projects/:id/publish", h.publish)
	s.app.Post("/api/training/validate", h.validate)
}

type trainingAPI struct{ tr *hub.Training }

// projectIn is the body of POST /api/training/projects.
type projectIn struct {
	Name         string  `json:"name"`
	Dataset      string  `json:"dataset"`
	Revision     string  `json:"revision"`
	Positive     string  `json:"positive"`
	Metric       string  `json:"metric"`
	TargetRecall float64 `json:"targetRecall"`
	Seed         int64   `json:"seed"`
	Candidates   []struct {
		Base string `json:"base"`
		Head string `json:"head"`
	} `json:"candidates"`
	Runner string `json:"runner"`
}

// projectJSON is a project on the wire.
type projectJSON struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Owner           string           `json:"owner"`
	Dataset         string           `json:"dataset"`
	Revision        string           `json:"revision"`
	Positive        string           `json:"positive"`
	Labels          []string         `json:"labels"`
	Metric          string           `json:"metric"`
	TargetRecall    *float64         `json:"targetRecall"`
	Seed            int64            `json:"seed"`
	Runner          string           `json:"runner"`
	Synthetic       bool             `json:"synthetic"`
	State           hub.ProjectState `json:"state"`
	Candidates      []candidateJSON  `json:"candidates"`
	Winner          *string          `json:"winner"`
	WinnerCandidate *string          `json:"winnerCandidate"`
	RankedOn        *string          `json:"rankedOn"` // "cross-validation", "validation", or null when none is ranked
	Published       *publicationJSON `json:"published"`
	CreatedAt       string           `json:"createdAt"`
	CancelledAt     *string          `json:"cancelledAt"`
}

// candidateJSON is a leaderboard row.
type candidateJSON struct {
	Name    string             `json:"name"`
	Base    string             `json:"base"`
	Head    string             `json:"head"`
	Repo    string             `json:"repo"`
	Job     *jobJSON           `json:"job"`
	Metrics map[string]float64 `json:"metrics"`
	Rank    int                `json:"rank"`
}

type publicationJSON struct {
	Candidate string `json:"candidate"`
	Repo      string `json:"repo"`
	Commit    string `json:"commit"`
	At        string `json:"at"`
}

func toPublicationJSON(p *hub.Publication) *publicationJSON {
	if p == nil {
		return nil
	}
	return &publicationJSON{Candidate: p.Candidate, Repo: p.Repo.String(), Commit: p.Commit, At: fmtTime(p.At)}
}

func toProjectJSON(st *hub.ProjectStatus) projectJSON {
	p := st.Project
	out := projectJSON{ID: p.ID, Name: p.Name.String(), Owner: p.Owner, Dataset: p.Dataset.String(),
		Revision: p.Revision, Positive: p.Positive, Labels: p.Labels, Metric: p.Metric, Seed: p.Seed,
		Runner: p.Runner, Synthetic: p.Synthetic, State: st.State, Candidates: []candidateJSON{},
		Published: toPublicationJSON(p.Published), CreatedAt: fmtTime(p.CreatedAt), CancelledAt: optTime(p.CancelledAt)}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	if p.TargetRecall > 0 {
		out.TargetRecall = &p.TargetRecall
	}
	for _, c := range st.Leaderboard {
		row := candidateJSON{Name: c.Name, Base: c.Base.String(), Head: c.Head, Repo: c.Repo.String(),
			Metrics: c.Metrics, Rank: c.Rank}
		if c.Job != nil {
			j := toJobJSON(c.Job)
			row.Job = &j
		}
		if row.Metrics == nil {
			row.Metrics = map[string]float64{}
		}
		out.Candidates = append(out.Candidates, row)
	}
	if st.RankedOn != "" {
		on := st.RankedOn
		out.RankedOn = &on
	}
	if w := st.Winner; w != nil {
		repo, name := w.Repo.String(), w.Name
		out.Winner, out.WinnerCandidate = &repo, &name
	}
	return out
}

// repoArg parses "ns/name" (or "datasets/ns/name" for datasets).
func repoArg(t hub.RepoType, field, s string) (hub.RepoID, error) {
	if s == "" {
		return hub.RepoID{}, hub.Errorf(hub.ErrInvalid, "%s is required", field)
	}
	s = strings.TrimPrefix(s, t.URLPrefix())
	id, err := hub.ParseRepoID(t, s)
	if err != nil {
		return hub.RepoID{}, hub.Errorf(hub.ErrInvalid, "%s: %s", field, hub.ErrorMessage(err))
	}
	return id, nil
}

func (h *trainingAPI) create(c *fiber.Ctx) error {
	var in projectIn
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	name, err := repoArg(hub.Model, "name", in.Name)
	if err != nil {
		return err
	}
	data, err := repoArg(hub.Dataset, "dataset", in.Dataset)
	if err != nil {
		return err
	}
	pin := hub.ProjectInput{Name: name, Dataset: data, Revision: in.Revision, Positive: in.Positive,
		Metric: in.Metric, TargetRecall: in.TargetRecall, Seed: in.Seed, Runner: in.Runner}
	for i, ci := range in.Candidates {
		var base hub.RepoID
		if ci.Base != "" {
			if base, err = repoArg(hub.Model, fmt.Sprintf("candidates[%d].base", i), ci.Base); err != nil {
				return err
			}
		}
		pin.Candidates = append(pin.Candidates, hub.CandidateInput{Base: base, Head: ci.Head})
	}
	st, err := h.tr.CreateProject(c.UserContext(), caller(c), pin)
	if err != nil {
		return datasetRefusal(c, err)
	}
	return c.JSON(toProjectJSON(st))
}

// reportJSON is a dataset report with its lists never null.
func reportJSON(r dataset.Report) dataset.Report {
	if r.Classes == nil {
		r.Classes = []dataset.ClassCount{}
	}
	if r.Problems == nil {
		r.Problems = []dataset.Issue{}
	}
	if r.Warnings == nil {
		r.Warnings = []dataset.Issue{}
	}
	return r
}

// datasetRefusal answers an invalid dataset with 400 {error, report};
// other errors go to the error handler.
func datasetRefusal(c *fiber.Ctx, err error) error {
	var ide *hub.InvalidDatasetError
	if !errors.As(err, &ide) {
		return err
	}
	msg := hub.ErrorMessage(err)
	c.Set("X-Error-Message", headerSafe(msg))
	return c.Status(http.StatusBadRequest).JSON(fiber.Map{"error": msg, "dataset": ide.Check.Dataset.String(),
		"revision": ide.Check.Revision, "report": reportJSON(ide.Check.Report)})
}

func (h *trainingAPI) list(c *fiber.Ctx) error {
	sts, err := h.tr.ListProjects(c.UserContext(), caller(c), c.Query("owner"))
	if err != nil {
		return err
	}
	out := make([]projectJSON, len(sts))
	for i, st := range sts {
		out[i] = toProjectJSON(st)
	}
	return c.JSON(out)
}

func (h *trainingAPI) get(c *fiber.Ctx) error {
	st, err := h.tr.GetProject(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toProjectJSON(st))
}

func (h *trainingAPI) cancel(c *fiber.Ctx) error {
	st, err := h.tr.CancelProject(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toProjectJSON(st))
}

func (h *trainingAPI) publish(c *fiber.Ctx) error {
	var in struct {
		Candidate string `json:"candidate"`
		Private   bool   `json:"private"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	pub, err := h.tr.PublishProject(c.UserContext(), caller(c), c.Params("id"),
		hub.PublishInput{Candidate: in.Candidate, Private: in.Private})
	if err != nil {
		return err
	}
	return c.JSON(toPublicationJSON(pub))
}

func (h *trainingAPI) validate(c *fiber.Ctx) error {
	var in struct {
		Dataset  string `json:"dataset"`
		Revision string `json:"revision"`
		Positive string `json:"positive"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id, err := repoArg(hub.Dataset, "dataset", in.Dataset)
	if err != nil {
		return err
	}
	check, err := h.tr.ValidateDataset(c.UserContext(), caller(c),
		hub.DatasetInput{Dataset: id, Revision: in.Revision, Positive: in.Positive})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dataset": check.Dataset.String(), "revision": check.Revision, "ok": check.Report.OK(),
		"synthetic": check.Synthetic, "zip": check.Zip, "report": reportJSON(check.Report)})
}
