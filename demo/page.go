package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/ml/classify"
)

//go:embed assets
var assets embed.FS

var pageTemplate = template.Must(template.ParseFS(assets, "assets/page.html"))

// pageData feeds assets/page.html.
type pageData struct {
	ID, Revision, ShortRev, Root string
	Private, FlagEnabled         bool
	Labels                       []string
	Examples                     []pageExample
	MaxFileSize                  int64
	MaxFileSizeText              string
	JS, Python, Curl, Embed      string
	CSRFHeader, CSRFToken        string
}

type pageExample struct {
	URL, Title string
}

// page renders the demo page (server-side, no external resources).
func (s *Server) page(c *fiber.Ctx, m *model) error {
	ctx := c.UserContext()
	examples, err := s.examples(ctx, m)
	if err != nil {
		return s.writeError(c, err)
	}
	d := pageData{ID: m.info.ID, Revision: m.info.Revision, ShortRev: short(m.info.Revision), Root: m.root,
		Private: m.info.Private, Labels: s.labels(ctx, m), MaxFileSize: s.cfg.MaxFileSize,
		MaxFileSizeText: humanSize(s.cfg.MaxFileSize),
		FlagEnabled:     s.cfg.Flagger != nil && m.info.FlagDataset != ""}
	for _, e := range examples {
		title := e.Title
		if title == "" {
			title = path.Base(e.Path)
		}
		d.Examples = append(d.Examples, pageExample{URL: m.root + "/examples/" + escapePath(e.Path), Title: title})
	}
	d.JS, d.Python, d.Curl, d.Embed = snippets(m.root)
	d.CSRFHeader, d.CSRFToken = s.cfg.CSRF(c)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return s.writeError(c, fmt.Errorf("demo: render page: %w", err))
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors *")
	return c.Send(buf.Bytes())
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func escapePath(p string) string {
	u := url.URL{Path: p}
	return u.EscapedPath()
}

// snippets returns the "Use via API" code for root.
func snippets(root string) (js, py, curl, embed string) {
	js = fmt.Sprintf(`import { Client, handle_file } from "@gradio/client";

const client = await Client.connect(%q);
const result = await client.predict("/predict", [handle_file("image.jpg")]);
console.log(result.data[0]); // { label, confidences: [{ label, confidence }] }`, root)
	py = fmt.Sprintf(`from gradio_client import Client, handle_file

client = Client(%q)
result = client.predict(handle_file("image.jpg"), api_name="/predict")
print(result)  # {'label': ..., 'confidences': [...]}`, root+"/")
	curl = fmt.Sprintf(`ROOT=%s
FILE=$(curl -s -F "files=@image.jpg" "$ROOT/gradio_api/upload" | cut -d'"' -f2)
EVENT=$(curl -s -X POST "$ROOT/gradio_api/call/predict" -H "Content-Type: application/json" \
  -d "{\"data\": [{\"path\": \"$FILE\", \"meta\": {\"_type\": \"gradio.FileData\"}}]}" | cut -d'"' -f4)
curl -sN "$ROOT/gradio_api/call/predict/$EVENT"`, root)
	embed = fmt.Sprintf(`<iframe src="%s/" width="100%%" height="720" style="border:0" title="demo"></iframe>`, template.HTMLEscapeString(root))
	return js, py, curl, embed
}

// asset serves the page's embedded script, stylesheet and icon.
func (s *Server) asset(c *fiber.Ctx) error {
	name := c.Params("file")
	types := map[string]string{"demo.js": "text/javascript; charset=utf-8", "demo.css": "text/css; charset=utf-8",
		"favicon.svg": "image/svg+xml"}
	ct, ok := types[name]
	if !ok {
		return s.writeError(c, userErrorf(fiber.StatusNotFound, "No such asset."))
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(b)
}

// scanRequest is the page's scan request: an uploaded path and options.
type scanRequest struct {
	Path      string  `json:"path"`
	Label     string  `json:"label"`
	Threshold float64 `json:"threshold"`
	Window    int     `json:"window"`
}

// maxPositives bounds the positive windows returned by scan.
const maxPositives = 500

// scan slides the model over a large uploaded image and returns the heat
// map (a PNG data: URL) and the positive windows.
func (s *Server) scan(c *fiber.Ctx, m *model) error {
	var req scanRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "The request body is not valid JSON."))
	}
	raw, _ := json.Marshal(fileData{Path: req.Path})
	img, err := s.imageInput(c.UserContext(), m, []json.RawMessage{raw})
	if err != nil {
		return s.writeError(c, err)
	}
	var res *classify.ScanResult
	_, err = s.queue.runSync(c.UserContext(), func(ctx context.Context) ([]any, error) {
		var err error
		res, err = s.cfg.Classifier.Scan(ctx, m.key(), m.files(), img.data,
			classify.ScanOptions{Label: req.Label, Threshold: req.Threshold, Window: req.Window})
		return nil, err
	})
	if err != nil {
		return s.writeError(c, err)
	}
	pos := res.Positives[:min(len(res.Positives), maxPositives)]
	return c.JSON(fiber.Map{"width": res.Width, "height": res.Height, "label": res.Label,
		"threshold": res.Threshold, "window": fiber.Map{"w": res.WindowW, "h": res.WindowH},
		"stride": fiber.Map{"x": res.StrideX, "y": res.StrideY}, "windows": len(res.Windows),
		"positives": pos, "positive_count": len(res.Positives), "labels": res.ModelLabels,
		"heatmap":       "data:image/png;base64," + base64.StdEncoding.EncodeToString(res.HeatMap),
		"heatmap_width": res.HeatMapWidth, "heatmap_height": res.HeatMapHeight})
}

// flagRequest is the page's flag request.
type flagRequest struct {
	Path       string               `json:"path"`
	Label      string               `json:"label"`
	Prediction *classify.Prediction `json:"prediction"`
}

// flag stores an uploaded image, its prediction and the reader's label in
// the model's flag dataset through the Flagger.
func (s *Server) flag(c *fiber.Ctx, m *model) error {
	if s.cfg.Flagger == nil || m.info.FlagDataset == "" {
		return s.writeError(c, userErrorf(fiber.StatusNotFound, "Flagging is not enabled for this model (its card names no demo.flag_dataset)."))
	}
	var req flagRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "The request body is not valid JSON."))
	}
	if labels := s.labels(c.UserContext(), m); !slices.Contains(labels, req.Label) {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "Choose one of the labels %q.", labels))
	}
	u, ok := s.uploads.get(req.Path)
	if !ok {
		return s.writeError(c, errNotIssued)
	}
	f := Flag{Model: m.info, Dataset: m.info.FlagDataset, Image: u.data, Filename: u.name,
		Prediction: req.Prediction, Label: req.Label, Time: s.cfg.Now().UTC().Truncate(time.Second)}
	if err := s.cfg.Flagger.Flag(c.UserContext(), m.caller, f); err != nil {
		return s.writeError(c, flagError(m.info.FlagDataset, err))
	}
	return c.JSON(fiber.Map{"ok": true, "dataset": m.info.FlagDataset})
}

// flagError explains a Flagger's access errors in terms of the dataset.
func flagError(dataset string, err error) error {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return userErrorf(fiber.StatusUnauthorized, "Sign in to flag examples: you may not write the flag dataset %s.", dataset)
	case errors.Is(err, ErrForbidden):
		return userErrorf(fiber.StatusForbidden, "You may not write the flag dataset %s.", dataset)
	case errors.Is(err, ErrNotFound):
		return userErrorf(fiber.StatusNotFound, "The flag dataset %s does not exist or you may not see it.", dataset)
	}
	return err
}
