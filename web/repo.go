package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
	"quarry/modelcards"
)

// maxCardSize bounds the README.md a page renders.
const maxCardSize = 1 << 20

// imagePipeline is the pipeline tag whose models have a demo.
const imagePipeline = "image-classification"

// repoHead is the header every repo page shares: name, badges, tabs.
type repoHead struct {
	ID          hub.RepoID
	URL         string // "/NS/NAME" (with datasets/ or spaces/)
	Type        string
	Private     bool
	Tab         string // "card", "files", "commits" or "compare"
	Rev         string // revision name shown and used in links
	RevSeg      string // Rev as one URL path segment
	PipelineTag string
	LibraryName string
	Settings    bool   // the reader may change the repo's settings
	Demo        string // URL of the demo, "" when there is none
}

// head builds the header of repo at rev for the reader.
func (s *site) head(r *reader, repo *hub.Repo, tab, rev string) repoHead {
	h := repoHead{ID: repo.ID, URL: repoURL(repo.ID), Type: string(repo.ID.Type), Private: repo.Private, Tab: tab,
		Rev: rev, RevSeg: revSegment(rev), PipelineTag: repo.PipelineTag, LibraryName: repo.LibraryName}
	h.Settings = r.caller.Session != nil && hub.Decide(r.caller, repo, nil, hub.ActionAdmin) == nil
	if repo.ID.Type == hub.Model && repo.PipelineTag == imagePipeline {
		h.Demo = h.URL + "/demo/"
	}
	return h
}

// cardFile is a revision's README.md.
type cardFile struct {
	Raw      []byte
	Card     *modelcards.Card // nil when the front matter does not parse
	ParseErr error
}

// readCard reads README.md at rev; nil when there is none. A card too big
// to render gives an error page.
func (s *site) readCard(ctx context.Context, rev *hub.Revision) (*cardFile, error) {
	f, err := s.svc.Stat(ctx, rev, "README.md", false)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.Size > maxCardSize {
		return &cardFile{ParseErr: fmt.Errorf("README.md is %s, too big to show here", formatSize(f.Size))}, nil
	}
	raw, err := s.readAll(ctx, f)
	if err != nil {
		return nil, err
	}
	card, perr := modelcards.Parse(raw)
	return &cardFile{Raw: raw, Card: card, ParseErr: perr}, nil
}

// readAll reads a whole (size-checked) file.
func (s *site) readAll(ctx context.Context, f *hub.File) ([]byte, error) {
	rc, err := s.svc.OpenFile(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// metaItem is one line of the card's metadata panel.
type metaItem struct {
	Label  string
	Values []string
}

// refRow is a branch or tag.
type refRow struct {
	Name   string
	URL    string // its tree
	Commit string
}

// repoData is the repo page's data.
type repoData struct {
	Head       repoHead
	Card       template.HTML
	HasCard    bool
	CardError  string
	Meta       []metaItem
	Metrics    metricsPanel
	Files      []fileRow
	LastCommit *hub.CommitInfo
	Commits    int
	Branches   []refRow
	Tags       []refRow
	Snippets   []snippet
}

// repoPage serves /NS/NAME: card, metrics, files, refs and snippets of the
// default branch.
func (s *site) repoPage(c *fiber.Ctx, r *reader, repo *hub.Repo) error {
	ctx := c.UserContext()
	rev, err := s.svc.ResolveRevision(ctx, r.caller, repo.ID, "")
	if err != nil {
		return err
	}
	d := repoData{Head: s.head(r, repo, "card", revName(rev))}
	if err := s.fillCard(ctx, &d, rev); err != nil {
		return err
	}
	entries, err := s.svc.Tree(ctx, rev, "", false)
	if err != nil {
		return err
	}
	d.Files = fileRows(d.Head, entries)
	commits, total, err := s.svc.ListCommits(ctx, rev, 0, 1)
	if err != nil {
		return err
	}
	if len(commits) > 0 {
		d.LastCommit, d.Commits = &commits[0], total
	}
	if d.Branches, d.Tags, err = s.refRows(ctx, repo); err != nil {
		return err
	}
	d.Snippets = snippets(s.endpoint(c), repo, d.Head)
	return s.render(c, fiber.StatusOK, "repo", r.view(c, repo.ID.String(), d))
}

// fillCard renders the card, its metadata and its metrics into d.
func (s *site) fillCard(ctx context.Context, d *repoData, rev *hub.Revision) error {
	cf, err := s.readCard(ctx, rev)
	if err != nil || cf == nil {
		return err
	}
	links := cardLinks{blobBase: d.Head.URL + "/blob/" + d.Head.RevSeg + "/", resolveBase: d.Head.URL + "/resolve/" + d.Head.RevSeg + "/"}
	d.HasCard = true
	switch {
	case cf.Raw == nil:
		d.CardError = cf.ParseErr.Error()
	case cf.ParseErr != nil:
		d.CardError = cf.ParseErr.Error() + " The card is shown as plain Markdown."
		d.Card = renderMarkdown(cf.Raw, links)
	default:
		d.Card = renderMarkdown([]byte(cf.Card.Body), links)
		d.Meta = cardMeta(cf.Card)
		d.Metrics = metricsOf(cf.Card)
		if d.Head.Type == string(hub.Space) && len(cf.Card.Models()) > 0 {
			d.Head.Demo = d.Head.URL + "/" // the demo's space root
		}
	}
	return nil
}

// cardMeta lists the card's well-known metadata.
func cardMeta(card *modelcards.Card) []metaItem {
	var out []metaItem
	add := func(label string, values ...string) {
		var vs []string
		for _, v := range values {
			if v != "" {
				vs = append(vs, v)
			}
		}
		if len(vs) > 0 {
			out = append(out, metaItem{Label: label, Values: vs})
		}
	}
	add("Task", card.PipelineTag())
	add("Library", card.LibraryName())
	add("License", card.Licenses()...)
	add("Base model", card.BaseModels()...)
	add("Datasets", card.Datasets()...)
	add("Models", card.Models()...)
	add("Languages", card.Languages()...)
	add("Tags", card.Tags()...)
	return out
}

// refRows lists the repo's branches and tags.
func (s *site) refRows(ctx context.Context, repo *hub.Repo) (branches, tags []refRow, err error) {
	refs, err := s.svc.ListRefs(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	base := repoURL(repo.ID)
	for _, ref := range refs {
		if b, ok := strings.CutPrefix(ref.Name, hub.BranchPrefix); ok {
			branches = append(branches, refRow{Name: b, URL: base + "/tree/" + revSegment(b), Commit: ref.Commit})
		} else if t, ok := strings.CutPrefix(ref.Name, hub.TagPrefix); ok {
			tags = append(tags, refRow{Name: t, URL: base + "/tree/" + revSegment(t), Commit: ref.Commit})
		}
	}
	return branches, tags, nil
}

// endpoint returns the site's public base URL for snippets.
func (s *site) endpoint(c *fiber.Ctx) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	return c.BaseURL()
}

// snippet is one "Use this repo" code sample.
type snippet struct {
	ID    string // element id, for the copy button
	Title string
	Lang  string
	Code  string
}

// snippets returns the code samples for repo.
func snippets(endpoint string, repo *hub.Repo, h repoHead) []snippet {
	id := repo.ID.String()
	token := ""
	if repo.Private {
		token = `, token=os.environ["HF_TOKEN"]`
	}
	repoType := ""
	if repo.ID.Type != hub.Model {
		repoType = fmt.Sprintf(", repo_type=%q", string(repo.ID.Type))
	}
	py := fmt.Sprintf("import os\nos.environ[\"HF_ENDPOINT\"] = %q  # before importing huggingface_hub\n"+
		"from huggingface_hub import snapshot_download\n\npath = snapshot_download(%q%s%s)\n", endpoint, id, repoType, token)
	jsToken := ""
	if repo.Private {
		jsToken = "\n  accessToken: process.env.HF_TOKEN,"
	}
	js := fmt.Sprintf("import { listFiles } from \"@huggingface/hub\";\n\n"+
		"for await (const file of listFiles({\n  repo: { type: %q, name: %q },\n  hubUrl: %q,%s\n})) {\n  console.log(file.path);\n}\n",
		string(repo.ID.Type), id, endpoint, jsToken)
	out := []snippet{
		{ID: "snippet-python", Title: "Python (huggingface_hub)", Lang: "python", Code: py},
		{ID: "snippet-js", Title: "JavaScript (@huggingface/hub)", Lang: "javascript", Code: js},
	}
	if repo.ID.Type == hub.Model && h.PipelineTag != "" {
		tjs := fmt.Sprintf("import { env, pipeline } from \"@huggingface/transformers\";\n\n"+
			"env.remoteHost = %q;\nenv.allowLocalModels = false;\n\n"+
			"const run = await pipeline(%q, %q);\n", endpoint+"/", h.PipelineTag, id)
		if repo.Private {
			tjs += "// Private models need a token: serve them through your own proxy, or make the model public.\n"
		}
		out = append(out, snippet{ID: "snippet-transformers-js", Title: "Browser (transformers.js)", Lang: "javascript", Code: tjs})
	}
	return out
}

// pathURL returns base + "/" + the escaped repo path.
func pathURL(base, p string) string {
	if p == "" {
		return base
	}
	return base + "/" + escapePath(p)
}
