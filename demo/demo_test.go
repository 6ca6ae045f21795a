package demo_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quarry/demo"
)

const root = "/ns/mines/demo"

func TestConfigAndInfo(t *testing.T) {
	ta := newTestApp(t, nil)
	code, body := ta.get(t, root+"/config")
	if code != 200 {
		t.Fatalf("config: %d %s", code, body)
	}
	var cfg struct {
		Version, APIPrefix, Protocol, Root string
		MaxFileSize                        int64 `json:"max_file_size"`
		EnableQueue                        bool  `json:"enable_queue"`
		Dependencies                       []struct {
			ID            int    `json:"id"`
			APIName       string `json:"api_name"`
			APIVisibility string `json:"api_visibility"`
			Inputs        []int  `json:"inputs"`
			Queue         bool   `json:"queue"`
		}
		Components []struct {
			ID   int    `json:"id"`
			Type string `json:"type"`
		}
	}
	decode(t, body, &cfg)
	var raw map[string]any
	decode(t, body, &raw)
	cfg.APIPrefix, cfg.Root = raw["api_prefix"].(string), raw["root"].(string)
	if cfg.Version != "6.25.0" || cfg.APIPrefix != "/gradio_api" || cfg.Protocol != "sse_v3" ||
		cfg.Root != publicURL+root || cfg.MaxFileSize != 1000 || !cfg.EnableQueue {
		t.Fatalf("config %+v", cfg)
	}
	if len(cfg.Dependencies) != 1 || cfg.Dependencies[0].APIName != "predict" || !cfg.Dependencies[0].Queue ||
		cfg.Dependencies[0].APIVisibility != "public" || cfg.Components[1].Type != "image" || cfg.Components[2].Type != "label" {
		t.Fatalf("config dependencies/components %+v %+v", cfg.Dependencies, cfg.Components)
	}
	for _, p := range []string{root + "/gradio_api/info", root + "/info"} {
		code, body = ta.get(t, p)
		var info struct {
			Named map[string]struct {
				Parameters []struct {
					Component    string         `json:"component"`
					Name         string         `json:"parameter_name"`
					ExampleInput map[string]any `json:"example_input"`
				}
				Returns []struct{ Component string }
			} `json:"named_endpoints"`
		}
		decode(t, body, &info)
		ep, ok := info.Named["/predict"]
		if code != 200 || !ok || ep.Parameters[0].Component != "Image" || ep.Returns[0].Component != "Label" {
			t.Fatalf("%s: %d %s", p, code, body)
		}
		if got, want := ep.Parameters[0].ExampleInput["path"], publicURL+root+"/examples/card/tile.png"; got != want {
			t.Fatalf("example_input %v, want %v", got, want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	ta := newTestApp(t, nil)
	for _, tc := range []struct {
		path, caller string
		want         int
	}{
		{"/ns/nothing/demo/config", "", 404},
		{"/ns/text/demo/config", "", 404},
		{"/ns/secret/demo/config", "", 404},
		{"/ns/secret/demo/config", "someone", 404},
		{"/ns/secret/demo/config", "owner", 200},
		{"/ns/mines@" + rev + "/demo/config", "", 200},
		{"/ns/mines@v9/demo/config", "", 404},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("X-Test-Caller", tc.caller)
		code, body, _ := ta.do(t, req)
		if code != tc.want {
			t.Errorf("%s as %q: %d %s, want %d", tc.path, tc.caller, code, body, tc.want)
		}
	}
}

func TestRunPredict(t *testing.T) {
	ta := newTestApp(t, nil)
	p := ta.uploadPath(t, root, "../../etc/tile.png", pngBytes(10, 10))
	if !strings.HasPrefix(p, "uploads/") || strings.Contains(p, "..") || !strings.HasSuffix(p, "/tile.png") {
		t.Fatalf("issued path %q", p)
	}
	code, body := ta.postJSON(t, root+"/gradio_api/run/predict", map[string]any{"data": []any{fileArg(p)}, "fn_index": 0, "session_hash": "s1"})
	var out struct {
		Data []struct {
			Label       string
			Confidences []struct {
				Label      string
				Confidence float64
			}
		}
	}
	decode(t, body, &out)
	if code != 200 || len(out.Data) != 1 || out.Data[0].Label != "mine" || out.Data[0].Confidences[1].Confidence != 0.25 {
		t.Fatalf("run/predict: %d %s", code, body)
	}
	if got, want := ta.clf.keys[0], "ns/mines@"+rev; got != want {
		t.Fatalf("classifier key %q, want %q", got, want)
	}
	// The example URL and the file= URL of the upload are accepted too.
	for _, ref := range []string{publicURL + root + "/examples/card/tile.png", publicURL + root + "/gradio_api/file=" + p} {
		code, body = ta.postJSON(t, root+"/gradio_api/run/predict", map[string]any{"data": []any{map[string]any{"path": ref, "url": ref}}})
		if code != 200 {
			t.Fatalf("run/predict %s: %d %s", ref, code, body)
		}
	}
}

func TestInputsNeverFetched(t *testing.T) {
	ta := newTestApp(t, nil)
	for _, ref := range []string{"/etc/passwd", "uploads/../../etc/passwd", "http://169.254.169.254/latest/meta-data/",
		publicURL + "/ns/mines/resolve/main/config.json", publicURL + root + "/examples/config.json",
		"file:///etc/passwd", "uploads/00000000000000000000000000000000/blob"} {
		code, body := ta.postJSON(t, root+"/gradio_api/run/predict", map[string]any{"data": []any{fileArg(ref)}})
		var e struct{ Error string }
		decode(t, body, &e)
		if code != 422 && code != 404 || e.Error == "" {
			t.Errorf("%s: %d %s, want 422/404 with an error", ref, code, body)
		}
	}
	if ta.clf.calls != 0 {
		t.Fatalf("classifier called %d times", ta.clf.calls)
	}
	code, body := ta.postJSON(t, root+"/gradio_api/run/predict", map[string]any{"data": []any{fileArg("data:image/png;base64,iVBORw0KGgo=")}})
	if code != 200 {
		t.Fatalf("data: URL: %d %s", code, body)
	}
}

func TestUploadLimits(t *testing.T) {
	ta := newTestApp(t, nil)
	code, body, _ := ta.upload(t, root, "big.png", make([]byte, 1001))
	var e struct{ Error, Detail string }
	decode(t, body, &e)
	if code != 413 || !strings.Contains(e.Error, "max_file_size 1000") || e.Detail != e.Error {
		t.Fatalf("oversized upload: %d %s", code, body)
	}
	if code, body, _ = ta.upload(t, root, "ok.png", make([]byte, 1000)); code != 200 {
		t.Fatalf("upload at the limit: %d %s", code, body)
	}
}

func TestQueueJoinAndData(t *testing.T) {
	ta := newTestApp(t, nil)
	good := ta.uploadPath(t, root, "blob", pngBytes(10, 10))
	bad := ta.uploadPath(t, root, "blob", []byte("bad jpeg"))
	var ids []string
	for _, p := range []string{good, bad} {
		code, body := ta.postJSON(t, root+"/gradio_api/queue/join", map[string]any{"data": []any{fileArg(p)},
			"fn_index": 0, "session_hash": "sess", "event_data": nil, "trigger_id": nil})
		var r struct {
			EventID string `json:"event_id"`
		}
		decode(t, body, &r)
		if code != 200 || r.EventID == "" {
			t.Fatalf("join: %d %s", code, body)
		}
		ids = append(ids, r.EventID)
	}
	_, body := ta.get(t, root+"/gradio_api/queue/data?session_hash=sess")
	msgs := sseData(t, string(body))
	byEvent := map[string][]string{}
	for _, m := range msgs {
		id, _ := m["event_id"].(string)
		byEvent[id] = append(byEvent[id], m["msg"].(string))
	}
	want := []string{"estimation", "process_starts", "process_completed"}
	for _, id := range ids {
		if diff := cmp.Diff(want, byEvent[id]); diff != "" {
			t.Fatalf("event %s messages (-want +got):\n%s\nstream:\n%s", id, diff, body)
		}
	}
	if last := msgs[len(msgs)-1]; last["msg"] != "close_stream" || last["event_id"] != nil {
		t.Fatalf("last message %v, want close_stream", last)
	}
	for _, m := range msgs {
		if m["msg"] != "process_completed" {
			continue
		}
		out := m["output"].(map[string]any)
		switch m["event_id"] {
		case ids[0]:
			if m["success"] != true || out["data"].([]any)[0].(map[string]any)["label"] != "mine" {
				t.Fatalf("good event: %v", m)
			}
		case ids[1]:
			if m["success"] != false || !strings.HasPrefix(out["error"].(string), "Image data is corrupt or truncated") {
				t.Fatalf("bad event: %v", m)
			}
		}
	}
}

// sseData parses the `data:` lines of an SSE body.
func sseData(t *testing.T, body string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, "data: "); ok {
			var m map[string]any
			decode(t, []byte(rest), &m)
			out = append(out, m)
		}
	}
	return out
}

func TestJoinValidation(t *testing.T) {
	ta := newTestApp(t, nil)
	code, body := ta.postJSON(t, root+"/gradio_api/queue/join", map[string]any{"data": []any{fileArg("nope")}, "session_hash": "s"})
	var e struct{ Detail string }
	decode(t, body, &e)
	if code != 422 || !strings.Contains(e.Detail, "URLs are never fetched") {
		t.Fatalf("join with an unknown path: %d %s", code, body)
	}
}

func TestCallPredict(t *testing.T) {
	ta := newTestApp(t, nil)
	for _, tc := range []struct {
		data      []byte
		wantEvent string
		wantData  string
	}{
		{pngBytes(10, 10), "complete", `[{"label":"mine","confidences":[{"label":"mine","confidence":0.75},{"label":"no_mine","confidence":0.25}]}]`},
		{[]byte("bad"), "error", `"Image data is corrupt or truncated: unexpected EOF."`},
	} {
		p := ta.uploadPath(t, root, "img", tc.data)
		code, body := ta.postJSON(t, root+"/gradio_api/call/predict", map[string]any{"data": []any{fileArg(p)}})
		var r struct {
			EventID string `json:"event_id"`
		}
		decode(t, body, &r)
		if code != 200 || r.EventID == "" {
			t.Fatalf("call: %d %s", code, body)
		}
		code, body = ta.get(t, root+"/gradio_api/call/predict/"+r.EventID)
		want := "event: " + tc.wantEvent + "\ndata: " + tc.wantData + "\n\n"
		if code != 200 || string(body) != want {
			t.Fatalf("call GET: %d %q, want %q", code, body, want)
		}
	}
	if code, _ := ta.get(t, root+"/gradio_api/call/predict/unknown"); code != 404 {
		t.Fatalf("unknown event: %d", code)
	}
}

func TestRateLimit(t *testing.T) {
	ta := newTestApp(t, func(c *demo.Config) { c.RateLimit = demo.RateLimit{PerSecond: 0.5, Burst: 2} })
	for i := 0; i < 2; i++ {
		if code, body, _ := ta.upload(t, root, "a", []byte("x")); code != 200 {
			t.Fatalf("upload %d: %d %s", i, code, body)
		}
	}
	code, body, resp := ta.upload(t, root, "a", []byte("x"))
	if code != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("third upload: %d %s Retry-After %q", code, body, resp.Header.Get("Retry-After"))
	}
	if code, _ := ta.get(t, root+"/config"); code != 200 {
		t.Fatalf("config is not rate limited: %d", code)
	}
	*ta.now = ta.now.Add(2 * time.Second)
	if code, body, _ := ta.upload(t, root, "a", []byte("x")); code != 200 {
		t.Fatalf("after waiting: %d %s", code, body)
	}
}

func TestQueueFull(t *testing.T) {
	block := make(chan struct{})
	ta := newTestApp(t, func(c *demo.Config) {
		c.MaxConcurrent, c.MaxQueue = 1, 1
		c.Classifier = blockingClassifier{block}
	})
	p := ta.uploadPath(t, root, "a", pngBytes(10, 10))
	if code, body := ta.postJSON(t, root+"/gradio_api/call/predict", map[string]any{"data": []any{fileArg(p)}}); code != 200 {
		t.Fatalf("first call: %d %s", code, body)
	}
	code, body := ta.postJSON(t, root+"/gradio_api/queue/join", map[string]any{"data": []any{fileArg(p)}, "session_hash": "s"})
	if code != 503 {
		t.Fatalf("second: %d %s, want 503 queue full", code, body)
	}
	close(block)
}

func TestFileServing(t *testing.T) {
	ta := newTestApp(t, nil)
	img := pngBytes(10, 10)
	for _, tc := range []struct {
		data              []byte
		ctype, dispostion string
	}{
		{img, "image/png", ""},
		{[]byte("<html><script>alert(1)</script>"), "application/octet-stream", `attachment; filename="x.html"`},
	} {
		p := ta.uploadPath(t, root, "x.html", tc.data)
		code, body, resp := ta.do(t, httptest.NewRequest(http.MethodGet, root+"/gradio_api/file="+p, nil))
		if code != 200 || string(body) != string(tc.data) || resp.Header.Get("Content-Type") != tc.ctype ||
			resp.Header.Get("Content-Disposition") != tc.dispostion {
			t.Fatalf("file=%s: %d %v", p, code, resp.Header)
		}
	}
	if code, _ := ta.get(t, root+"/gradio_api/file=/etc/passwd"); code != 404 {
		t.Fatalf("file=/etc/passwd: %d", code)
	}
}

func TestHeartbeat(t *testing.T) {
	ta := newTestApp(t, nil)
	ta.srv.Close() // the stream then ends after its first ALIVE
	code, body := ta.get(t, root+"/gradio_api/heartbeat/abc")
	if code != 200 || string(body) != "data: ALIVE\n\n" {
		t.Fatalf("heartbeat: %d %q", code, body)
	}
}
