package lambdaapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// MaxStreamBytes is the most a streamed response may carry: Lambda ends
// streamed responses at 200 MB (the hub never comes close: LFS content is
// redirected to S3, regular files are at most 10 MiB).
const MaxStreamBytes = 200_000_000

// streamMargin is how long before the invocation's deadline a stream that
// is still open (an SSE heartbeat, a job log) is ended, so that the client
// sees a clean end (and reconnects) instead of a timed-out invocation.
const streamMargin = time.Second

// errStreamTooLarge ends a stream that passed MaxStreamBytes.
var errStreamTooLarge = errors.New("lambdaapp: the streamed response passed Lambda's 200 MB limit")

// streamer answers Function URL events whose URL has InvokeMode
// RESPONSE_STREAM: the Fiber app's response leaves as it is written (SSE
// events as they are flushed), without the 6 MB limit of buffered answers.
type streamer struct {
	app    *fiber.App
	acc    core.RequestAccessorV2
	max    int64         // MaxStreamBytes unless a test sets less
	margin time.Duration // streamMargin unless a test sets another
}

// isFunctionURL reports whether a payload v2 event came through a Lambda
// Function URL (CloudFront keeps the origin's domain in the event) rather
// than through an API Gateway HTTP API, which cannot stream.
func isFunctionURL(req events.APIGatewayV2HTTPRequest) bool {
	return strings.Contains(req.RequestContext.DomainName, ".lambda-url.")
}

// serve runs the app on req and returns its response as a Function URL
// streaming response: status, headers and cookies first, then the body as
// the app writes it. The body ends streamMargin before ctx's deadline.
func (s *streamer) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
	hr, err := s.acc.EventToRequestWithContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("lambdaapp: v2 event: %w", err)
	}
	fctx, err := toFastHTTP(hr)
	if err != nil {
		return nil, err
	}
	s.app.Handler()(fctx)
	resp := &fctx.Response
	out := &events.LambdaFunctionURLStreamingResponse{StatusCode: resp.StatusCode(), Headers: map[string]string{}}
	resp.Header.VisitAll(func(k, v []byte) {
		key := string(k)
		switch {
		case strings.EqualFold(key, fiber.HeaderSetCookie):
			out.Cookies = append(out.Cookies, string(v))
		case isHopByHop(key):
		case out.Headers[key] != "":
			out.Headers[key] += ", " + string(v)
		default:
			out.Headers[key] = string(v)
		}
	})
	out.Body = newStreamBody(ctx, responseBody(resp, out.Headers, hr.Method == http.MethodHead), s.max, s.margin)
	return out, nil
}

// responseBody returns the body to stream: the app's stream, or its
// buffered body, whose length it then puts in headers as a server would.
// A HEAD answer has none (but keeps the Content-Length).
func responseBody(resp *fasthttp.Response, headers map[string]string, head bool) io.ReadCloser {
	if resp.IsBodyStream() {
		if head {
			resp.CloseBodyStream()
			return io.NopCloser(bytes.NewReader(nil))
		}
		return readCloser(resp.BodyStream())
	}
	b := resp.Body()
	status := resp.StatusCode()
	if _, ok := headers[fiber.HeaderContentLength]; !ok && status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified {
		headers[fiber.HeaderContentLength] = strconv.Itoa(len(b))
	}
	if head {
		return io.NopCloser(bytes.NewReader(nil))
	}
	return io.NopCloser(bytes.NewReader(bytes.Clone(b)))
}

// toFastHTTP converts the request the proxy library built from the event
// into the fasthttp request context Fiber runs on (as the library's Fiber
// adapter does).
func toFastHTTP(r *http.Request) (*fasthttp.RequestCtx, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("lambdaapp: request body: %w", err)
	}
	req := &fasthttp.Request{}
	req.Header.SetContentLength(len(body))
	req.SetBodyRaw(body)
	req.Header.SetMethod(r.Method)
	req.SetRequestURI(r.RequestURI)
	req.SetHost(r.Host)
	for key, vals := range r.Header {
		for _, v := range vals {
			switch key {
			case fiber.HeaderHost, fiber.HeaderContentType, fiber.HeaderUserAgent, fiber.HeaderContentLength, fiber.HeaderConnection:
				req.Header.Set(key, v)
			default:
				req.Header.Add(key, v)
			}
		}
	}
	addr := r.RemoteAddr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "80")
	}
	remote, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lambdaapp: source IP %q: %w", r.RemoteAddr, err)
	}
	fctx := &fasthttp.RequestCtx{}
	fctx.Init(req, remote, nil)
	return fctx, nil
}

// isHopByHop reports the headers that describe the connection to the
// function, not the response: the Function URL frames the stream itself.
func isHopByHop(k string) bool {
	for _, h := range []string{"Transfer-Encoding", "Connection", "Keep-Alive", "Trailer"} {
		if strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// readCloser returns r with its Close, or a no-op Close.
func readCloser(r io.Reader) io.ReadCloser {
	if rc, ok := r.(io.ReadCloser); ok {
		return rc
	}
	return io.NopCloser(r)
}

// streamBody is a response body that ends at a byte limit or shortly
// before the invocation's deadline, whichever comes first. Closing it
// closes the app's stream, whose writer then sees its writes fail and
// stops (as when an HTTP client goes away).
type streamBody struct {
	r       io.ReadCloser
	left    int64
	expired atomic.Bool
	timer   *time.Timer // nil without a deadline
	once    sync.Once
	err     error // of the first Close
}

func newStreamBody(ctx context.Context, r io.ReadCloser, limit int64, margin time.Duration) *streamBody {
	b := &streamBody{r: r, left: limit}
	if dl, ok := ctx.Deadline(); ok {
		b.timer = time.AfterFunc(time.Until(dl)-margin, b.expire)
	}
	return b
}

// expire ends the stream: the pending Read fails and reports io.EOF.
func (b *streamBody) expire() {
	b.expired.Store(true)
	b.Close()
}

// Read reads from the app's stream.
func (b *streamBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte more tells a body of exactly the limit from a larger one
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), 0
		b.Close()
		return n, errStreamTooLarge
	}
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) && b.expired.Load() {
		return n, io.EOF
	}
	return n, err
}

// Close stops the deadline timer and closes the app's stream (the Lambda
// runtime closes the response after posting it).
func (b *streamBody) Close() error {
	b.once.Do(func() {
		if b.timer != nil {
			b.timer.Stop()
		}
		b.err = b.r.Close()
	})
	return b.err
}
