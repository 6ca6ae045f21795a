package lambdaapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"quarry/hub"
	"quarry/infra"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var seq atomic.Int64

// fixture is the app on a fresh bucket and table of moto, with user
// alice, her write token and her model alice/m.
type fixture struct {
	app   *App
	token string
}

func newFixture(t *testing.T) *fixture { return openFixture(t, nil) }

// openFixture is newFixture with more environment (QUARRY_RESPONSE_STREAM).
func openFixture(t *testing.T, extra map[string]string) *fixture {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	n := seq.Add(1)
	env := map[string]string{"QUARRY_BACKEND": "aws", "QUARRY_S3_BUCKET": fmt.Sprintf("lambda-%d", n),
		"QUARRY_DYNAMODB_TABLE": fmt.Sprintf("lambda-%d", n), "AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": awstest.Region,
		"AWS_ACCESS_KEY_ID": awstest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awstest.SecretAccessKey}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v) // the SDK's credential chain reads the process environment
	}
	getenv := func(k string) string { return env[k] }
	if err := infra.InitAWS(ctx, infra.ConfigFromEnv(getenv)); err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.svc.CreateUser(ctx, "alice", "alice@example.com", "correct horse", false); err != nil {
		t.Fatal(err)
	}
	tok, _, err := app.svc.CreateToken(ctx, "alice", hub.RoleWrite, "test")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{app: app, token: tok}
	if r := f.v2(t, "POST", "/api/repos/create", `{"type":"model","name":"m"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("create repo: %d %s", r.StatusCode, r.Body)
	}
	return f
}

// functionURLDomain and httpAPIDomain are the domains of a Function URL
// event and of an API Gateway HTTP API event.
const (
	functionURLDomain = "abc.lambda-url.us-east-1.on.aws"
	httpAPIDomain     = "abc.execute-api.us-east-1.amazonaws.com"
)

// v2 sends a Function URL event with alice's token.
func (f *fixture) v2(t *testing.T, method, rawPath, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return f.send(t, v2Event(method, rawPath, body, functionURLDomain, map[string]string{"authorization": "Bearer " + f.token}))
}

// v2Event is a payload v2 event to domain; its body goes base64.
func v2Event(method, rawPath, body, domain string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	path, query, _ := strings.Cut(rawPath, "?")
	h := map[string]string{"host": domain, "x-forwarded-proto": "https", "content-type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, RawQueryString: query, Headers: h,
		Body: base64.StdEncoding.EncodeToString([]byte(body)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.9"}}}
}

// send hands ev to the app as Lambda would (JSON) and returns its answer;
// a streamed answer is read as the runtime posts it.
func (f *fixture) send(t *testing.T, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	raw, _ := json.Marshal(ev)
	out, err := f.app.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("%s %s: %v", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	switch resp := out.(type) {
	case events.APIGatewayV2HTTPResponse:
		checkSize(t, len(resp.Body))
		return resp
	case *events.LambdaFunctionURLStreamingResponse:
		return drain(t, resp)
	}
	t.Fatalf("%s %s: answer of type %T", ev.RequestContext.HTTP.Method, ev.RawPath, out)
	return events.APIGatewayV2HTTPResponse{}
}

// v1 sends a REST API event.
func (f *fixture) v1(t *testing.T, method, path string) events.APIGatewayProxyResponse {
	t.Helper()
	return f.sendV1(t, events.APIGatewayProxyRequest{HTTPMethod: method, Path: path})
}

// v1Post sends a REST API POST event with a JSON body.
func (f *fixture) v1Post(t *testing.T, path, body string) events.APIGatewayProxyResponse {
	t.Helper()
	return f.sendV1(t, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: path, Body: body,
		Headers: map[string]string{"Content-Type": "application/json"}})
}

// sendV1 completes ev as API Gateway would (alice's token, host, source IP)
// and sends it.
func (f *fixture) sendV1(t *testing.T, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	mv := map[string][]string{"Authorization": {"Bearer " + f.token}, "Host": {"x.execute-api.us-east-1.amazonaws.com"},
		"X-Forwarded-Proto": {"https"}}
	for k, v := range ev.Headers {
		mv[k] = []string{v}
	}
	ev = events.APIGatewayProxyRequest{HTTPMethod: ev.HTTPMethod, Path: ev.Path, Resource: "/{proxy+}", Body: ev.Body,
		MultiValueHeaders: mv,
		RequestContext: events.APIGatewayProxyRequestContext{DomainName: "x.execute-api.us-east-1.amazonaws.com",
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.9"}}}
	raw, _ := json.Marshal(ev)
	out, err := f.app.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("%s %s: %v", ev.HTTPMethod, ev.Path, err)
	}
	resp := out.(events.APIGatewayProxyResponse)
	checkSize(t, len(resp.Body))
	return resp
}

// checkSize fails a test whose response Lambda would refuse.
func checkSize(t *testing.T, n int) {
	t.Helper()
	if n > DefaultMaxResponseBytes {
		t.Fatalf("a response body of %d bytes left the function (limit %d)", n, DefaultMaxResponseBytes)
	}
}

// commit sends an NDJSON commit of lines through a v2 event.
func (f *fixture) commit(t *testing.T, lines ...any) string {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	r := f.v2(t, "POST", "/api/models/alice/m/commit/main", b.String())
	if r.StatusCode != http.StatusOK {
		t.Fatalf("commit: %d %s", r.StatusCode, r.Body)
	}
	var out struct{ CommitOid string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || len(out.CommitOid) != 40 {
		t.Fatalf("commit answer %s", r.Body)
	}
	return out.CommitOid
}

func header(summary string) map[string]any {
	return map[string]any{"key": "header", "value": map[string]any{"summary": summary}}
}

// fixtureModes are the Function URL's invoke modes the app runs behind.
var fixtureModes = []struct {
	name string
	env  map[string]string
}{{"buffered", nil}, {"streamed", map[string]string{"QUARRY_RESPONSE_STREAM": "true"}}}

// forEachMode runs fn on a fixture of each invoke mode.
func forEachMode(t *testing.T, fn func(*testing.T, *fixture)) {
	for _, m := range fixtureModes {
		t.Run(m.name, func(t *testing.T) { fn(t, openFixture(t, m.env)) })
	}
}

func TestModelInfoV1AndV2(t *testing.T) { forEachMode(t, testModelInfoV1AndV2) }

func testModelInfoV1AndV2(t *testing.T, f *fixture) {
	oid := f.commit(t, header("add readme"), map[string]any{"key": "file", "value": map[string]any{"path": "README.md",
		"content": base64.StdEncoding.EncodeToString([]byte("---\nlicense: mit\n---\n# m\n")), "encoding": "base64"}})
	for name, got := range map[string]struct {
		status int
		body   string
	}{
		"v2": func() struct {
			status int
			body   string
		} {
			r := f.v2(t, "GET", "/api/models/alice/m", "")
			return struct {
				status int
				body   string
			}{r.StatusCode, r.Body}
		}(),
		"v1": func() struct {
			status int
			body   string
		} {
			r := f.v1(t, "GET", "/api/models/alice/m")
			return struct {
				status int
				body   string
			}{r.StatusCode, r.Body}
		}(),
	} {
		var info struct{ ID, Sha string }
		if got.status != http.StatusOK || json.Unmarshal([]byte(got.body), &info) != nil || info.ID != "alice/m" || info.Sha != oid {
			t.Fatalf("%s model info: %d %s (want id alice/m, sha %s)", name, got.status, got.body, oid)
		}
	}
	// %2F stays encoded through both payloads: a branch with a slash.
	if r := f.v2(t, "POST", "/api/models/alice/m/branch/feat%2Fx", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("create branch feat/x: %d %s", r.StatusCode, r.Body)
	}
	if r := f.v2(t, "GET", "/api/models/alice/m/revision/feat%2Fx", ""); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, oid) {
		t.Fatalf("v2 revision feat%%2Fx: %d %s", r.StatusCode, r.Body)
	}
	if r := f.v1(t, "GET", "/api/models/alice/m/revision/feat%2Fx"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, oid) {
		t.Fatalf("v1 revision feat%%2Fx: %d %s", r.StatusCode, r.Body)
	}
}

func TestLFSResolveRedirects(t *testing.T) { forEachMode(t, testLFSResolveRedirects) }

func testLFSResolveRedirects(t *testing.T, f *fixture) {
	ctx := context.Background()
	content := make([]byte, 7<<20) // would not fit a Lambda response
	rand.Read(content)
	alice := &hub.Caller{User: &hub.User{Name: "alice"}}
	obj, err := f.app.svc.StoreLFS(ctx, alice, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "m"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	oid := f.commit(t, header("add weights"), map[string]any{"key": "lfsFile",
		"value": map[string]any{"path": "weights.bin", "algo": "sha256", "oid": obj.OID, "size": obj.Size}})
	check := func(name string, status int, h map[string]string) {
		t.Helper()
		if status != http.StatusFound || !strings.Contains(h["Location"], "X-Amz-Signature=") {
			t.Fatalf("%s resolve: %d, Location %q; want 302 to a presigned URL", name, status, h["Location"])
		}
		if h["X-Repo-Commit"] != oid || h["X-Linked-Etag"] == "" || h["X-Linked-Size"] != fmt.Sprint(len(content)) {
			t.Fatalf("%s resolve headers %v: want X-Repo-Commit %s, X-Linked-Etag, X-Linked-Size", name, h, oid)
		}
		if got := fetch(t, h["Location"]); sha(got) != obj.OID {
			t.Fatalf("%s: the presigned URL serves %d other bytes", name, len(got))
		}
	}
	r2 := f.v2(t, "GET", "/alice/m/resolve/main/weights.bin", "")
	check("v2", r2.StatusCode, r2.Headers)
	r1 := f.v1(t, "GET", "/alice/m/resolve/main/weights.bin")
	h1 := map[string]string{}
	for k, v := range r1.MultiValueHeaders {
		h1[k] = strings.Join(v, ",")
	}
	check("v1", r1.StatusCode, h1)
}

func TestLargeRegularFileRedirects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16) // 9 MiB regular file, below the hub's 10 MiB cap
	alice := &hub.Caller{User: &hub.User{Name: "alice"}}
	info, err := f.app.svc.Commit(ctx, alice, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "m"},
		hub.CommitInput{Summary: "big", Ops: []hub.Op{{Kind: hub.OpFile, Path: "big.txt", Content: content}}})
	if err != nil {
		t.Fatal(err)
	}
	r := f.v2(t, "GET", "/alice/m/resolve/main/big.txt", "")
	if r.StatusCode != http.StatusFound || !strings.Contains(r.Headers["Location"], "/"+CacheKeyPrefix) {
		t.Fatalf("resolve of a 9 MiB regular file: %d, Location %q; want 302 to the parked copy", r.StatusCode, r.Headers["Location"])
	}
	if r.Headers["X-Repo-Commit"] != info.ID || r.Headers["Etag"] == "" && r.Headers["ETag"] == "" {
		t.Fatalf("redirect lost the resolve headers: %v", r.Headers)
	}
	if got := fetch(t, r.Headers["Location"]); !bytes.Equal(got, content) {
		t.Fatalf("parked copy has %d bytes, want the file's %d", len(got), len(content))
	}
	// A second request reuses the parked copy.
	if r2 := f.v2(t, "GET", "/alice/m/resolve/main/big.txt", ""); r2.StatusCode != http.StatusFound {
		t.Fatalf("second resolve: %d", r2.StatusCode)
	}
	// HEAD answers the metadata without a body.
	if h := f.v2(t, "HEAD", "/alice/m/resolve/main/big.txt", ""); h.StatusCode != http.StatusOK || h.Body != "" ||
		h.Headers["X-Linked-Size"] != fmt.Sprint(len(content)) {
		t.Fatalf("HEAD: %d, %d body bytes, headers %v", h.StatusCode, len(h.Body), h.Headers)
	}
}

func TestCapRefusesOtherLargeAnswers(t *testing.T) {
	c := &responseCap{max: 1024}
	big := strings.Repeat("x", 4096)
	r := c.apply(context.Background(), http.MethodPost, response{Status: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: big})
	if r.Status != http.StatusInternalServerError || !strings.Contains(r.Headers["X-Error-Message"], "6 MB") || len(r.Body) > 1024 {
		t.Fatalf("oversized POST answer: %d %v %d bytes", r.Status, r.Headers, len(r.Body))
	}
	small := c.apply(context.Background(), http.MethodGet, response{Status: 200, Body: "ok"})
	if small.Status != 200 || small.Body != "ok" {
		t.Fatalf("small answer changed: %+v", small)
	}
}

func TestUnknownEvent(t *testing.T) {
	a := &App{}
	if _, err := a.Handle(context.Background(), json.RawMessage(`{"source":"aws.events"}`)); err != ErrUnknownEvent {
		t.Fatalf("Handle(scheduled event) = %v, want ErrUnknownEvent", err)
	}
}

func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", u, resp.Status, err)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
