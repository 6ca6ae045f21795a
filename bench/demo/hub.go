package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"quarry/ml/modelrepo"
)

// hub is an authenticated HTTP client of one running server.
type hub struct {
	base, token string
	hc          *http.Client
}

func newHub(base, token string) *hub {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &hub{base: base, token: token, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// do sends one request and returns the body, failing on non-2xx answers.
func (h *hub) do(method, url, contentType string, body []byte, auth bool) ([]byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b[:min(len(b), 300)])
	}
	return b, nil
}

// download writes a model's runtime files to a new directory under dir.
func (h *hub) download(repo, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(repo))
	for _, name := range []string{modelrepo.ConfigFile, modelrepo.PreprocessorFile, modelrepo.ModelFile} {
		b, err := h.do("GET", h.base+"/"+repo+"/resolve/main/"+name, "", nil, true)
		if err != nil {
			return "", err
		}
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
	}
	return out, nil
}

// publish creates the model repo and commits files: the ONNX graph through
// LFS batch + PUT, the rest inline, in one NDJSON commit.
func (h *hub) publish(repo string, files map[string][]byte) error {
	ns, name := filepath.Dir(repo), filepath.Base(repo)
	body, _ := json.Marshal(map[string]any{"name": name, "organization": ns, "type": "model"})
	if _, err := h.do("POST", h.base+"/api/repos/create", "application/json", body, true); err != nil {
		return err
	}
	var nd bytes.Buffer
	enc := json.NewEncoder(&nd)
	enc.Encode(map[string]any{"key": "header", "value": map[string]any{"summary": "Publish a benchmark classifier"}})
	for path, data := range files {
		if path != modelrepo.ModelFile {
			enc.Encode(map[string]any{"key": "file", "value": map[string]any{"path": path,
				"content": base64.StdEncoding.EncodeToString(data), "encoding": "base64"}})
			continue
		}
		oid, err := h.uploadLFS(repo, data)
		if err != nil {
			return err
		}
		enc.Encode(map[string]any{"key": "lfsFile", "value": map[string]any{"path": path, "algo": "sha256",
			"oid": oid, "size": len(data)}})
	}
	_, err := h.do("POST", h.base+"/api/models/"+repo+"/commit/main", "application/x-ndjson", nd.Bytes(), true)
	return err
}

// uploadLFS uploads data through the LFS batch API (basic transfer).
func (h *hub) uploadLFS(repo string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	oid := hex.EncodeToString(sum[:])
	body, _ := json.Marshal(map[string]any{"operation": "upload", "transfers": []string{"basic"},
		"objects": []map[string]any{{"oid": oid, "size": len(data)}}})
	b, err := h.do("POST", h.base+"/"+repo+".git/info/lfs/objects/batch", "application/vnd.git-lfs+json", body, true)
	if err != nil {
		return "", err
	}
	var out struct {
		Objects []struct {
			Actions map[string]struct {
				Href string `json:"href"`
			} `json:"actions"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Objects) != 1 {
		return "", fmt.Errorf("lfs batch: %v %s", err, b)
	}
	if up, ok := out.Objects[0].Actions["upload"]; ok {
		if _, err := h.do("PUT", up.Href, "", data, false); err != nil {
			return "", err
		}
	}
	return oid, nil
}

// upload posts files to a demo's gradio_api/upload in one request and
// returns the issued paths.
func (h *hub) upload(root string, names []string, data [][]byte) ([]string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, d := range data {
		fw, err := mw.CreateFormFile("files", names[i])
		if err != nil {
			return nil, err
		}
		fw.Write(d)
	}
	mw.Close()
	b, err := h.do("POST", root+"/gradio_api/upload", mw.FormDataContentType(), buf.Bytes(), false)
	if err != nil {
		return nil, err
	}
	var paths []string
	if err := json.Unmarshal(b, &paths); err != nil || len(paths) != len(data) {
		return nil, fmt.Errorf("upload answered %s (%v)", b, err)
	}
	return paths, nil
}

// prediction is the demo's Label output.
type prediction struct {
	Label       string `json:"label"`
	Confidences []struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	} `json:"confidences"`
}

// predict runs one run/predict on an uploaded path.
func (h *hub) predict(root, path string) (*prediction, error) {
	body, _ := json.Marshal(map[string]any{"data": []any{map[string]any{"path": path,
		"meta": map[string]any{"_type": "gradio.FileData"}}}, "fn_index": 0, "session_hash": "bench"})
	b, err := h.do("POST", root+"/gradio_api/run/predict", "application/json", body, false)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data []prediction `json:"data"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Data) != 1 {
		return nil, fmt.Errorf("run/predict answered %s (%v)", b[:min(len(b), 300)], err)
	}
	return &out.Data[0], nil
}
