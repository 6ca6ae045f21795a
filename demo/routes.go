package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/ml/classify"
)

// imagePipeline is the only pipeline tag the demo serves.
const imagePipeline = "image-classification"

// model is the resolved model of one request.
type model struct {
	caller any
	info   *ModelInfo
	root   string // public URL of the demo root, no trailing slash
	src    ModelSource
}

// key identifies the model at its commit for the Classifier's cache.
func (m *model) key() string { return m.info.ID + "@" + m.info.Revision }

// files loads the model's files at the resolved commit.
func (m *model) files() classify.ModelFiles {
	return func(ctx context.Context, name string) ([]byte, error) {
		return m.src.File(ctx, m.caller, m.info, name)
	}
}

// refFunc extracts the model reference and the demo root path of a request.
type refFunc func(c *fiber.Ctx, caller any) (ModelRef, string, error)

// Register mounts the demo at /:ns/:name/demo/ (name may carry @revision)
// and, when the Source implements SpaceSource, at /spaces/:ns/:name/.
// Register it before any catch-all route of the hub.
func (s *Server) Register(r fiber.Router) {
	s.mount(r.Group("/:ns/:name/demo"), modelRef, false)
	if ss, ok := s.cfg.Source.(SpaceSource); ok {
		s.mount(r.Group("/spaces/:ns/:name"), spaceRef(ss), true)
	}
}

// mount adds the demo's routes to g. With yield, the page route passes a
// request whose ref cannot be resolved (a space that names no model, or
// that the caller may not see) to the next route, such as a space page.
func (s *Server) mount(g fiber.Router, ref refFunc, yield bool) {
	h := func(fn func(*fiber.Ctx, *model) error) fiber.Handler { return s.with(ref, fn) }
	page := h(s.page)
	if yield {
		page = s.with(yielding(ref), s.page)
	}
	g.Get("/", page)
	g.Get("/assets/:file", s.asset)
	g.Get("/examples/*", h(s.example))
	g.Post("/scan", s.limit, h(s.scan))
	g.Post("/flag", s.limit, h(s.flag))
	g.Get("/config", h(s.config))
	g.Get("/info", h(s.info))
	api := g.Group("/gradio_api")
	api.Get("/info", h(s.info))
	api.Post("/upload", s.limit, h(s.upload))
	api.Get("/file=*", h(s.file))
	api.Post("/queue/join", s.limit, h(s.join))
	api.Get("/queue/data", h(s.queueData))
	api.Post("/run/predict", s.limit, h(s.runPredict))
	api.Post("/call/predict", s.limit, h(s.callPredict))
	api.Get("/call/predict/:event", h(s.callResult))
	api.Get("/heartbeat/:session", h(s.heartbeat))
	api.Post("/cancel", h(noop))
	api.Post("/reset", h(noop))
}

func noop(c *fiber.Ctx, _ *model) error { return c.JSON(true) }

// modelRef reads /:ns/:name[@rev]/demo.
func modelRef(c *fiber.Ctx, _ any) (ModelRef, string, error) {
	ns, name := param(c, "ns"), param(c, "name")
	ref := ModelRef{Namespace: ns, Name: name}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		ref.Name, ref.Revision = name[:i], name[i+1:]
	}
	return ref, "/" + url.PathEscape(ns) + "/" + url.PathEscape(name) + "/demo", nil
}

// spaceRef resolves /spaces/:ns/:name to the model the space names.
func spaceRef(ss SpaceSource) refFunc {
	return func(c *fiber.Ctx, caller any) (ModelRef, string, error) {
		ns, name := param(c, "ns"), param(c, "name")
		ref, err := ss.ResolveSpace(c.UserContext(), caller, ns, name)
		return ref, "/spaces/" + url.PathEscape(ns) + "/" + url.PathEscape(name), err
	}
}

// errYield makes with pass the request on to the next route.
var errYield = errors.New("demo: not a demo")

// yielding wraps ref so that its not-found errors yield the request.
func yielding(ref refFunc) refFunc {
	return func(c *fiber.Ctx, caller any) (ModelRef, string, error) {
		r, root, err := ref(c, caller)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
			err = errYield
		}
		return r, root, err
	}
}

// param returns an unescaped copy of a route parameter (Fiber's values are
// only valid during the handler).
func param(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return strings.Clone(v)
}

// with resolves the request's model and calls fn.
func (s *Server) with(ref refFunc, fn func(*fiber.Ctx, *model) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		caller, err := s.cfg.Caller(c)
		if err != nil {
			return s.writeError(c, err)
		}
		r, root, err := ref(c, caller)
		if err == errYield {
			return c.Next()
		}
		if err != nil {
			return s.writeError(c, err)
		}
		info, err := s.cfg.Source.Resolve(c.UserContext(), caller, r)
		if err != nil {
			return s.writeError(c, err)
		}
		if s.cfg.Unavailable != "" {
			return s.writeError(c, userErrorf(fiber.StatusServiceUnavailable, "%s", s.cfg.Unavailable))
		}
		if info.PipelineTag != imagePipeline {
			return s.writeError(c, userErrorf(fiber.StatusNotFound,
				"%s has no demo: its pipeline is %q, not %q.", info.ID, info.PipelineTag, imagePipeline))
		}
		base := s.cfg.PublicURL
		if base == "" {
			base = c.BaseURL()
		}
		return fn(c, &model{caller: caller, info: info, root: strings.TrimRight(base, "/") + root, src: s.cfg.Source})
	}
}

// limit applies the per-address rate limit to inference requests.
func (s *Server) limit(c *fiber.Ctx) error {
	ok, wait := s.limiter.allow(c.IP())
	if !ok {
		return s.writeError(c, &apiError{status: fiber.StatusTooManyRequests, retryAfter: wait,
			msg: "Too many requests from your address: please wait a moment and try again."})
	}
	return c.Next()
}

// predictRequest is the body of run/, queue/join and call/.
type predictRequest struct {
	Data        []json.RawMessage `json:"data"`
	FnIndex     *int              `json:"fn_index"`
	SessionHash string            `json:"session_hash"`
}

// parsePredict parses the body and resolves the image input, so that a bad
// request fails before it is queued.
func (s *Server) parsePredict(c *fiber.Ctx, m *model) (*predictRequest, *imageInput, error) {
	var req predictRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return nil, nil, userErrorf(fiber.StatusUnprocessableEntity, "The request body is not valid JSON: %v", err)
	}
	if req.FnIndex != nil && *req.FnIndex != 0 {
		return nil, nil, userErrorf(fiber.StatusUnprocessableEntity, "Unknown fn_index %d: this demo has one endpoint, /predict (fn_index 0).", *req.FnIndex)
	}
	img, err := s.imageInput(c.UserContext(), m, req.Data)
	if err != nil {
		return nil, nil, err
	}
	return &req, img, nil
}

// predictWork classifies img with m and returns the Label output.
func (s *Server) predictWork(m *model, img *imageInput) work {
	return func(ctx context.Context) ([]any, error) {
		preds, err := s.cfg.Classifier.Classify(ctx, m.key(), m.files(), [][]byte{img.data})
		if err != nil {
			return nil, err
		}
		return []any{preds[0]}, nil
	}
}

func (s *Server) runPredict(c *fiber.Ctx, m *model) error {
	_, img, err := s.parsePredict(c, m)
	if err != nil {
		return s.writeError(c, err)
	}
	start := s.cfg.Now()
	out, err := s.queue.runSync(c.UserContext(), s.predictWork(m, img))
	if err != nil {
		return s.writeError(c, err)
	}
	d := s.cfg.Now().Sub(start).Seconds()
	return c.JSON(fiber.Map{"data": out, "is_generating": false, "duration": d, "average_duration": d})
}

func (s *Server) join(c *fiber.Ctx, m *model) error {
	req, img, err := s.parsePredict(c, m)
	if err != nil {
		return s.writeError(c, err)
	}
	if req.SessionHash == "" {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "session_hash is required."))
	}
	ev, err := s.queue.submit(req.SessionHash, s.predictWork(m, img))
	if err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(fiber.Map{"event_id": ev.id})
}

func (s *Server) queueData(c *fiber.Ctx, _ *model) error {
	hash := strings.Clone(c.Query("session_hash"))
	if hash == "" {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "session_hash is required."))
	}
	return startSSE(c, func(w *bufio.Writer) { s.streamSession(w, hash) })
}

func (s *Server) callPredict(c *fiber.Ctx, m *model) error {
	_, img, err := s.parsePredict(c, m)
	if err != nil {
		return s.writeError(c, err)
	}
	ev, err := s.queue.submit("", s.predictWork(m, img))
	if err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(fiber.Map{"event_id": ev.id})
}

func (s *Server) callResult(c *fiber.Ctx, _ *model) error {
	ev, ok := s.queue.event(c.Params("event"))
	if !ok {
		return s.writeError(c, userErrorf(fiber.StatusNotFound, "Unknown or expired event id."))
	}
	return startSSE(c, func(w *bufio.Writer) { s.streamCall(w, ev) })
}

func (s *Server) heartbeat(c *fiber.Ctx, _ *model) error {
	return startSSE(c, s.streamHeartbeat)
}
