package hubhttp

import (
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// mimeLFS is the git-lfs media type of batch requests and responses.
const mimeLFS = "application/vnd.git-lfs+json"

func sendLFS(c *fiber.Ctx, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, mimeLFS)
	return c.Send(b)
}

// lfsRepo parses the repo of a /{prefix}{ns}/{name}[.git]/info/lfs/... path.
func lfsRepo(c *fiber.Ctx, t hub.RepoType) (hub.RepoID, error) {
	p, err := parseRepoPath(t, rawPath(c), "/"+t.URLPrefix())
	if err != nil {
		return hub.RepoID{}, err
	}
	return p.ID, nil
}

type lfsActionJSON struct {
	Href      string            `json:"href"`
	Header    map[string]string `json:"header,omitempty"`
	ExpiresIn int               `json:"expires_in,omitempty"`
}

type lfsObjectJSON struct {
	OID           string                   `json:"oid"`
	Size          int64                    `json:"size"`
	Authenticated bool                     `json:"authenticated"`
	Actions       map[string]lfsActionJSON `json:"actions,omitempty"`
	Error         *lfsErrorJSON            `json:"error,omitempty"`
}

type lfsErrorJSON struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// lfsBatch answers POST {repo}.git/info/lfs/objects/batch.
func (s *Server) lfsBatch(t hub.RepoType) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := lfsRepo(c, t)
		if err != nil {
			return err
		}
		var body struct {
			Operation string          `json:"operation"`
			Transfers []string        `json:"transfers"`
			Objects   []hub.LFSObject `json:"objects"`
		}
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		req := hub.LFSBatchRequest{Operation: body.Operation, Transfers: body.Transfers, Objects: body.Objects}
		res, err := s.svc.LFSBatch(c.UserContext(), caller(c), id, s.baseURL(c), req)
		if err != nil {
			return err
		}
		objs := make([]lfsObjectJSON, 0, len(res.Objects))
		for _, o := range res.Objects {
			j := lfsObjectJSON{OID: o.OID, Size: o.Size, Authenticated: o.Authenticated}
			for name, a := range o.Actions {
				if j.Actions == nil {
					j.Actions = map[string]lfsActionJSON{}
				}
				j.Actions[name] = lfsActionJSON{Href: a.Href, Header: a.Header, ExpiresIn: a.ExpiresIn}
			}
			if o.Error != nil {
				j.Error = &lfsErrorJSON{Code: o.Error.Code, Message: o.Error.Message}
			}
			objs = append(objs, j)
		}
		return sendLFS(c, fiber.Map{"transfer": res.Transfer, "objects": objs, "hash_algo": "sha256"})
	}
}

// lfsVerify answers POST {repo}.git/info/lfs/verify {oid, size}: 200 when
// the repo holds the object with that size.
func (s *Server) lfsVerify(t hub.RepoType) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := lfsRepo(c, t)
		if err != nil {
			return err
		}
		var body hub.LFSObject
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		repo, err := s.svc.FindRepo(c.UserContext(), caller(c), id, hub.ActionRead)
		if err != nil {
			return err
		}
		size, err := s.svc.Meta.GetLFSObject(c.UserContext(), repo.Key, body.OID)
		if errors.Is(err, hub.ErrNotFound) {
			return hub.Errorf(hub.ErrNotFound, "LFS object %s was not uploaded to %s", body.OID, id)
		} else if err != nil {
			return err
		}
		if body.Size != 0 && size != body.Size {
			return hub.Errorf(hub.ErrInvalid, "LFS object %s has size %d, not %d", body.OID, size, body.Size)
		}
		return sendLFS(c, fiber.Map{})
	}
}

// lfsLocksVerify answers POST {repo}.git/info/lfs/locks/verify: Quarry has
// no locks, which keeps git-lfs pushes quiet.
func (s *Server) lfsLocksVerify(t hub.RepoType) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := lfsRepo(c, t)
		if err != nil {
			return err
		}
		if _, err := s.svc.FindRepo(c.UserContext(), caller(c), id, hub.ActionRead); err != nil {
			return err
		}
		return sendLFS(c, fiber.Map{"ours": []any{}, "theirs": []any{}})
	}
}

// lfsUpload answers PUT /api/lfs/upload/{token}: the raw bytes, streamed.
func (s *Server) lfsUpload(c *fiber.Ctx) error {
	if err := s.svc.PutLFSObject(c.UserContext(), c.Params("token"), bodyReader(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

// lfsPart answers PUT /api/lfs/part/{token}/{n} with the part's ETag.
func (s *Server) lfsPart(c *fiber.Ctx) error {
	n, err := c.ParamsInt("part")
	if err != nil || n < 1 {
		return hub.Errorf(hub.ErrInvalid, "invalid part number %q", c.Params("part"))
	}
	etag, err := s.svc.PutLFSPart(c.UserContext(), c.Params("token"), n, bodyReader(c))
	if err != nil {
		return err
	}
	c.Set("ETag", etag)
	return c.SendStatus(fiber.StatusOK)
}

// lfsComplete answers POST /api/lfs/complete/{token} {oid, parts}.
func (s *Server) lfsComplete(c *fiber.Ctx) error {
	var body struct {
		OID   string `json:"oid"`
		Parts []struct {
			PartNumber int    `json:"partNumber"`
			ETag       string `json:"etag"`
		} `json:"parts"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	parts := make([]hub.LFSPart, 0, len(body.Parts))
	for _, p := range body.Parts {
		parts = append(parts, hub.LFSPart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	if err := s.svc.CompleteLFSMultipart(c.UserContext(), c.Params("token"), body.OID, parts); err != nil {
		return err
	}
	return sendLFS(c, fiber.Map{"success": true})
}

// lfsDownload answers GET /api/lfs/download/{token} with the object bytes.
func (s *Server) lfsDownload(c *fiber.Ctx) error {
	f, err := s.svc.OpenLFSDownload(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.serveFile(c, f, false)
}
