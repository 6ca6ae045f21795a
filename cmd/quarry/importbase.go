package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"quarry/hub"
	"quarry/ml/modelrepo"
)

// defaultModelsDir is where scripts/setup-ml.sh writes converted base models.
const defaultModelsDir = "third_party/models"

// runImportBase publishes the base models converted at set-up as public
// model repos under the "quarry" namespace (creating the user, without a
// password, and the repos when missing) and prints their ids on the last
// line. Files already at main with the same content are not committed
// again, so a second run makes no commit.
func (m *Main) runImportBase(ctx context.Context, args []string) error {
	fs := newFlagSet("import-base", "import-base [--models DIR] [--data DIR]", m.Stderr)
	models := fs.String("models", defaultModelsDir, "directory of the converted base models")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	if _, err := parseFlags(fs, args, 0, ""); err != nil {
		return err
	}
	bases := modelrepo.BaseModels()
	files := make([]map[string][]byte, len(bases))
	for i, b := range bases {
		f, err := b.Files(*models)
		if err != nil {
			return fmt.Errorf("import-base: %w", err)
		}
		files[i] = f
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		caller, err := baseCaller(ctx, svc)
		if err != nil {
			return fmt.Errorf("import-base: %w", err)
		}
		ids := make([]string, len(bases))
		for i, b := range bases {
			id := hub.RepoID{Type: hub.Model, Namespace: modelrepo.BaseNamespace, Name: b.Name}
			msg, err := publish(ctx, svc, caller, id, files[i], "Import base model "+b.ID())
			if err != nil {
				return fmt.Errorf("import-base: %s: %w", b.ID(), err)
			}
			fmt.Fprintf(m.Stdout, "%s: %s\n", b.ID(), msg)
			ids[i] = b.ID()
		}
		fmt.Fprintln(m.Stdout, strings.Join(ids, " "))
		return nil
	})
}

// baseCaller returns the owner of the base models, creating the user
// (tokens only, no password) when it does not exist.
func baseCaller(ctx context.Context, svc *hub.Service) (*hub.Caller, error) {
	u, err := svc.Meta.GetUser(ctx, modelrepo.BaseNamespace)
	if errors.Is(err, hub.ErrNotFound) {
		u, err = svc.CreateUser(ctx, modelrepo.BaseNamespace, "", "", false)
		if errors.Is(err, hub.ErrConflict) { // created concurrently
			u, err = svc.Meta.GetUser(ctx, modelrepo.BaseNamespace)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", modelrepo.BaseNamespace, err)
	}
	return &hub.Caller{User: u}, nil
}

// publish makes main of the public repo id hold files: it creates the repo
// when missing and commits, in one commit, the files whose content differs
// from main (large and .onnx files through LFS). It describes what it did.
func publish(ctx context.Context, svc *hub.Service, c *hub.Caller, id hub.RepoID, files map[string][]byte, summary string) (string, error) {
	if _, err := svc.CreateRepo(ctx, c, hub.CreateRepoInput{ID: id}); err != nil && !errors.Is(err, hub.ErrConflict) {
		return "", err
	}
	rev, err := svc.ResolveRevision(ctx, c, id, hub.DefaultBranch)
	if err != nil {
		return "", err
	}
	paths := slices.Sorted(maps.Keys(files))
	have, err := svc.PathsInfo(ctx, rev, paths)
	if err != nil {
		return "", err
	}
	current := map[string]hub.Entry{}
	for _, e := range have {
		current[e.Path] = e
	}
	var ops []hub.Op
	for _, p := range paths {
		op, err := fileOp(ctx, svc, c, id, p, files[p], current)
		if err != nil {
			return "", err
		}
		if op != nil {
			ops = append(ops, *op)
		}
	}
	if len(ops) == 0 {
		return "up to date at " + rev.Commit, nil
	}
	info, err := svc.Commit(ctx, c, id, hub.CommitInput{Summary: summary, Ops: ops})
	if err != nil {
		return "", err
	}
	changed := make([]string, len(ops))
	for i, op := range ops {
		changed[i] = op.Path
	}
	return fmt.Sprintf("committed %s (%s)", info.ID, strings.Join(changed, ", ")), nil
}

// fileOp returns the op that puts data at path, or nil when main already
// holds exactly that content in the same form (regular file or LFS).
func fileOp(ctx context.Context, svc *hub.Service, c *hub.Caller, id hub.RepoID, path string, data []byte, current map[string]hub.Entry) (*hub.Op, error) {
	e, exists := current[path]
	if !useLFS(path, data) {
		if exists && e.LFS == nil && e.OID == gitBlobID(data) {
			return nil, nil
		}
		return &hub.Op{Kind: hub.OpFile, Path: path, Content: data}, nil
	}
	sum := sha256.Sum256(data)
	if exists && e.LFS != nil && e.LFS.OID == hex.EncodeToString(sum[:]) {
		return nil, nil
	}
	obj, err := svc.StoreLFS(ctx, c, id, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return &hub.Op{Kind: hub.OpLFSFile, Path: path, OID: obj.OID, Size: obj.Size}, nil
}

// useLFS reports whether a file is stored through LFS: ONNX graphs (as on
// the Hugging Face Hub) and anything too large for a regular file.
func useLFS(path string, data []byte) bool {
	return strings.HasSuffix(path, ".onnx") || len(data) > hub.MaxRegularFileSize
}

// gitBlobID is the git object id of a blob holding data.
func gitBlobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
