// Package lambdaapp runs Quarry's HTTP app (the hub API, the web pages,
// the training API and, in builds with cgo, the demo) inside AWS Lambda:
// it assembles the same Fiber app as `quarry serve` on the AWS backend and
// feeds it API Gateway REST (payload v1) and HTTP API or Function URL
// (payload v2) proxy events through github.com/awslabs/aws-lambda-go-api-proxy.
//
// Behind a Function URL with InvokeMode RESPONSE_STREAM (Config.Stream)
// answers stream: SSE events (job logs, the demo's Gradio queue) reach the
// client as they are written, and the 6 MB limit does not apply.
//
// Buffered answers (API Gateway, or a BUFFERED Function URL) are refused
// by Lambda over 6 MB, so large bytes never pass through it: LFS content is answered with 302 redirects to
// presigned S3 URLs (by the hub itself), LFS uploads go to presigned part
// URLs, and any other GET answer larger than Config.MaxResponseBytes (a
// regular file of up to 10 MiB) is parked in the bucket under
// lambda-cache/ and redirected to, keeping the response's headers.
package lambdaapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	fiberadapter "github.com/awslabs/aws-lambda-go-api-proxy/fiber"
	"github.com/gofiber/fiber/v2"

	"quarry/functions/internal/awsstores"
	"quarry/functions/internal/runners"
	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/web"
)

// App is the assembled app and its Lambda adapter.
type App struct {
	svc     *hub.Service
	http    *hubhttp.Server
	adapter *fiberadapter.FiberLambda
	cap     *responseCap
	stream  *streamer // nil unless Config.Stream
	jobs    *hub.Jobs // nil without a runner
	log     *slog.Logger
}

// New opens the stores and assembles the app. It makes at most one
// request (the signing secret, from the table).
func New(ctx context.Context, cfg Config) (*App, error) {
	st, err := awsstores.Open(ctx, cfg.Getenv, true)
	if err != nil {
		return nil, err
	}
	blobs, meta := st.Blobs, st.Meta
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	svc := hub.NewService(blobs, meta, st.Secret)
	svc.LFSThreshold = cfg.LFSThreshold
	a := &App{svc: svc, log: log,
		http: hubhttp.NewServer(svc, hubhttp.Config{PublicURL: cfg.PublicURL, Logger: log})}
	if err := registerDemo(a.http.App(), svc, cfg, log); err != nil {
		return nil, err
	}
	if err := a.registerTraining(ctx, meta, cfg); err != nil {
		return nil, err
	}
	web.Register(a.http.App(), svc, web.Config{PublicURL: cfg.PublicURL, Logger: log})
	a.adapter = fiberadapter.New(a.http.App())
	a.cap = &responseCap{max: cfg.MaxResponseBytes, blobs: blobs, log: log}
	if cfg.Stream {
		a.stream = &streamer{app: a.http.App(), max: MaxStreamBytes, margin: streamMargin}
	}
	return a, nil
}

// registerTraining adds the jobs and training API when a runner (Batch or
// ECS) is configured.
func (a *App) registerTraining(ctx context.Context, meta hub.MetaStore, cfg Config) error {
	rs, err := runners.FromEnv(ctx, cfg.Getenv)
	if err != nil {
		return err
	}
	runner := rs.Default()
	if runner == nil {
		return nil
	}
	name := runner.Name()
	a.jobs = hub.NewJobs(a.svc, meta, runner, hub.JobsConfig{Endpoint: cfg.PublicURL, Logger: a.log, LaunchInline: true})
	tr := hub.NewTraining(a.svc, a.jobs, meta, hub.TrainingConfig{DefaultRunner: name, Logger: a.log,
		CheckRunner: func(n string) error {
			if cfg.PublicURL == "" { // jobs would not know where to report
				return hub.Errorf(hub.ErrUnsupported, "training is not set up on this deployment: set the PublicUrl "+
					"parameter to the hub's public URL (which training jobs call back) and deploy again")
			}
			if n != name {
				return hub.Errorf(hub.ErrInvalid, "the %s runner is not available on this server: it runs jobs on %s", n, name)
			}
			return nil
		}})
	a.http.RegisterJobs(a.jobs)
	a.http.RegisterTraining(tr)
	return nil
}

// Fiber returns the app, for tests and local runs.
func (a *App) Fiber() *fiber.App { return a.http.App() }

// probe tells the payload formats apart.
type probe struct {
	Version    string `json:"version"`
	HTTPMethod string `json:"httpMethod"`
}

// ErrUnknownEvent reports an event that is no API Gateway or Function
// URL proxy event.
var ErrUnknownEvent = errors.New("lambdaapp: not an API Gateway or Function URL proxy event")

// Handle answers one proxy event: payload v2 (HTTP API, Function URL) with
// an events.APIGatewayV2HTTPResponse, or with an
// *events.LambdaFunctionURLStreamingResponse for a Function URL event when
// Config.Stream is set; payload v1 (REST API) with an
// events.APIGatewayProxyResponse.
func (a *App) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("lambdaapp: %w", err)
	}
	switch {
	case p.Version == "2.0":
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("lambdaapp: v2 event: %w", err)
		}
		if a.stream != nil && isFunctionURL(req) {
			resp, err := a.stream.serve(ctx, req)
			if err != nil {
				return nil, err
			}
			return resp, nil
		}
		return a.HandleV2(ctx, req)
	case p.HTTPMethod != "":
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("lambdaapp: v1 event: %w", err)
		}
		return a.HandleV1(ctx, req)
	}
	return nil, ErrUnknownEvent
}

// HandleV2 answers an HTTP API or Function URL event.
func (a *App) HandleV2(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := a.adapter.ProxyWithContextV2(ctx, req)
	if err != nil {
		return resp, err
	}
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	r := response{Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body, Base64: resp.IsBase64Encoded}
	r = a.cap.apply(ctx, req.RequestContext.HTTP.Method, r)
	resp.StatusCode, resp.Headers, resp.Body, resp.IsBase64Encoded = r.Status, r.Headers, r.Body, r.Base64
	return resp, nil
}

// HandleV1 answers a REST API event.
func (a *App) HandleV1(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	resp, err := a.adapter.ProxyWithContext(ctx, req)
	if err != nil {
		return resp, err
	}
	r := response{Status: resp.StatusCode, Headers: resp.Headers, Multi: resp.MultiValueHeaders,
		Body: resp.Body, Base64: resp.IsBase64Encoded}
	r = a.cap.apply(ctx, req.HTTPMethod, r)
	resp.StatusCode, resp.Headers, resp.MultiValueHeaders = r.Status, r.Headers, r.Multi
	resp.Body, resp.IsBase64Encoded = r.Body, r.Base64
	return resp, nil
}
