// Package hubclient is a small client of Quarry's Hugging Face Hub HTTP API
// and of its job and training APIs, over plain net/http: identity, repo
// creation, tree listing, streaming downloads through /resolve, uploads
// the way the Hub clients make them (preupload, LFS batch with basic or
// multipart transfer, NDJSON commit), job events and training projects.
// The trainer (`quarry train-worker`) and the CLI use it; it imports
// nothing of the server.
package hubclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one hub as one token holder.
type Client struct {
	// Endpoint is the hub's base URL, e.g. "http://127.0.0.1:8080".
	Endpoint string
	// Token is sent as "Authorization: Bearer" ("" sends none).
	Token string
	// HTTP sends the requests (default: a client with no overall timeout,
	// so that large downloads are bounded by their context only).
	HTTP *http.Client
	// UserAgent is sent with every request.
	UserAgent string
}

// New returns a client of the hub at endpoint acting with token.
func New(endpoint, token string) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), Token: token,
		HTTP: &http.Client{Transport: http.DefaultTransport}, UserAgent: "quarry-hubclient/1"}
}

// Error is a response with an unexpected status. Code and Message come
// from the X-Error-Code and X-Error-Message headers (else the JSON body's
// "error"); Body is the raw body (bounded).
type Error struct {
	Method, URL string
	Status      int
	Code        string
	Message     string
	Body        []byte
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, e.Code, msg)
	}
	return fmt.Sprintf("%s %s: %d: %s", e.Method, e.URL, e.Status, msg)
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404 (or the 401 RepoNotFound that
// anonymous callers get for missing repos).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound ||
		e.Status == http.StatusUnauthorized && e.Code == "RepoNotFound")
}

// IsConflict reports whether err is a 409 (repo, branch or tag exists).
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// maxErrorBody bounds the error body kept in an *Error.
const maxErrorBody = 1 << 20

// request is one API call.
type request struct {
	method, path string // path is absolute ("/api/...") or a full URL
	query        url.Values
	contentType  string
	body         io.Reader
	auth         bool // send the token
	accept       string
}

// url returns the request's full URL.
func (c *Client) url(path string, q url.Values) string {
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = c.Endpoint + path
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// send performs r and returns the response when its status is 2xx; any
// other status is read into an *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.url(r.path, r.query)
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, u, err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	if r.auth && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, u, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readError(r.method, u, resp)
}

// readError turns a failed response into an *Error.
func readError(method, u string, resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Method: method, URL: u, Status: resp.StatusCode, Body: body,
		Code: resp.Header.Get("X-Error-Code"), Message: resp.Header.Get("X-Error-Message")}
	if e.Message == "" {
		var j struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &j) == nil {
			e.Message = cmpOr(j.Error, j.Message)
		}
	}
	if e.Message == "" && len(body) > 0 && len(body) < 512 {
		e.Message = strings.TrimSpace(string(body))
	}
	return e
}

// doJSON sends in as JSON (nil: no body) with the token and decodes a JSON
// answer into out (nil: discarded).
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	r := request{method: method, path: path, auth: true, accept: "application/json"}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		r.body, r.contentType = bytes.NewReader(b), "application/json"
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// decode reads a JSON response body into out (nil: discarded).
func decode(resp *http.Response, out any) error {
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", resp.Request.Method, resp.Request.URL, err)
	}
	return nil
}

// Retry calls fn up to attempts times while it fails with a transport
// error or a 5xx/429 status, waiting wait, then twice as long, between
// attempts; it stops early when ctx ends.
func Retry(ctx context.Context, attempts int, wait time.Duration, fn func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil || !retryable(err) {
			return err
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	s := StatusOf(err)
	return s == 0 || s >= 500 || s == http.StatusTooManyRequests
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
