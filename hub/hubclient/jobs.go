package hubclient

import (
	"context"
	"net/http"
	"net/url"
)

// Progress is a job's progress on the wire.
type Progress struct {
	Phase      string  `json:"phase"`
	Done       int64   `json:"done"`
	Total      int64   `json:"total"`
	ETASeconds float64 `json:"etaSeconds"`
}

// JobEvent is the body of POST /api/jobs/{id}/events.
type JobEvent struct {
	State    string             `json:"state,omitempty"`
	Progress *Progress          `json:"progress,omitempty"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Error    string             `json:"error,omitempty"`
	LogLines []string           `json:"logLines,omitempty"`
}

// Job is a job as the API shows it.
type Job struct {
	ID           string             `json:"id"`
	Kind         string             `json:"kind"`
	Owner        string             `json:"owner"`
	Project      string             `json:"project,omitempty"`
	State        string             `json:"state"`
	Spec         map[string]string  `json:"spec"`
	Progress     Progress           `json:"progress"`
	Metrics      map[string]float64 `json:"metrics"`
	Error        string             `json:"error,omitempty"`
	LastLogLines []string           `json:"lastLogLines,omitempty"`
	Runner       string             `json:"runner"`
	Handle       string             `json:"handle,omitempty"`
	CreatedAt    string             `json:"createdAt"`
	StartedAt    *string            `json:"startedAt"`
	FinishedAt   *string            `json:"finishedAt"`
}

// Terminal reports whether the job's state is final.
func (j *Job) Terminal() bool { return TerminalState(j.State) }

// TerminalState reports whether a job state is succeeded, failed or
// cancelled.
func TerminalState(s string) bool { return s == "succeeded" || s == "failed" || s == "cancelled" }

// PostJobEvent reports ev for job id (with the job's own token) and
// returns the job as stored: a trainer learns from it that it was
// cancelled.
func (c *Client) PostJobEvent(ctx context.Context, id string, ev JobEvent) (*Job, error) {
	var j Job
	if err := c.doJSON(ctx, http.MethodPost, "/api/jobs/"+url.PathEscape(id)+"/events", ev, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Job returns job id.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	if err := c.doJSON(ctx, http.MethodGet, "/api/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// CancelJob cancels job id.
func (c *Client) CancelJob(ctx context.Context, id string) (*Job, error) {
	var j Job
	if err := c.doJSON(ctx, http.MethodPost, "/api/jobs/"+url.PathEscape(id)+"/cancel", nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}
