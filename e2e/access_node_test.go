package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestAccessJSClientReadToken (issue 3, acceptance 4) runs e2e/access.test.mjs:
// @huggingface/hub with read tokens downloads from private repos the token's
// user may read (her own; an org repo granted to his team) and is refused
// with 403 on upload.
func TestAccessJSClientReadToken(t *testing.T) {
	node, err := exec.LookPath("node")
	requireTool(t, err == nil, "node")
	_, err = os.Stat(filepath.Join("node_modules", "@huggingface", "hub", "package.json"))
	requireTool(t, err == nil, "e2e/node_modules/@huggingface/hub")

	w := newAccessWorld(t)
	files := map[string][]byte{
		"notes.txt":       []byte("private notes, readable with a read token\n"),
		"weights/big.bin": bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 256<<10), // 2 MiB, LFS
	}
	own := w.kindRepo(privUser, "js-private", nil)
	team := w.kindRepo(teamOrg, "js-granted", nil)
	for _, repo := range []string{own, team} {
		t.Run("upload to "+repo, func(t *testing.T) { uploadAll(w.with(t).owner, repo, files) })
	}
	teamToken := w.token(teamRead, "token", "create", teamUser, "--role", "read", "--label", "js")
	sums := map[string]string{}
	for path, b := range files {
		sums[path] = sha256Hex(b)
	}
	sumsJSON, _ := json.Marshal(sums)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "access.test.mjs")
	cmd.Env = append(serverEnv(),
		"QUARRY_ENDPOINT="+w.srv.URL,
		"QUARRY_FILES="+string(sumsJSON),
		"QUARRY_USER="+ownerUser, "QUARRY_READ_TOKEN="+w.tokens[ownerRead], "QUARRY_REPO="+own,
		"QUARRY_TEAM_USER="+teamUser, "QUARRY_TEAM_READ_TOKEN="+teamToken, "QUARRY_TEAM_REPO="+team,
		"NO_COLOR=1",
	)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test access.test.mjs: %v (see its output above)", err)
	}
}

// uploadAll commits files to repo as c: small text inline, the rest through
// LFS (batch + PUT + lfsFile).
func uploadAll(c *client, repo string, files map[string][]byte) {
	var lines []commitLine
	for path, b := range files {
		if len(b) < 1<<20 {
			lines = append(lines, regularFile(path, b))
			continue
		}
		lines = append(lines, lfsFile(path, c.uploadLFS(repo, b), int64(len(b))))
	}
	c.commitFiles(repo, "Add files for the JS client", lines...)
}
