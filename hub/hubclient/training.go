package hubclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// CandidateSpec is one candidate of a new project: a head on a base model.
type CandidateSpec struct {
	Base string `json:"base,omitempty"`
	Head string `json:"head,omitempty"`
}

// ProjectRequest is the body of POST /api/training/projects.
type ProjectRequest struct {
	Name         string          `json:"name"`
	Dataset      string          `json:"dataset"`
	Revision     string          `json:"revision,omitempty"`
	Positive     string          `json:"positive,omitempty"`
	Metric       string          `json:"metric,omitempty"`
	TargetRecall *float64        `json:"targetRecall,omitempty"`
	Candidates   []CandidateSpec `json:"candidates,omitempty"`
	Runner       string          `json:"runner,omitempty"`
}

// Candidate is a project's candidate with its job and results.
type Candidate struct {
	Name    string             `json:"name"`
	Base    string             `json:"base"`
	Head    string             `json:"head"`
	Repo    string             `json:"repo"`
	Job     *Job               `json:"job"`
	Metrics map[string]float64 `json:"metrics"`
	Rank    int                `json:"rank"`
}

// Project is a training project.
type Project struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Dataset    string      `json:"dataset"`
	Revision   string      `json:"revision"`
	Positive   string      `json:"positive"`
	Metric     string      `json:"metric"`
	State      string      `json:"state"`
	Error      string      `json:"error,omitempty"`
	Synthetic  bool        `json:"synthetic"`
	Candidates []Candidate `json:"candidates"`
	// Winner is the winning candidate's repo, WinnerCandidate its name
	// ("" while there is none).
	Winner          string     `json:"winner"`
	WinnerCandidate string     `json:"winnerCandidate"`
	Published       *Published `json:"published"`
}

// Issue is a problem or warning of a dataset report.
type Issue struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Paths   []string `json:"paths,omitempty"`
}

// DatasetReport is the validation report of a dataset.
type DatasetReport struct {
	Problems []Issue          `json:"problems"`
	Warnings []Issue          `json:"warnings"`
	Classes  []map[string]any `json:"classes"`
	Positive string           `json:"positive,omitempty"`
}

// CreateProject creates a training project; a refused dataset gives an
// *Error whose report ReportOf returns.
func (c *Client) CreateProject(ctx context.Context, in ProjectRequest) (*Project, error) {
	var p Project
	if err := c.doJSON(ctx, http.MethodPost, "/api/training/projects", in, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Project returns project id.
func (c *Client) Project(ctx context.Context, id string) (*Project, error) {
	var p Project
	if err := c.doJSON(ctx, http.MethodGet, "/api/training/projects/"+url.PathEscape(id), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CancelProject cancels project id's jobs.
func (c *Client) CancelProject(ctx context.Context, id string) (*Project, error) {
	var p Project
	if err := c.doJSON(ctx, http.MethodPost, "/api/training/projects/"+url.PathEscape(id)+"/cancel", nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Published is the answer of a publish call.
type Published struct {
	Candidate string `json:"candidate,omitempty"`
	Repo      string `json:"repo"`
	Commit    string `json:"commit"`
}

// PublishProject copies a candidate ("" for the winner) to the project's
// model repo, private or public.
func (c *Client) PublishProject(ctx context.Context, id, candidate string, private bool) (*Published, error) {
	in := map[string]any{"private": private}
	if candidate != "" {
		in["candidate"] = candidate
	}
	var p Published
	if err := c.doJSON(ctx, http.MethodPost, "/api/training/projects/"+url.PathEscape(id)+"/publish", in, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ValidateDataset validates a dataset repo without starting any job. A
// refused dataset is an error too; its report is returned as well.
func (c *Client) ValidateDataset(ctx context.Context, dataset, revision, positive string) (*DatasetReport, error) {
	in := map[string]string{"dataset": dataset, "revision": revision, "positive": positive}
	var out struct {
		Report DatasetReport `json:"report"`
	}
	err := c.doJSON(ctx, http.MethodPost, "/api/training/validate", in, &out)
	if err != nil {
		if r, ok := ReportOf(err); ok {
			return r, err
		}
		return nil, err
	}
	return &out.Report, nil
}

// ReportOf returns the dataset report carried by a refusal (400 with a
// "report" in its body).
func ReportOf(err error) (*DatasetReport, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return nil, false
	}
	var body struct {
		Report *DatasetReport `json:"report"`
	}
	if json.Unmarshal(e.Body, &body) != nil || body.Report == nil {
		return nil, false
	}
	return body.Report, true
}

// ListProjects returns the caller's projects, or those of namespace owner.
func (c *Client) ListProjects(ctx context.Context, owner string) ([]Project, error) {
	path := "/api/training/projects"
	if owner != "" {
		path += "?owner=" + url.QueryEscape(owner)
	}
	var ps []Project
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &ps); err != nil {
		return nil, err
	}
	return ps, nil
}
