package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"quarry/hub"
	"quarry/hub/hubclient"
	"quarry/ml/modelrepo"
	"quarry/train/tiles"
)

// The demo content `make run` creates on first start (QUARRY_DEMO_CONTENT=1).
const (
	demoContentEnv   = "QUARRY_DEMO_CONTENT"
	demoUser         = "demo"
	demoModelID      = "demo/amber-mines"
	demoDatasetID    = "demo/amber-mines-data"
	demoFlagsID      = "demo/amber-mines-flags"
	demoTilesPerCls  = 250
	demoTileSeed     = 20260501
	demoTrainTimeout = 30 * time.Minute
)

// demoDescription is what the demo dataset's card says about the images.
const demoDescription = "Satellite-like tiles made by Quarry's deterministic generator (train/tiles): " +
	"`mine` tiles show clusters of round pits, spoil heaps of sand and standing water; `no_mine` tiles " +
	"show the same kinds of ground without them. It exists to demonstrate training and the demo page."

// startDemoContent, when QUARRY_DEMO_CONTENT=1, creates the demo content in
// the background once the server runs: the base models (import-base), user
// demo, the synthetic dataset demo/amber-mines-data (250 + 250 tiles), a
// 3-candidate training project and the published winner demo/amber-mines.
// It does nothing when demo/amber-mines exists. Errors are logged.
func (m *Main) startDemoContent(ctx context.Context, svc *hub.Service, url string, logf func(string, ...any)) {
	if m.Getenv(demoContentEnv) != "1" {
		return
	}
	go func() {
		start := time.Now()
		err := makeDemoContent(ctx, svc, url, modelsDirPath(m.Getenv), logf)
		switch {
		case errors.Is(err, errDemoExists):
			logf("demo content: %s exists", demoModelID)
		case err != nil:
			logf("demo content: %v", err)
		default:
			logf("demo content: %s published in %s", demoModelID, time.Since(start).Round(time.Second))
		}
	}()
}

var errDemoExists = errors.New("demo content exists")

func makeDemoContent(ctx context.Context, svc *hub.Service, url, modelsDir string, logf func(string, ...any)) error {
	anon := hubclient.New(url, "")
	if _, err := anon.RepoInfo(ctx, hubclient.Model, demoModelID, ""); err == nil {
		return errDemoExists
	} else if !hubclient.IsNotFound(err) {
		return err
	}
	if err := importBaseModels(ctx, svc, modelsDir, logf); err != nil {
		return err
	}
	token, revoke, err := demoToken(ctx, svc)
	if err != nil {
		return err
	}
	defer revoke()
	api := hubclient.New(url, token)
	if err := demoDataset(ctx, api, token, logf); err != nil {
		return err
	}
	p, err := demoProject(ctx, api, logf)
	if err != nil {
		return err
	}
	if _, err := api.PublishProject(ctx, p.ID, "", false); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return demoCard(ctx, api)
}

// importBaseModels publishes the base models as import-base does.
func importBaseModels(ctx context.Context, svc *hub.Service, dir string, logf func(string, ...any)) error {
	c, err := baseCaller(ctx, svc)
	if err != nil {
		return err
	}
	for _, b := range modelrepo.BaseModels() {
		files, err := b.Files(dir)
		if err != nil {
			return fmt.Errorf("base model %s (run make setup): %w", b.ID(), err)
		}
		id := hub.RepoID{Type: hub.Model, Namespace: modelrepo.BaseNamespace, Name: b.Name}
		msg, err := publish(ctx, svc, c, id, files, "Import base model "+b.ID())
		if err != nil {
			return fmt.Errorf("import %s: %w", b.ID(), err)
		}
		logf("demo content: %s %s", b.ID(), msg)
	}
	return nil
}

// modelsDirPath is the converted base models' directory: QUARRY_MODELS,
// else under the working directory, else under the binary's parent.
func modelsDirPath(getenv func(string) string) string {
	if v := getenv("QUARRY_MODELS"); v != "" {
		return v
	}
	if exe, err := os.Executable(); err == nil {
		if _, err := os.Stat(defaultModelsDir); err != nil {
			return filepath.Join(filepath.Dir(filepath.Dir(exe)), defaultModelsDir)
		}
	}
	return defaultModelsDir
}

// demoToken creates user demo when missing and a write token for it,
// revoked by the returned function.
func demoToken(ctx context.Context, svc *hub.Service) (string, func(), error) {
	if _, err := svc.CreateUser(ctx, demoUser, "", "", false); err != nil && !errors.Is(err, hub.ErrConflict) {
		return "", nil, fmt.Errorf("user %s: %w", demoUser, err)
	}
	token, tok, err := svc.CreateToken(ctx, demoUser, hub.RoleWrite, "demo content "+time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return "", nil, fmt.Errorf("token for %s: %w", demoUser, err)
	}
	return token, func() { _ = svc.RevokeToken(context.Background(), demoUser, tok.Hash) }, nil
}

// demoDataset generates and uploads the synthetic tiles unless the dataset
// exists.
func demoDataset(ctx context.Context, api *hubclient.Client, token string, logf func(string, ...any)) error {
	if _, err := api.RepoInfo(ctx, hubclient.Dataset, demoDatasetID, ""); err == nil {
		return nil
	} else if !hubclient.IsNotFound(err) {
		return err
	}
	dir, err := os.MkdirTemp("", "quarry-demo-tiles-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := tiles.GenerateSet(dir, demoTileSeed, demoTilesPerCls, tiles.DefaultSize); err != nil {
		return err
	}
	f := &datasetFlags{endpoint: api.Endpoint, token: token, id: demoDatasetID, description: demoDescription,
		license: "cc0-1.0", positive: tiles.LabelMine, synthetic: true}
	res, err := uploadDataset(ctx, f, dir, logWriter(logf))
	if err != nil {
		return err
	}
	logf("demo content: uploaded %s at %s (%d files)", res.Dataset, shortRev(res.Revision), res.Files)
	return nil
}

// demoProject creates the training project (or finds the one a previous
// start created) and waits until it ends.
func demoProject(ctx context.Context, api *hubclient.Client, logf func(string, ...any)) (*hubclient.Project, error) {
	var p *hubclient.Project
	ps, err := api.ListProjects(ctx, demoUser)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Name == demoModelID {
			p = &ps[i]
		}
	}
	if p == nil {
		if p, err = api.CreateProject(ctx, hubclient.ProjectRequest{Name: demoModelID, Dataset: demoDatasetID,
			Positive: tiles.LabelMine, Metric: "f1"}); err != nil {
			return nil, fmt.Errorf("training project: %w", err)
		}
		logf("demo content: training project %s: %d candidates", p.ID, len(p.Candidates))
	}
	ctx, cancel := context.WithTimeout(ctx, demoTrainTimeout)
	defer cancel()
	for !hubclient.TerminalState(p.State) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("training project %s: %w", p.ID, ctx.Err())
		case <-time.After(2 * time.Second):
		}
		if p, err = api.Project(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	if p.State != "succeeded" {
		return nil, fmt.Errorf("training project %s %s", p.ID, p.State)
	}
	logf("demo content: project %s succeeded, winner %s", p.ID, p.Winner)
	return p, nil
}

// demoCard adds the demo's flag dataset to the published card's front
// matter (demo: {flag_dataset: ...}).
func demoCard(ctx context.Context, api *hubclient.Client) error {
	var buf bytes.Buffer
	if _, err := api.Download(ctx, hubclient.Model, demoModelID, "main", "README.md", &buf); err != nil {
		return err
	}
	card, err := withFlagDataset(buf.String(), demoFlagsID)
	if err != nil {
		return err
	}
	_, err = api.Commit(ctx, hubclient.Model, demoModelID, "main", hubclient.Commit{Summary: "Enable flagging in the demo",
		Ops: []hubclient.CommitOp{{Path: "README.md", Content: []byte(card)}}})
	return err
}

// withFlagDataset inserts `demo: {flag_dataset: id}` at the end of a
// card's front matter.
func withFlagDataset(card, id string) (string, error) {
	if !strings.HasPrefix(card, "---\n") {
		return "", errors.New("the card has no front matter")
	}
	end := strings.Index(card[4:], "\n---")
	if end < 0 {
		return "", errors.New("the card's front matter does not end")
	}
	end += 4 + 1
	if strings.Contains("\n"+card[:end], "\ndemo:") {
		return card, nil
	}
	return card[:end] + "demo:\n  flag_dataset: " + id + "\n" + card[end:], nil
}

// logWriter is an io.Writer whose lines go to logf.
type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w("demo content: %s", line)
	}
	return len(p), nil
}
