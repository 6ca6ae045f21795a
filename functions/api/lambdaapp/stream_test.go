package lambdaapp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"

	"quarry/functions/internal/lambdatest"
	"quarry/hub"
)

// drain reads a streaming response as the Lambda runtime posts it (its
// Read method: prelude, eight NUL bytes, body) into a buffered-style
// response.
func drain(t *testing.T, resp *events.LambdaFunctionURLStreamingResponse) events.APIGatewayV2HTTPResponse {
	t.Helper()
	defer resp.Close()
	p, body, err := lambdatest.ReadPrelude(resp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("streamed body: %v", err)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: p.StatusCode, Headers: p.Headers, Cookies: p.Cookies, Body: string(b)}
}

// testStreamer streams app as the function does.
func testStreamer(app *fiber.App) *streamer {
	return &streamer{app: app, max: MaxStreamBytes, margin: streamMargin}
}

// TestStreamFirstEventBeforeHandlerEnds: an SSE route writes an event and
// then blocks until the test has read that event from the streaming
// response; a buffered answer could not deliver it.
func TestStreamFirstEventBeforeHandlerEnds(t *testing.T) {
	app := fiber.New()
	release, finished := make(chan struct{}), make(chan struct{})
	app.Get("/events", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/event-stream")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer close(finished)
			fmt.Fprint(w, "data: first\n\n")
			if w.Flush() != nil {
				return
			}
			<-release
			fmt.Fprint(w, "data: second\n\n")
		})
		return nil
	})
	got := make(chan string, 1)
	var resp *events.LambdaFunctionURLStreamingResponse
	var body *bufio.Reader
	go func() {
		var err error
		if resp, err = testStreamer(app).serve(context.Background(), v2Event("GET", "/events", "", functionURLDomain, nil)); err != nil {
			got <- "serve: " + err.Error()
			return
		}
		var p lambdatest.Prelude
		if p, body, err = lambdatest.ReadPrelude(resp); err != nil {
			got <- err.Error()
			return
		}
		if p.StatusCode != http.StatusOK || p.Headers["Content-Type"] != "text/event-stream" {
			got <- fmt.Sprintf("prelude %+v", p)
			return
		}
		ev, err := body.ReadString('\n')
		if err == nil {
			var blank string
			blank, err = body.ReadString('\n')
			ev += blank
		}
		got <- ev
	}()
	select {
	case ev := <-got:
		if ev != "data: first\n\n" {
			t.Fatalf("first event %q", ev)
		}
	case <-time.After(30 * time.Second): // liveness guard, not a measurement
		close(release)
		t.Fatal("the first event was not readable while the route was still running")
	}
	select {
	case <-finished:
		t.Fatal("the route had finished before the test read its first event")
	default:
	}
	close(release)
	rest, err := io.ReadAll(body)
	if err != nil || string(rest) != "data: second\n\n" {
		t.Fatalf("rest of the stream %q, %v", rest, err)
	}
	<-finished
	if err := resp.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestStreamRoundTrip: a Function URL event's method, encoded path, query,
// headers, cookies and binary body reach the route, and the route's
// status, headers, cookies and binary body reach the streaming response.
func TestStreamRoundTrip(t *testing.T) {
	binary := make([]byte, 3*256)
	for i := range binary {
		binary[i] = byte(i)
	}
	app := fiber.New()
	app.Post("/echo/:name", func(c *fiber.Ctx) error {
		c.Status(http.StatusCreated)
		c.Set("X-Path", c.OriginalURL())
		c.Set("X-Cookie", c.Cookies("sid"))
		c.Set("X-Caller", c.Get("X-Caller"))
		c.Response().Header.Add("X-Multi", "1")
		c.Response().Header.Add("X-Multi", "2")
		c.Cookie(&fiber.Cookie{Name: "a", Value: "1", Path: "/"})
		c.Cookie(&fiber.Cookie{Name: "b", Value: "2", Path: "/x", HTTPOnly: true})
		c.Set(fiber.HeaderContentType, "application/octet-stream")
		return c.Send(c.Body())
	})
	app.Get("/big", func(c *fiber.Ctx) error { return c.Send(bytes.Repeat([]byte{0xff}, 7<<20)) })
	tests := []struct {
		name    string
		ev      events.APIGatewayV2HTTPRequest
		status  int
		headers map[string]string // expected subset
		cookies []string
		body    []byte
	}{
		{name: "binary echo", ev: func() events.APIGatewayV2HTTPRequest {
			ev := v2Event("POST", "/echo/a%2Fb?q=1", string(binary), functionURLDomain, map[string]string{"x-caller": "test"})
			ev.Cookies = []string{"sid=s3cr3t"}
			return ev
		}(), status: http.StatusCreated,
			headers: map[string]string{"Content-Type": "application/octet-stream", "X-Path": "/echo/a%2Fb?q=1",
				"X-Cookie": "s3cr3t", "X-Caller": "test", "X-Multi": "1, 2", "Content-Length": fmt.Sprint(len(binary))},
			cookies: []string{"a=1; path=/; SameSite=Lax", "b=2; path=/x; HttpOnly; SameSite=Lax"}, body: binary},
		{name: "no route", ev: v2Event("GET", "/nowhere", "", functionURLDomain, nil), status: http.StatusNotFound,
			body: []byte("Cannot GET /nowhere")},
		{name: "above the buffered limit", ev: v2Event("GET", "/big", "", functionURLDomain, nil), status: http.StatusOK,
			body: bytes.Repeat([]byte{0xff}, 7<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := testStreamer(app).serve(context.Background(), tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ContentType() != lambdatest.StreamingContentType {
				t.Fatalf("content type %q", resp.ContentType())
			}
			got := drain(t, resp)
			if got.StatusCode != tc.status || got.Body != string(tc.body) {
				t.Fatalf("status %d, %d body bytes; want %d, %d bytes", got.StatusCode, len(got.Body), tc.status, len(tc.body))
			}
			for k, v := range tc.headers {
				if got.Headers[k] != v {
					t.Errorf("header %s = %q, want %q (all: %v)", k, got.Headers[k], v, got.Headers)
				}
			}
			if _, ok := got.Headers["Transfer-Encoding"]; ok {
				t.Errorf("hop-by-hop Transfer-Encoding left in %v", got.Headers)
			}
			if d := cmp.Diff(tc.cookies, got.Cookies); d != "" {
				t.Errorf("cookies (-want +got):\n%s", d)
			}
		})
	}
}

// TestStreamEnds: an endless stream ends cleanly (io.EOF) before the
// invocation's deadline and its writer sees the end; a stream larger
// than the limit fails, one of exactly the limit does not.
func TestStreamEnds(t *testing.T) {
	app := fiber.New()
	stopped := make(chan struct{})
	app.Get("/forever", func(c *fiber.Ctx) error {
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer close(stopped)
			for {
				if _, err := w.WriteString(": heartbeat\n\n"); err != nil || w.Flush() != nil {
					return
				}
			}
		})
		return nil
	})
	app.Get("/bytes/:n", func(c *fiber.Ctx) error {
		n, _ := c.ParamsInt("n")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { w.Write(make([]byte, n)) })
		return nil
	})
	// A deadline closer than the margin: the stream is ended at once.
	s := &streamer{app: app, max: MaxStreamBytes, margin: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := s.serve(ctx, v2Event("GET", "/forever", "", functionURLDomain, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp); err != nil {
		t.Fatalf("an expired stream ended with %v, want a clean end", err)
	}
	<-stopped
	resp.Close()

	s = &streamer{app: app, max: 1000, margin: streamMargin}
	for n, want := range map[int]error{1000: nil, 1001: errStreamTooLarge, 5000: errStreamTooLarge} {
		resp, err := s.serve(context.Background(), v2Event("GET", fmt.Sprintf("/bytes/%d", n), "", functionURLDomain, nil))
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := lambdatest.ReadPrelude(resp)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(body)
		if !errors.Is(err, want) || len(b) > 1000 {
			t.Errorf("a body of %d bytes with a limit of 1000: %d bytes read, %v; want %v", n, len(b), err, want)
		}
		resp.Close()
	}
}

// TestFunctionURLStreamsTheApp runs the whole app behind a streaming
// Function URL: JSON, binary and 9 MiB file answers stream whole, LFS
// resolves still redirect to S3 with their headers, the sign-in cookies
// round-trip, and an API Gateway event to the same function is still
// answered buffered and kept under 6 MB.
func TestFunctionURLStreamsTheApp(t *testing.T) {
	f := openFixture(t, map[string]string{"QUARRY_RESPONSE_STREAM": "true"})
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	oid := f.commit(t, header("binary"), fileOp("bin.dat", binary))
	// A 9 MiB regular file (below the hub's 10 MiB cap) would not fit a request: committed directly.
	big := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16)
	info, err := f.app.svc.Commit(context.Background(), &hub.Caller{User: &hub.User{Name: "alice"}},
		hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "m"},
		hub.CommitInput{Summary: "big", Ops: []hub.Op{{Kind: hub.OpFile, Path: "big.txt", Content: big}}})
	if err != nil {
		t.Fatal(err)
	}
	oid = info.ID
	if r := f.v2(t, "GET", "/api/models/alice/m", ""); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, oid) {
		t.Fatalf("model info: %d %s", r.StatusCode, r.Body)
	}
	if r := f.v2(t, "GET", "/alice/m/resolve/main/bin.dat", ""); r.StatusCode != http.StatusOK || r.Body != string(binary) ||
		r.Headers["X-Repo-Commit"] != oid {
		t.Fatalf("binary resolve: %d, %d bytes, headers %v", r.StatusCode, len(r.Body), r.Headers)
	}
	if r := f.v2(t, "GET", "/alice/m/resolve/main/big.txt", ""); r.StatusCode != http.StatusOK || r.Body != string(big) {
		t.Fatalf("9 MiB resolve through the stream: %d, %d bytes, Location %q", r.StatusCode, len(r.Body), r.Headers["Location"])
	}
	// Through an HTTP API (buffered) the same file is parked and redirected to.
	r := f.send(t, v2Event("GET", "/alice/m/resolve/main/big.txt", "", httpAPIDomain, nil))
	if r.StatusCode != http.StatusFound || !strings.Contains(r.Headers["Location"], "/"+CacheKeyPrefix) {
		t.Fatalf("9 MiB resolve through an HTTP API: %d, Location %q; want 302 to the parked copy", r.StatusCode, r.Headers["Location"])
	}
	signIn(t, f)
}

// signIn signs alice in through the web form over the streaming Function
// URL: the form's CSRF cookie, then the session cookie, then a page that
// needs the session.
func signIn(t *testing.T, f *fixture) {
	t.Helper()
	form := f.send(t, v2Event("GET", "/login", "", functionURLDomain, nil))
	csrf := cookieValue(form.Cookies, "quarry_login_csrf")
	if form.StatusCode != http.StatusOK || csrf == "" || !strings.Contains(form.Body, csrf) {
		t.Fatalf("GET /login: %d, cookies %v", form.StatusCode, form.Cookies)
	}
	ev := v2Event("POST", "/login", "name=alice&password=correct+horse&csrf="+csrf, functionURLDomain,
		map[string]string{"content-type": "application/x-www-form-urlencoded"})
	ev.Cookies = []string{"quarry_login_csrf=" + csrf}
	in := f.send(t, ev)
	session := cookieValue(in.Cookies, "quarry_session")
	if in.StatusCode != http.StatusSeeOther || session == "" || len(in.Cookies) != 2 {
		t.Fatalf("POST /login: %d, Location %q, cookies %v; want 303 with the session cookie and the cleared CSRF cookie",
			in.StatusCode, in.Headers["Location"], in.Cookies)
	}
	ev = v2Event("GET", in.Headers["Location"], "", functionURLDomain, nil)
	ev.Cookies = []string{"quarry_session=" + session}
	if page := f.send(t, ev); page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "alice") {
		t.Fatalf("GET %s signed in: %d", in.Headers["Location"], page.StatusCode)
	}
}

// cookieValue returns the value of cookie name among Set-Cookie values.
func cookieValue(setCookies []string, name string) string {
	for _, c := range setCookies {
		if v, ok := strings.CutPrefix(c, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// fileOp is an NDJSON commit line adding a regular file.
func fileOp(path string, content []byte) map[string]any {
	return map[string]any{"key": "file", "value": map[string]any{"path": path,
		"content": base64.StdEncoding.EncodeToString(content), "encoding": "base64"}}
}

// TestConfigStream reads QUARRY_RESPONSE_STREAM.
func TestConfigStream(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "false": false} {
		c, err := ConfigFromEnv(func(k string) string { return map[string]string{"QUARRY_RESPONSE_STREAM": v}[k] })
		if err != nil || c.Stream != want {
			t.Errorf("QUARRY_RESPONSE_STREAM=%q: Stream %v, %v; want %v", v, c.Stream, err, want)
		}
	}
	if _, err := ConfigFromEnv(func(k string) string { return map[string]string{"QUARRY_RESPONSE_STREAM": "yes please"}[k] }); err == nil {
		t.Error("QUARRY_RESPONSE_STREAM=\"yes please\" accepted")
	}
}
