package demo

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"quarry/ml/classify"
)

// gradioVersion is the Gradio version the config reports: it must parse as
// PEP 440 and be above 3.36.1, or the Python client takes another path.
const gradioVersion = "6.25.0"

// fileDataSchema is the JSON schema of an image parameter; clients treat a
// value as a file when it has `path` and meta._type "gradio.FileData".
var fileDataSchema = fiber.Map{
	"additionalProperties": false,
	"description":          "A file uploaded with POST gradio_api/upload.",
	"properties": fiber.Map{
		"path":      fiber.Map{"title": "Path", "type": "string"},
		"url":       fiber.Map{"anyOf": []any{fiber.Map{"type": "string"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Url"},
		"size":      fiber.Map{"anyOf": []any{fiber.Map{"type": "integer"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Size"},
		"orig_name": fiber.Map{"anyOf": []any{fiber.Map{"type": "string"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Orig Name"},
		"mime_type": fiber.Map{"anyOf": []any{fiber.Map{"type": "string"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Mime Type"},
		"is_stream": fiber.Map{"default": false, "title": "Is Stream", "type": "boolean"},
		"meta": fiber.Map{"default": fiber.Map{"_type": "gradio.FileData"}, "title": "Meta", "type": "object",
			"properties": fiber.Map{"_type": fiber.Map{"const": "gradio.FileData", "title": "Type", "type": "string"}},
			"required":   []string{"_type"}},
	},
	"required": []string{"path"},
	"title":    "ImageData",
	"type":     "object",
}

// labelSchema is the JSON schema of the Label output.
var labelSchema = fiber.Map{
	"$defs": fiber.Map{"LabelConfidence": fiber.Map{"title": "LabelConfidence", "type": "object",
		"properties": fiber.Map{
			"label":      fiber.Map{"anyOf": []any{fiber.Map{"type": "string"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Label"},
			"confidence": fiber.Map{"anyOf": []any{fiber.Map{"type": "number"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Confidence"},
		}}},
	"properties": fiber.Map{
		"label": fiber.Map{"anyOf": []any{fiber.Map{"type": "string"}, fiber.Map{"type": "null"}}, "default": nil, "title": "Label"},
		"confidences": fiber.Map{"anyOf": []any{fiber.Map{"items": fiber.Map{"$ref": "#/$defs/LabelConfidence"}, "type": "array"},
			fiber.Map{"type": "null"}}, "default": nil, "title": "Confidences"},
	},
	"title": "LabelData",
	"type":  "object",
}

// config answers GET /config: the app description both clients start from.
func (s *Server) config(c *fiber.Ctx, m *model) error {
	labels := s.labels(c.UserContext(), m)
	layout := fiber.Map{"id": 0, "children": []fiber.Map{{"id": 1}, {"id": 2}}}
	return c.JSON(fiber.Map{
		"version": gradioVersion, "api_prefix": "/gradio_api", "protocol": "sse_v3",
		"enable_queue": true, "root": m.root, "app_id": appID(m), "connect_heartbeat": false,
		"max_file_size": s.cfg.MaxFileSize, "mode": "interface", "dev_mode": false,
		"analytics_enabled": false, "show_error": true, "show_api": true, "is_colab": false,
		"title": m.info.ID + " demo", "space_id": nil, "auth_required": false, "username": nil,
		"stylesheets": []string{}, "theme": "default", "css": nil, "js": nil, "head": nil,
		"fill_height": false, "fill_width": false, "pages": [][]string{{"", "Home"}}, "current_page": "",
		"components": []fiber.Map{
			{"id": 0, "type": "form", "props": fiber.Map{"visible": true}, "skip_api": true, "component_class_id": "form"},
			{"id": 1, "type": "image", "props": fiber.Map{"label": "Image", "name": "image", "type": "filepath",
				"sources": []string{"upload", "clipboard"}, "interactive": true, "visible": true},
				"api_info": fileDataSchema, "skip_api": false, "component_class_id": "image"},
			{"id": 2, "type": "label", "props": fiber.Map{"label": "Prediction", "name": "label",
				"num_top_classes": len(labels), "visible": true},
				"api_info": labelSchema, "skip_api": false, "component_class_id": "label"},
		},
		"dependencies": []fiber.Map{{
			"id": 0, "targets": [][]any{{1, "change"}}, "inputs": []int{1}, "outputs": []int{2},
			"backend_fn": true, "js": nil, "queue": true, "api_name": "predict", "api_visibility": "public",
			"show_api": true, "scroll_to_output": false, "show_progress": "full", "batch": false,
			"max_batch_size": 4, "cancels": []int{}, "types": fiber.Map{"generator": false, "cancel": false},
			"collects_event_data": false, "trigger_after": nil, "trigger_only_on_success": false,
			"trigger_mode": "once", "show_api_for_errors": false, "zerogpu": false, "rendered_in": nil,
			"connection": "sse", "time_limit": nil, "stream_every": 0.5, "like_user_message": false,
			"event_specific_args": nil,
		}},
		"layout": layout,
		"page":   fiber.Map{"": fiber.Map{"components": []int{0, 1, 2}, "dependencies": []int{0}, "layout": layout}},
	})
}

// info answers GET gradio_api/info: the schemas behind "Use via API".
func (s *Server) info(c *fiber.Ctx, m *model) error {
	example := fiber.Map{"path": m.root + "/examples/", "meta": fiber.Map{"_type": "gradio.FileData"}}
	if ex, err := s.examples(c.UserContext(), m); err == nil && len(ex) > 0 {
		example["path"] = m.root + "/examples/" + ex[0].Path
	}
	return c.JSON(fiber.Map{
		"named_endpoints": fiber.Map{"/predict": fiber.Map{
			"parameters": []fiber.Map{{
				"label": "Image", "parameter_name": "image", "parameter_has_default": false,
				"parameter_default": nil, "type": fileDataSchema,
				"python_type": fiber.Map{"type": "filepath", "description": ""},
				"component":   "Image", "example_input": example,
			}},
			"returns": []fiber.Map{{
				"label": "Prediction", "type": labelSchema, "component": "Label",
				"python_type": fiber.Map{"type": "Dict(label: str | None, confidences: List[Dict(label: str | None, confidence: float | None)] | None)", "description": ""},
			}},
			"api_visibility": "public", "show_api": true,
		}},
		"unnamed_endpoints": fiber.Map{},
	})
}

// appID is a stable number for the model at its commit.
func appID(m *model) uint64 {
	sum := sha256.Sum256([]byte(m.info.ID + "@" + m.info.Revision))
	return binary.BigEndian.Uint64(sum[:8]) >> 12
}

// labels returns the model's labels: ModelInfo.Labels, else config.json's
// id2label in logit order (nil when unreadable).
func (s *Server) labels(ctx context.Context, m *model) []string {
	if len(m.info.Labels) > 0 {
		return m.info.Labels
	}
	b, err := m.src.File(ctx, m.caller, m.info, classify.ConfigFile)
	if err != nil {
		return nil
	}
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return nil
	}
	out := make([]string, 0, len(cfg.ID2Label))
	for i := 0; ; i++ {
		l, ok := cfg.ID2Label[strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, l)
	}
}
