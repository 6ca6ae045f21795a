package hubhttp

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// expandable lists, per repo type, the expand values HF accepts. Values we
// do not compute (gguf, spaces, ...) are accepted and simply absent.
var expandable = map[hub.RepoType][]string{
	hub.Model: {"author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt",
		"disabled", "downloads", "downloadsAllTime", "gated", "gguf", "inference",
		"inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token",
		"model-index", "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings",
		"spaces", "tags", "transformersInfo", "trendingScore", "widgetData", "usedStorage", "xetEnabled"},
	hub.Dataset: {"author", "cardData", "citation", "createdAt", "description", "disabled",
		"downloads", "downloadsAllTime", "gated", "lastModified", "likes", "paperswithcode_id",
		"private", "resourceGroup", "sha", "siblings", "tags", "trendingScore", "usedStorage", "xetEnabled"},
	hub.Space: {"author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes",
		"models", "private", "resourceGroup", "runtime", "sdk", "sha", "siblings", "subdomain", "tags",
		"trendingScore", "usedStorage", "xetEnabled"},
}

// infoFields are the fields computed from the revision's files (RepoInfo).
var infoFields = []string{"siblings", "cardData", "model-index", "config", "sdk"}

// repoView says which fields a repo object carries.
type repoView struct {
	expand []string // nil: the default set; else only these (+ _id, id)
	full   bool     // listings: add sha, siblings and card fields
	card   bool     // listings: add cardData
	blobs  bool     // siblings with size, blobId, lfs
}

func parseExpand(c *fiber.Ctx, t hub.RepoType) ([]string, error) {
	vs := queryValues(c, "expand")
	allowed := expandable[t]
	for _, v := range vs {
		if !slices.Contains(allowed, v) {
			return nil, hub.Errorf(hub.ErrInvalid, `"expand" must be one of [%s]`, strings.Join(allowed, ", "))
		}
	}
	return vs, nil
}

// needsInfo reports whether the view needs the revision's files.
func (v repoView) needsInfo(detail bool) bool {
	if v.expand == nil {
		return detail || v.full || v.card
	}
	return slices.ContainsFunc(infoFields, func(f string) bool { return slices.Contains(v.expand, f) })
}

// repoJSON renders a repo object. rev and info may be nil (listings).
func repoJSON(r *hub.Repo, rev *hub.Revision, info *hub.RepoInfo, v repoView) map[string]any {
	m := map[string]any{
		"_id": r.Key, "id": r.ID.String(), "author": r.ID.Namespace,
		"private": r.Private, "gated": gatedJSON(r.Gated), "disabled": false,
		"downloads": r.Downloads, "likes": r.Likes, "tags": nonNil(r.Tags),
		"createdAt": fmtTime(r.CreatedAt), "lastModified": fmtTime(r.UpdatedAt),
	}
	if r.ID.Type == hub.Model {
		m["modelId"] = r.ID.String()
		if r.PipelineTag != "" {
			m["pipeline_tag"] = r.PipelineTag
		}
		if r.LibraryName != "" {
			m["library_name"] = r.LibraryName
		}
	}
	if rev != nil {
		m["sha"] = rev.Commit
	}
	if info != nil {
		addInfo(m, r.ID.Type, info, v.blobs)
	}
	if v.expand == nil {
		return m
	}
	out := map[string]any{"_id": m["_id"], "id": m["id"]}
	for _, f := range v.expand {
		if val, ok := m[f]; ok {
			out[f] = val
		}
	}
	return out
}

func addInfo(m map[string]any, t hub.RepoType, info *hub.RepoInfo, blobs bool) {
	m["siblings"] = siblingsJSON(info.Siblings, blobs)
	if info.CardData != nil {
		m["cardData"] = info.CardData
		if t == hub.Space {
			if sdk, ok := info.CardData["sdk"]; ok {
				m["sdk"] = sdk
			}
		}
	}
	if info.ModelIndex != nil {
		m["model-index"] = info.ModelIndex
	}
	if info.Config != nil && t == hub.Model {
		m["config"] = info.Config
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// repoInfo answers GET /api/{type}s/{ns}/{name}[/revision/{rev}].
func (s *Server) repoInfo(c *fiber.Ctx, p *repoPath) error {
	if p.Op == "" && p.Tail != "" {
		return fiber.NewError(fiber.StatusNotFound, "Cannot GET "+c.Path())
	}
	expand, err := parseExpand(c, p.ID.Type)
	if err != nil {
		return err
	}
	rev, err := s.resolveRev(c, p.ID, p.Tail)
	if err != nil {
		return err
	}
	v := repoView{expand: expand, blobs: queryBool(c, "blobs")}
	var info *hub.RepoInfo
	if v.needsInfo(true) {
		if info, err = s.svc.RepoInfo(c.UserContext(), rev); err != nil {
			return err
		}
	}
	return c.JSON(repoJSON(rev.Repo, rev, info, v))
}

// Listing page sizes.
const (
	maxListLimit = 1000
	listCursor   = "cursor"
)

// listRepos answers GET /api/models, /api/datasets and /api/spaces.
func (s *Server) listRepos(t hub.RepoType) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, err := listFilter(c, t)
		if err != nil {
			return err
		}
		expand, err := parseExpand(c, t)
		if err != nil {
			return err
		}
		v := repoView{expand: expand, full: queryBool(c, "full"), card: queryBool(c, "cardData"),
			blobs: queryBool(c, "blobs")}
		repos, next, err := s.svc.ListRepos(c.UserContext(), caller(c), f)
		if err != nil {
			return err
		}
		out := make([]map[string]any, 0, len(repos))
		for _, r := range repos {
			m, err := s.listItem(c, r, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		if next != "" {
			s.nextLink(c, listCursor, next)
		}
		return c.JSON(out)
	}
}

func (s *Server) listItem(c *fiber.Ctx, r *hub.Repo, v repoView) (map[string]any, error) {
	if r.Head == "" || !(v.full || v.card || v.expand != nil) {
		return repoJSON(r, nil, nil, v), nil
	}
	rev := &hub.Revision{Repo: r, Commit: r.Head, Ref: hub.BranchPrefix + hub.DefaultBranch}
	var info *hub.RepoInfo
	if v.needsInfo(false) {
		var err error
		if info, err = s.svc.RepoInfo(c.UserContext(), rev); err != nil {
			return nil, err
		}
	}
	return repoJSON(r, rev, info, v), nil
}

// listFilter reads the listing query: search (repeatable), author, filter
// (repeatable tags), pipeline_tag, sort, direction, limit and cursor.
func listFilter(c *fiber.Ctx, t hub.RepoType) (hub.RepoFilter, error) {
	f := hub.RepoFilter{
		Type: t, Search: queryValues(c, "search"), Author: c.Query("author"),
		Tags: queryValues(c, "filter"), PipelineTag: c.Query("pipeline_tag"),
		After: c.Query(listCursor), Limit: maxListLimit,
	}
	if lib := c.Query("library"); lib != "" {
		f.Tags = append(f.Tags, lib)
	}
	f.Sort = sortNames[c.Query("sort")]
	if f.Sort == "" && c.Query("sort") != "" {
		return f, hub.Errorf(hub.ErrInvalid, "invalid sort %q", c.Query("sort"))
	}
	if f.Sort == "" {
		f.Sort, f.Ascending = "id", true
	} else {
		f.Ascending = c.Query("direction") == "1"
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return f, hub.Errorf(hub.ErrInvalid, "invalid limit %q: must be a positive integer", l)
		}
		f.Limit = min(n, maxListLimit)
	}
	return f, nil
}

// sortNames maps HF sort keys to the store's.
var sortNames = map[string]string{
	"id": "id", "modelId": "id",
	"createdAt": "createdAt", "created_at": "createdAt",
	"lastModified": "lastModified", "last_modified": "lastModified", "updatedAt": "lastModified",
	"downloads": "downloads", "downloadsAllTime": "downloads",
	"likes": "likes", "trendingScore": "likes", "trending": "likes",
}
