package hubhttp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// RegisterJobs adds the job API over jobs:
//
//	GET  /api/jobs                  the caller's jobs (?project=, ?state= repeatable, ?limit=)
//	GET  /api/jobs/{id}             one job
//	GET  /api/jobs/{id}/logs        its output as text; ?follow=1: SSE while it runs
//	POST /api/jobs/{id}/cancel      stop it (owner or site admin)
//	POST /api/jobs/{id}/events      progress, metrics, final state (the job's own token)
func (s *Server) RegisterJobs(jobs *hub.Jobs) {
	h := &jobsAPI{jobs: jobs}
	s.app.Get("/api/jobs", h.list)
	s.app.Get("/api/jobs/:id", h.get)
	s.app.Get("/api/jobs/:id/logs", h.logs)
	s.app.Post("/api/jobs/:id/cancel", h.cancel)
	s.app.Post("/api/jobs/:id/events", h.event)
}

type jobsAPI struct{ jobs *hub.Jobs }

// jobJSON is a job on the wire. The token hash is never shown.
type jobJSON struct {
	ID           string             `json:"id"`
	Kind         string             `json:"kind"`
	Owner        string             `json:"owner"`
	Project      string             `json:"project,omitempty"`
	State        hub.JobState       `json:"state"`
	Reads        []string           `json:"reads"`
	Writes       []string           `json:"writes"`
	Spec         map[string]string  `json:"spec"`
	Progress     progressJSON       `json:"progress"`
	Metrics      map[string]float64 `json:"metrics"`
	Error        string             `json:"error,omitempty"`
	LastLogLines []string           `json:"lastLogLines,omitempty"`
	Runner       string             `json:"runner"`
	Handle       string             `json:"handle,omitempty"`
	CreatedAt    string             `json:"createdAt"`
	StartedAt    *string            `json:"startedAt"`
	FinishedAt   *string            `json:"finishedAt"`
	Version      int64              `json:"version"`
}

// progressJSON is hub.JobProgress with the ETA in seconds.
type progressJSON struct {
	Phase      string  `json:"phase"`
	Done       int64   `json:"done"`
	Total      int64   `json:"total"`
	ETASeconds float64 `json:"etaSeconds"`
}

// eventJSON is the body of POST /api/jobs/{id}/events.
type eventJSON struct {
	State    hub.JobState       `json:"state"`
	Progress *progressJSON      `json:"progress"`
	Metrics  map[string]float64 `json:"metrics"`
	Error    string             `json:"error"`
	LogLines []string           `json:"logLines"`
}

func repoNames(ids []hub.RepoID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Type.URLPrefix() + id.String()
	}
	return out
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := fmtTime(t)
	return &s
}

func toJobJSON(j *hub.Job) jobJSON {
	out := jobJSON{ID: j.ID, Kind: j.Kind, Owner: j.Owner, Project: j.Project, State: j.State,
		Reads: repoNames(j.Reads), Writes: repoNames(j.Writes), Spec: j.Spec, Metrics: j.Metrics,
		Progress: progressJSON{Phase: j.Progress.Phase, Done: j.Progress.Done, Total: j.Progress.Total,
			ETASeconds: j.Progress.ETA.Seconds()},
		Error: j.Error, LastLogLines: j.LastLogLines, Runner: j.Runner, Handle: j.Handle,
		CreatedAt: fmtTime(j.CreatedAt), StartedAt: optTime(j.StartedAt), FinishedAt: optTime(j.FinishedAt),
		Version: j.Version}
	if out.Spec == nil {
		out.Spec = map[string]string{}
	}
	if out.Metrics == nil {
		out.Metrics = map[string]float64{}
	}
	return out
}

func (h *jobsAPI) list(c *fiber.Ctx) error {
	f := hub.JobFilter{Project: c.Query("project"), Owner: c.Query("owner")}
	for _, s := range c.Context().QueryArgs().PeekMulti("state") {
		f.States = append(f.States, hub.JobState(s))
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return hub.Errorf(hub.ErrInvalid, "invalid limit %q", l)
		}
		f.Limit = n
	}
	jobs, err := h.jobs.List(c.UserContext(), caller(c), f)
	if err != nil {
		return err
	}
	out := make([]jobJSON, len(jobs))
	for i, j := range jobs {
		out[i] = toJobJSON(j)
	}
	return c.JSON(out)
}

func (h *jobsAPI) get(c *fiber.Ctx) error {
	j, err := h.jobs.Get(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toJobJSON(j))
}

func (h *jobsAPI) cancel(c *fiber.Ctx) error {
	j, err := h.jobs.Cancel(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toJobJSON(j))
}

// maxEventBody bounds an event's body.
const maxEventBody = 256 << 10

// event applies a report; the answer is the job as stored, so a trainer
// learns from it that its job was cancelled.
func (h *jobsAPI) event(c *fiber.Ctx) error {
	b, err := readBody(c, maxEventBody)
	if err != nil {
		return err
	}
	var in eventJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return hub.Errorf(hub.ErrInvalid, "invalid job event: %v", err)
	}
	ev := hub.JobEvent{State: in.State, Metrics: in.Metrics, Error: in.Error, LogLines: in.LogLines}
	if p := in.Progress; p != nil {
		if p.ETASeconds < 0 || p.ETASeconds > 1e7 {
			return hub.Errorf(hub.ErrInvalid, "invalid etaSeconds %v", p.ETASeconds)
		}
		ev.Progress = &hub.JobProgress{Phase: p.Phase, Done: p.Done, Total: p.Total,
			ETA: time.Duration(p.ETASeconds * float64(time.Second))}
	}
	j, err := h.jobs.Report(c.UserContext(), caller(c), c.Params("id"), ev)
	if err != nil {
		return err
	}
	return c.JSON(toJobJSON(j))
}

// sseHeartbeat is how often an idle log stream sends a comment, which also
// finds out that the client went away.
const sseHeartbeat = 15 * time.Second

// logs answers the job's output as text, or with follow=1 as server-sent
// events: one "data:" event a line, then "event: end" with the job's state.
func (h *jobsAPI) logs(c *fiber.Ctx) error {
	cl, id := caller(c), c.Params("id")
	if _, err := h.jobs.Get(c.UserContext(), cl, id); err != nil {
		return err
	}
	if !c.QueryBool("follow") {
		r, err := h.jobs.Logs(c.UserContext(), cl, id, false)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendStream(r)
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { h.stream(w, cl, id) })
	return nil
}

// stream writes the log events until the task ends or the client leaves.
func (h *jobsAPI) stream(w *bufio.Writer, cl *hub.Caller, id string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		r, err := h.jobs.Logs(ctx, cl, id, true)
		if err != nil {
			errc <- err
			return
		}
		defer r.Close()
		errc <- readLines(ctx, r, lines)
	}()
	_, _ = w.WriteString(": stream of job " + id + "\n\n")
	if w.Flush() != nil {
		return
	}
	tick := time.NewTicker(sseHeartbeat)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				h.end(ctx, w, cl, id, <-errc)
				return
			}
			writeData(w, line)
			for more := true; more; { // batch what is already there
				select {
				case line, ok = <-lines:
					if more = ok; ok {
						writeData(w, line)
					}
				default:
					more = false
				}
			}
		case <-tick.C:
			_, _ = w.WriteString(": ping\n\n")
		}
		if w.Flush() != nil {
			return // client gone: cancel stops the reader
		}
	}
}

// readLines sends r's lines (without their newline) to out.
func readLines(ctx context.Context, r io.Reader, out chan<- string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			select {
			case out <- strings.TrimRight(line, "\r\n"):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func writeData(w *bufio.Writer, line string) {
	_, _ = w.WriteString("data: " + line + "\n\n")
}

// end writes the final event: the job's state, or the error that ended
// the stream.
func (h *jobsAPI) end(ctx context.Context, w *bufio.Writer, cl *hub.Caller, id string, err error) {
	body := map[string]any{}
	if err != nil {
		body["error"] = hub.ErrorMessage(err)
	}
	// The runner reports the task's end just after its output ends.
	for range 40 {
		j, gerr := h.jobs.Get(ctx, cl, id)
		if gerr != nil {
			break
		}
		body["state"] = j.State
		if j.State.Terminal() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := json.Marshal(body)
	_, _ = w.WriteString("event: end\ndata: " + string(b) + "\n\n")
	_ = w.Flush()
}
