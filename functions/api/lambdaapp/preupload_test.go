package lambdaapp

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// preuploadBody lists a small and a 2 MiB text file and a binary one.
func preuploadBody() string {
	sample := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("text ", 100)))
	bin := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3})
	b, _ := json.Marshal(map[string]any{"files": []map[string]any{
		{"path": "small.txt", "size": 500, "sample": sample},
		{"path": "mid.txt", "size": 2 << 20, "sample": sample},
		{"path": "w.bin", "size": 4, "sample": bin},
	}})
	return string(b)
}

// uploadModes returns path -> uploadMode of a preupload answer.
func uploadModes(t *testing.T, status int, body string) map[string]string {
	t.Helper()
	var out struct {
		Files []struct{ Path, UploadMode string }
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("preupload: %d %s", status, body)
	}
	m := map[string]string{}
	for _, f := range out.Files {
		m[f.Path] = f.UploadMode
	}
	return m
}

// TestLFSThreshold: behind Lambda, preupload sends text files of 1 MiB or
// more to LFS (the hub alone keeps them regular up to 10 MiB), through a
// Function URL (buffered or streamed) and a REST API; with the threshold
// set to the hub's, the hub's answer is unchanged.
func TestLFSThreshold(t *testing.T) {
	lambda := map[string]string{"small.txt": "regular", "mid.txt": "lfs", "w.bin": "lfs"}
	hubOnly := map[string]string{"small.txt": "regular", "mid.txt": "regular", "w.bin": "lfs"}
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"buffered", nil, lambda},
		{"streamed", map[string]string{"QUARRY_RESPONSE_STREAM": "true"}, lambda},
		{"hub threshold", map[string]string{"QUARRY_LFS_THRESHOLD": "10485760"}, hubOnly},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := openFixture(t, tc.env)
			r := f.v2(t, "POST", "/api/models/alice/m/preupload/main", preuploadBody())
			if d := cmp.Diff(tc.want, uploadModes(t, r.StatusCode, r.Body)); d != "" {
				t.Errorf("Function URL upload modes (-want +got):\n%s", d)
			}
			v1 := f.v1Post(t, "/api/models/alice/m/preupload/main", preuploadBody())
			if d := cmp.Diff(tc.want, uploadModes(t, v1.StatusCode, v1.Body)); d != "" {
				t.Errorf("REST API upload modes (-want +got):\n%s", d)
			}
		})
	}
}
