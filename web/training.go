package web

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Training pages (issue 6): GET /training/new shows the new-project form
// (choose a dataset repo, or upload class folders with training.js through
// the HF API), POST /training/new creates the project and leads to its page;
// GET /training/ID is the project's page (state, progress, leaderboard,
// confusion matrix and ROC curve of a candidate), which training.js polls
// GET /api/training/projects/ID to keep live; POST /training/ID/publish
// publishes a candidate. The pages work without JavaScript, except the
// folder upload.

// trainingMetrics are the metrics offered for ranking a binary project, and
// the leaderboard's columns.
var trainingMetrics = []string{"f1", "accuracy", "precision", "recall", "auc", "loss"}

// lowerIsBetter are metrics whose best value is the smallest.
var lowerIsBetter = map[string]bool{"loss": true}

// registerTraining adds the training pages when tr is set.
func (s *site) registerTraining(app *fiber.App, tr *hub.Training) {
	if tr == nil {
		return
	}
	s.training = tr
	app.Get("/training/new", s.wrap(s.trainingNew))
	app.Post("/training/new", s.wrap(s.trainingCreate))
	app.Get("/training/:id", s.wrap(s.trainingProject))
	app.Post("/training/:id/publish", s.wrap(s.trainingPublish))
}

// newProjectData is the new-project page's data.
type newProjectData struct {
	Namespaces []string // the user's and their organizations'
	Datasets   []string // dataset repos "ns/name" the user may train on
	Bases      []string // base model repos
	Heads      []string
	Metrics    []string
	Runners    []string
	Form       projectForm
	Error      string
	Problems   []string // validation problems of a refused dataset
}

// projectForm is the new-project form as submitted.
type projectForm struct {
	Namespace, Name, Dataset, Positive, Metric, TargetRecall, Runner string
	Candidates                                                       []string // "BASE|HEAD"
}

// Checked reports whether candidate BASE|HEAD is selected.
func (f projectForm) Checked(base, head string) bool {
	return slices.Contains(f.Candidates, base+"|"+head)
}

// trainingNew serves GET /training/new.
func (s *site) trainingNew(c *fiber.Ctx) error {
	u, err := s.requireUser(c, requestPath(c))
	if u == nil {
		return err
	}
	f := projectForm{Namespace: u.name(), Metric: "f1", Dataset: c.Query("dataset")}
	return s.showNewProject(c, u, fiber.StatusOK, newProjectData{Form: f})
}

// showNewProject fills the page's choices and renders it.
func (s *site) showNewProject(c *fiber.Ctx, u *signedIn, status int, d newProjectData) error {
	ctx := c.UserContext()
	if err := s.svc.LoadMemberships(ctx, u.caller); err != nil {
		return err
	}
	d.Namespaces = []string{u.name()}
	for _, m := range u.caller.Orgs {
		d.Namespaces = append(d.Namespaces, m.Org)
	}
	var err error
	if d.Datasets, err = s.repoNames(ctx, u.caller, hub.Dataset, d.Namespaces); err != nil {
		return err
	}
	if d.Bases, err = s.repoNames(ctx, u.caller, hub.Model, []string{"quarry"}); err != nil {
		return err
	}
	if !slices.Contains(d.Bases, defaultBase) {
		d.Bases = append([]string{defaultBase}, d.Bases...)
	}
	d.Heads, d.Metrics, d.Runners = hub.Heads, trainingMetrics, []string{"process", "podman"}
	if len(d.Form.Candidates) == 0 && c.Method() == fiber.MethodGet {
		for _, h := range hub.Heads {
			d.Form.Candidates = append(d.Form.Candidates, defaultBase+"|"+h)
		}
	}
	v := view{Title: "New training project", User: u.name(), CSRF: u.session.CSRF, Here: requestPath(c), Page: d}
	c.Set("Content-Security-Policy", uploadCSP(uploadOrigin(ctx, s.svc.Blobs)))
	return s.render(c, status, "training_new", v)
}

// uploadOrigin returns the origin that the upload script sends LFS parts
// to when the object store takes presigned multipart uploads (S3), learnt
// from a signed part URL (signing makes no request); "" otherwise.
func uploadOrigin(ctx context.Context, blobs hub.BlobStore) string {
	mp, ok := blobs.(hub.MultipartPresigner)
	if !ok {
		return ""
	}
	u, err := mp.PresignPart(ctx, "uploads/origin-probe/data", "origin-probe", 1, time.Minute)
	if err != nil {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// uploadCSP is the pages' Content-Security-Policy with origin (if any)
// added to connect-src, so that the upload script may PUT parts there.
func uploadCSP(origin string) string {
	if origin == "" {
		return contentSecurityPolicy
	}
	return strings.Replace(contentSecurityPolicy, "connect-src 'self'", "connect-src 'self' "+origin, 1)
}

// defaultBase is the base model of hub.TrainingConfig's default.
const defaultBase = "quarry/mobilenet-v2-140-224"

// repoNames lists the "ns/name" of the repos of type t in namespaces that
// the caller may read (at most 200 per namespace).
func (s *site) repoNames(ctx context.Context, caller *hub.Caller, t hub.RepoType, namespaces []string) ([]string, error) {
	var out []string
	for _, ns := range namespaces {
		page, _, err := s.svc.ListRepos(ctx, caller, hub.RepoFilter{Type: t, Author: ns, Sort: "id", Ascending: true, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			out = append(out, r.ID.String())
		}
	}
	return out, nil
}

// trainingCreate serves POST /training/new.
func (s *site) trainingCreate(c *fiber.Ctx) error {
	u, err := s.requireForm(c, "/training/new")
	if u == nil {
		return err
	}
	f := projectForm{Namespace: c.FormValue("namespace"), Name: strings.TrimSpace(c.FormValue("name")),
		Dataset: c.FormValue("dataset"), Positive: strings.TrimSpace(c.FormValue("positive")),
		Metric: c.FormValue("metric"), TargetRecall: strings.TrimSpace(c.FormValue("target_recall")),
		Runner: c.FormValue("runner")}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == "candidate" {
			f.Candidates = append(f.Candidates, string(v))
		}
	})
	in, err := projectInput(f)
	var st *hub.ProjectStatus
	if err == nil {
		st, err = s.training.CreateProject(c.UserContext(), u.caller, in)
	}
	if err != nil {
		status, msg := describe(err)
		if status >= 500 {
			return err
		}
		d := newProjectData{Form: f, Error: msg}
		var ide *hub.InvalidDatasetError
		if errors.As(err, &ide) {
			for _, p := range ide.Check.Report.Problems {
				d.Problems = append(d.Problems, p.Message)
			}
		}
		return s.showNewProject(c, u, status, d)
	}
	return c.Redirect("/training/"+url.PathEscape(st.Project.ID), fiber.StatusSeeOther)
}

// projectInput turns the form into a hub.ProjectInput.
func projectInput(f projectForm) (hub.ProjectInput, error) {
	var in hub.ProjectInput
	name, err := hub.ParseRepoID(hub.Model, f.Namespace+"/"+f.Name)
	if err != nil {
		return in, hub.Errorf(hub.ErrInvalid, "Model name: %s", hub.ErrorMessage(err))
	}
	data, err := hub.ParseRepoID(hub.Dataset, f.Dataset)
	if err != nil {
		return in, hub.Errorf(hub.ErrInvalid, "Choose a dataset (%s)", hub.ErrorMessage(err))
	}
	in = hub.ProjectInput{Name: name, Dataset: data, Positive: f.Positive, Metric: f.Metric, Runner: f.Runner}
	if f.TargetRecall != "" {
		if in.TargetRecall, err = strconv.ParseFloat(f.TargetRecall, 64); err != nil {
			return in, hub.Errorf(hub.ErrInvalid, "Target recall must be a number between 0 and 1")
		}
	}
	if len(f.Candidates) == 0 {
		return in, hub.Errorf(hub.ErrInvalid, "Choose at least one candidate")
	}
	for _, cand := range f.Candidates {
		b, h, _ := strings.Cut(cand, "|")
		base, err := hub.ParseRepoID(hub.Model, b)
		if err != nil {
			return in, hub.Errorf(hub.ErrInvalid, "Candidate base %q: %s", b, hub.ErrorMessage(err))
		}
		in.Candidates = append(in.Candidates, hub.CandidateInput{Base: base, Head: h})
	}
	return in, nil
}
