package hubhttp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/modelcards"
)

// validateYAML answers POST /api/validate-yaml {content, repoType}.
func (s *Server) validateYAML(c *fiber.Ctx) error {
	var body struct {
		Content  string `json:"content"`
		RepoType string `json:"repoType"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	type msg struct {
		Message string `json:"message"`
	}
	warnings, err := modelcards.Validate([]byte(body.Content), body.RepoType)
	if err != nil {
		c.Set("X-Error-Message", headerSafe(err.Error()))
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{
			"error": err.Error(), "errors": []msg{{Message: err.Error()}}})
	}
	ws := make([]msg, 0, len(warnings))
	for _, w := range warnings {
		ws = append(ws, msg{Message: w})
	}
	return c.JSON(fiber.Map{"errors": []msg{}, "warnings": ws})
}

// preupload answers POST /api/{type}s/{ns}/{name}/preupload/{rev}.
func (s *Server) preupload(c *fiber.Ctx, p *repoPath) error {
	rev, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	var body struct {
		Files []struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			Sample string `json:"sample"`
		} `json:"files"`
		GitAttributes string `json:"gitAttributes"`
		GitIgnore     string `json:"gitIgnore"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	files := make([]hub.PreuploadFile, 0, len(body.Files))
	for _, f := range body.Files {
		sample, err := base64.StdEncoding.DecodeString(f.Sample)
		if err != nil {
			return hub.Errorf(hub.ErrInvalid, "invalid base64 sample for %q", f.Path)
		}
		files = append(files, hub.PreuploadFile{Path: f.Path, Size: f.Size, Sample: sample})
	}
	res, err := s.svc.Preupload(c.UserContext(), caller(c), p.ID, rev, files, body.GitAttributes, body.GitIgnore)
	if err != nil {
		return err
	}
	type fileJSON struct {
		Path         string `json:"path"`
		UploadMode   string `json:"uploadMode"`
		ShouldIgnore bool   `json:"shouldIgnore"`
		OID          string `json:"oid,omitempty"`
	}
	out := make([]fileJSON, 0, len(res))
	for _, r := range res {
		out = append(out, fileJSON{Path: r.Path, UploadMode: r.UploadMode, ShouldIgnore: r.ShouldIgnore, OID: r.OID})
	}
	return c.JSON(fiber.Map{"files": out})
}

// Commit body limits: one NDJSON line holds at most one inline file (the
// service refuses inline files over 10 MiB); the whole body is bounded too.
const (
	maxCommitLine = 32 << 20
	maxCommitBody = 1 << 30
)

// commit answers POST /api/{type}s/{ns}/{name}/commit/{branch} (NDJSON, or
// the legacy single JSON document).
func (s *Server) commit(c *fiber.Ctx, p *repoPath) error {
	if isTrue(c.Query("create_pr")) {
		return hub.Errorf(hub.ErrUnsupported, "pull requests are not supported by this hub")
	}
	branch, err := unescape(p.Tail)
	if err != nil {
		return err
	}
	in, err := readCommit(c)
	if err != nil {
		return err
	}
	in.Branch = strings.TrimPrefix(branch, hub.BranchPrefix)
	if in.Branch == "" {
		in.Branch = hub.DefaultBranch
	}
	ci, err := s.svc.Commit(c.UserContext(), caller(c), p.ID, *in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"success":    true,
		"commitOid":  ci.ID,
		"commitUrl":  s.repoURL(c, p.ID) + "/commit/" + ci.ID,
		"hookOutput": "",
	})
}

// ndjsonLine is one line of a commit body.
type ndjsonLine struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// commitValue holds the fields of every NDJSON value kind.
type commitValue struct {
	Summary      string `json:"summary"`
	Description  string `json:"description"`
	ParentCommit string `json:"parentCommit"`
	Path         string `json:"path"`
	OldPath      string `json:"oldPath"`
	Content      string `json:"content"`
	Encoding     string `json:"encoding"`
	Algo         string `json:"algo"`
	OID          string `json:"oid"`
	Size         int64  `json:"size"`
}

func readCommit(c *fiber.Ctx) (*hub.CommitInput, error) {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		b, err := readBody(c, maxCommitBody)
		if err != nil {
			return nil, err
		}
		if legacy, in, err := readLegacyCommit(b); legacy {
			return in, err
		}
		return parseNDJSON(bytes.NewReader(b))
	}
	return parseNDJSON(bodyReader(c))
}

// parseNDJSON reads commit lines; errors name the offending line.
func parseNDJSON(r io.Reader) (*hub.CommitInput, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxCommitLine)
	in := &hub.CommitInput{}
	header, n, total := false, 0, 0
	for sc.Scan() {
		n++
		total += len(sc.Bytes())
		if total > maxCommitBody {
			return nil, hub.Errorf(hub.ErrTooLarge, "commit body larger than %d bytes", maxCommitBody)
		}
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l ndjsonLine
		var v commitValue
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, hub.Errorf(hub.ErrInvalid, "malformed NDJSON at line %d: %v", n, err)
		}
		if err := json.Unmarshal(l.Value, &v); err != nil {
			return nil, hub.Errorf(hub.ErrInvalid, "malformed NDJSON at line %d: invalid value: %v", n, err)
		}
		if l.Key == "header" {
			header = true
			in.Summary, in.Description, in.ParentCommit = v.Summary, v.Description, v.ParentCommit
			continue
		}
		op, err := commitOp(l.Key, v)
		if err != nil {
			return nil, hub.Errorf(hub.ErrInvalid, "invalid NDJSON at line %d: %s", n, hub.ErrorMessage(err))
		}
		in.Ops = append(in.Ops, op)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, hub.Errorf(hub.ErrInvalid, "NDJSON line %d is longer than %d bytes: upload large files with LFS", n+1, maxCommitLine)
	} else if err != nil {
		return nil, hub.Errorf(hub.ErrInvalid, "reading commit body: %v", err)
	}
	if !header {
		return nil, hub.Errorf(hub.ErrInvalid, `missing "header" line in commit body`)
	}
	return in, nil
}

// commitOp converts one non-header NDJSON value into a hub.Op.
func commitOp(key string, v commitValue) (hub.Op, error) {
	switch key {
	case "file":
		content, err := decodeContent(v.Content, v.Encoding)
		if err != nil {
			return hub.Op{}, err
		}
		return hub.Op{Kind: hub.OpFile, Path: v.Path, OldPath: v.OldPath, Content: content}, nil
	case "lfsFile":
		if v.Algo != "" && v.Algo != "sha256" {
			return hub.Op{}, hub.Errorf(hub.ErrInvalid, "unsupported LFS algo %q for %q", v.Algo, v.Path)
		}
		return hub.Op{Kind: hub.OpLFSFile, Path: v.Path, OldPath: v.OldPath, OID: v.OID, Size: v.Size}, nil
	case "deletedFile":
		return hub.Op{Kind: hub.OpDeleteFile, Path: v.Path}, nil
	case "deletedFolder":
		return hub.Op{Kind: hub.OpDeleteFolder, Path: strings.TrimSuffix(v.Path, "/")}, nil
	}
	return hub.Op{}, hub.Errorf(hub.ErrInvalid, "unknown key %q", key)
}

func decodeContent(content, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "base64":
		b, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			return nil, hub.Errorf(hub.ErrInvalid, "invalid base64 content")
		}
		return b, nil
	case "", "utf-8", "utf8":
		return []byte(content), nil
	}
	return nil, hub.Errorf(hub.ErrInvalid, "unknown encoding %q", encoding)
}

// readLegacyCommit parses the pre-NDJSON commit document
// {summary, description, parentCommit, files, lfsFiles, deletedFiles}.
// legacy is false when b is not such a document.
func readLegacyCommit(b []byte) (legacy bool, in *hub.CommitInput, err error) {
	var doc struct {
		Key          *string       `json:"key"`
		Summary      *string       `json:"summary"`
		Description  string        `json:"description"`
		ParentCommit string        `json:"parentCommit"`
		Files        []commitValue `json:"files"`
		LFSFiles     []commitValue `json:"lfsFiles"`
		DeletedFiles []commitValue `json:"deletedFiles"`
	}
	if json.Unmarshal(b, &doc) != nil || doc.Key != nil || doc.Summary == nil {
		return false, nil, nil
	}
	in = &hub.CommitInput{Summary: *doc.Summary, Description: doc.Description, ParentCommit: doc.ParentCommit}
	add := func(key string, vs []commitValue) error {
		for _, v := range vs {
			op, err := commitOp(key, v)
			if err != nil {
				return err
			}
			in.Ops = append(in.Ops, op)
		}
		return nil
	}
	if err := errors.Join(add("file", doc.Files), add("lfsFile", doc.LFSFiles), add("deletedFile", doc.DeletedFiles)); err != nil {
		return true, nil, hub.Errorf(hub.ErrInvalid, "invalid commit document: %s", hub.ErrorMessage(err))
	}
	return true, in, nil
}
