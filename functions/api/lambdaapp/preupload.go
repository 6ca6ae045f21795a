package lambdaapp

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"quarry/hub"
)

// DefaultLFSThreshold is the size from which the API function sends files
// to LFS (presigned S3 uploads) instead of inline in a commit: Lambda
// refuses requests over 6 MB and the commit carries inline files base64
// (4/3 larger) in NDJSON, so the hub's own 10 MiB rule would let clients
// send commits Lambda cannot take.
const DefaultLFSThreshold = 1 << 20

// preuploadPath matches POST /api/{type}s/{ns}/{name}/preupload/{rev}.
var preuploadPath = regexp.MustCompile(`^/api/(model|dataset|space)s/[^/]+/[^/]+/preupload/`)

// lfsRule lowers the hub's LFS threshold for the clients of this function:
// it rewrites successful preupload answers so that every file of
// threshold bytes or more has uploadMode "lfs". Clients (huggingface_hub,
// @huggingface/hub) then upload those files to S3 through presigned URLs
// and commit only their pointers.
type lfsRule struct {
	threshold int64
}

// applies reports whether a request's answer is a preupload answer.
func (l *lfsRule) applies(method, path string, status int) bool {
	return l != nil && l.threshold < hub.LFSSizeThreshold && method == http.MethodPost &&
		status == http.StatusOK && preuploadPath.MatchString(path)
}

// rewrite returns the preupload answer resp to the request req with the
// files of threshold bytes or more switched to "lfs" (their "oid", a git
// blob id of a regular file, then means nothing and is dropped), and
// whether it changed anything. Answers it cannot read are left alone.
func (l *lfsRule) rewrite(req, resp []byte) ([]byte, bool) {
	var in struct {
		Files []struct {
			Path string `json:"path"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	var out struct {
		Files []map[string]any `json:"files"`
	}
	if json.Unmarshal(req, &in) != nil || json.Unmarshal(resp, &out) != nil {
		return resp, false
	}
	large := map[string]bool{}
	for _, f := range in.Files {
		if f.Size >= l.threshold {
			large[f.Path] = true
		}
	}
	changed := false
	for _, f := range out.Files {
		p, _ := f["path"].(string)
		if large[p] && f["uploadMode"] == hub.UploadRegular {
			f["uploadMode"] = hub.UploadLFS
			delete(f, "oid")
			changed = true
		}
	}
	if !changed {
		return resp, false
	}
	b, err := json.Marshal(out)
	if err != nil {
		return resp, false
	}
	return b, true
}

// setContentLength updates a Content-Length header of headers, if any, to n.
func setContentLength(headers map[string]string, n int) {
	for k := range headers {
		if strings.EqualFold(k, "Content-Length") {
			headers[k] = strconv.Itoa(n)
		}
	}
}
