package hubclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// RepoType is "model", "dataset" or "space".
type RepoType string

// Repo types.
const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
	Space   RepoType = "space"
)

// api returns the API path of repo id ("/api/models/ns/name").
func (t RepoType) api(id string) string { return "/api/" + t.plural() + "/" + escapeID(id) }

func (t RepoType) plural() string {
	if t == "" {
		return "models"
	}
	return string(t) + "s"
}

// files returns the file URL prefix of repo id ("/ns/name",
// "/datasets/ns/name").
func (t RepoType) files(id string) string {
	if t == "" || t == Model {
		return "/" + escapeID(id)
	}
	return "/" + t.plural() + "/" + escapeID(id)
}

// escapeID escapes each part of "ns/name".
func escapeID(id string) string { return escapePath(id) }

// escapePath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// rev escapes a revision as one path segment ("refs/pr/1" -> "refs%2Fpr%2F1").
func rev(r string) string {
	if r == "" {
		r = "main"
	}
	return url.PathEscape(r)
}

// WhoAmI is the answer of /api/whoami-v2 (the fields Quarry's tools use).
type WhoAmI struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Orgs []struct {
		Name string `json:"name"`
	} `json:"orgs"`
	Auth struct {
		AccessToken struct {
			DisplayName string `json:"displayName"`
			Role        string `json:"role"`
		} `json:"accessToken"`
	} `json:"auth"`
}

// Whoami returns the token's user.
func (c *Client) Whoami(ctx context.Context) (*WhoAmI, error) {
	var w WhoAmI
	if err := c.doJSON(ctx, http.MethodGet, "/api/whoami-v2", nil, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// CreateRepo creates repo id ("ns/name") of type t; an existing repo is
// an error for which IsConflict holds. It returns the repo's URL.
func (c *Client) CreateRepo(ctx context.Context, t RepoType, id string, private bool) (string, error) {
	ns, name, ok := strings.Cut(id, "/")
	if !ok {
		return "", fmt.Errorf("create repo: %q is not ns/name", id)
	}
	if t == "" {
		t = Model
	}
	in := map[string]any{"name": name, "organization": ns, "type": string(t), "private": private}
	var out struct {
		URL string `json:"url"`
	}
	if err := c.doJSON(ctx, http.MethodPost, "/api/repos/create", in, &out); err != nil {
		return "", err
	}
	return out.URL, nil
}

// RepoInfo is the part of a repo's info the tools use.
type RepoInfo struct {
	ID       string         `json:"id"`
	SHA      string         `json:"sha"`
	Private  bool           `json:"private"`
	Tags     []string       `json:"tags"`
	CardData map[string]any `json:"cardData"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

// RepoInfo returns repo id at revision r ("" for the default branch).
func (c *Client) RepoInfo(ctx context.Context, t RepoType, id, r string) (*RepoInfo, error) {
	path := t.api(id)
	if r != "" {
		path += "/revision/" + rev(r)
	}
	var info RepoInfo
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// TreeEntry is a file or directory of a tree listing.
type TreeEntry struct {
	Type string `json:"type"` // "file" or "directory"
	Path string `json:"path"`
	Size int64  `json:"size"`
	OID  string `json:"oid"`
	LFS  *struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	} `json:"lfs,omitempty"`
}

// Tree lists repo id at revision r under dir ("" for the root), every
// level when recursive, following the Link pagination.
func (c *Client) Tree(ctx context.Context, t RepoType, id, r, dir string, recursive bool) ([]TreeEntry, error) {
	path := t.api(id) + "/tree/" + rev(r)
	if dir != "" {
		path += "/" + escapePath(dir)
	}
	q := url.Values{"recursive": {fmt.Sprint(recursive)}, "expand": {"false"}}
	next := c.url(path, q)
	var all []TreeEntry
	for next != "" {
		resp, err := c.send(ctx, request{method: http.MethodGet, path: next, auth: true, accept: "application/json"})
		if err != nil {
			return nil, err
		}
		var page []TreeEntry
		err = decode(resp, &page)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		next = nextLink(resp.Header.Get("Link"))
	}
	return all, nil
}

// nextLink returns the URL of rel="next" in a Link header, or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(part, ";")
		if ok && strings.Contains(params, `rel="next"`) {
			return strings.Trim(strings.TrimSpace(u), "<>")
		}
	}
	return ""
}
