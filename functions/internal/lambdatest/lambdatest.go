// Package lambdatest serves a minimal AWS Lambda Runtime API (the
// interface a provided.al2023 function or a container image polls,
// AWS_LAMBDA_RUNTIME_API) so that tests can run a real function binary or
// image and hand it events: GET /2018-06-01/runtime/invocation/next, POST
// .../invocation/{id}/response (buffered or streamed) and .../error, POST
// .../init/error. It also reads the streaming response format of Function
// URLs (a JSON prelude, eight NUL bytes, the body).
package lambdatest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// StreamingContentType is the content type a function posts a Function
// URL streaming response with.
const StreamingContentType = "application/vnd.awslambda.http-integration-response"

// Runtime is a Runtime API serving one invocation at a time.
type Runtime struct {
	// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
	Addr     string
	queue    chan *call
	mu       sync.Mutex
	calls    map[string]*call
	seq      int
	initErr  chan string
	deadline time.Duration
}

// call is one invocation in flight.
type call struct {
	id      string
	payload []byte
	answer  chan *Invocation
}

// Invocation is a function's answer to one event.
type Invocation struct {
	// ContentType is the Content-Type the function posted with.
	ContentType string
	// Error is set when the function reported an error (.../error): the
	// error document it posted.
	Error []byte
	// Body is the posted response as it arrives (chunks of a stream come
	// as the function writes them). Close it when done: the function's
	// POST is answered then.
	Body io.ReadCloser
}

// Start serves a Runtime API on a free loopback port until the test ends.
// Invocations get a deadline of deadline from their delivery.
func Start(t testing.TB, deadline time.Duration) *Runtime {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &Runtime{Addr: ln.Addr().String(), queue: make(chan *call, 16), calls: map[string]*call{},
		initErr: make(chan string, 1), deadline: deadline}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", rt.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", rt.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", rt.error)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", rt.initError)
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return rt
}

// Invoke queues event (marshalled to JSON unless it is []byte) and waits
// for the function's answer, or for ctx to end, or for an init error.
func (rt *Runtime) Invoke(ctx context.Context, event any) (*Invocation, error) {
	payload, ok := event.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(event); err != nil {
			return nil, err
		}
	}
	rt.mu.Lock()
	rt.seq++
	c := &call{id: "req-" + strconv.Itoa(rt.seq), payload: payload, answer: make(chan *Invocation, 1)}
	rt.calls[c.id] = c
	rt.mu.Unlock()
	select {
	case rt.queue <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case inv := <-c.answer:
		return inv, nil
	case msg := <-rt.initErr:
		return nil, fmt.Errorf("lambdatest: init error: %s", msg)
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: no answer to %s: %w", c.id, ctx.Err())
	}
}

// next delivers the next queued event.
func (rt *Runtime) next(w http.ResponseWriter, r *http.Request) {
	select {
	case c := <-rt.queue:
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", c.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(rt.deadline).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		w.Write(c.payload)
	case <-r.Context().Done():
	}
}

// take removes and returns the call of the request's id.
func (rt *Runtime) take(w http.ResponseWriter, r *http.Request) *call {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c := rt.calls[r.PathValue("id")]
	if c == nil {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return nil
	}
	delete(rt.calls, c.id)
	return c
}

// response hands the posted body to Invoke as it arrives and answers 202
// once the test has closed it.
func (rt *Runtime) response(w http.ResponseWriter, r *http.Request) {
	c := rt.take(w, r)
	if c == nil {
		return
	}
	done := make(chan struct{})
	c.answer <- &Invocation{ContentType: r.Header.Get("Content-Type"), Body: &notifyCloser{r: r.Body, done: done}}
	select {
	case <-done:
	case <-r.Context().Done():
		return
	}
	io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusAccepted)
}

// error reports the function's error document.
func (rt *Runtime) error(w http.ResponseWriter, r *http.Request) {
	c := rt.take(w, r)
	if c == nil {
		return
	}
	b, _ := io.ReadAll(r.Body)
	c.answer <- &Invocation{ContentType: r.Header.Get("Content-Type"), Error: b, Body: io.NopCloser(bytes.NewReader(nil))}
	w.WriteHeader(http.StatusAccepted)
}

// initError makes pending and later Invoke calls fail.
func (rt *Runtime) initError(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	select {
	case rt.initErr <- string(b):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

// notifyCloser closes done when closed.
type notifyCloser struct {
	r    io.Reader
	done chan struct{}
	once sync.Once
}

func (n *notifyCloser) Read(p []byte) (int, error) { return n.r.Read(p) }

func (n *notifyCloser) Close() error {
	n.once.Do(func() { close(n.done) })
	return nil
}

// Prelude is the head of a Function URL streaming response.
type Prelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

// preludeEnd separates the prelude from the body.
var preludeEnd = []byte{0, 0, 0, 0, 0, 0, 0, 0}

// maxPrelude bounds the prelude read.
const maxPrelude = 1 << 20

// ReadPrelude reads the prelude of a Function URL streaming response from
// r; the returned reader yields the body, as far as it has arrived.
func ReadPrelude(r io.Reader) (Prelude, *bufio.Reader, error) {
	br := bufio.NewReader(r)
	var head []byte
	for !bytes.HasSuffix(head, preludeEnd) {
		b, err := br.ReadByte()
		if err != nil {
			return Prelude{}, nil, fmt.Errorf("lambdatest: prelude (%d bytes read): %w", len(head), err)
		}
		if head = append(head, b); len(head) > maxPrelude {
			return Prelude{}, nil, errors.New("lambdatest: no prelude end in the first MiB")
		}
	}
	var p Prelude
	if err := json.Unmarshal(head[:len(head)-len(preludeEnd)], &p); err != nil {
		return Prelude{}, nil, fmt.Errorf("lambdatest: prelude %q: %w", head, err)
	}
	return p, br, nil
}
