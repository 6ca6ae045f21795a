package hub

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gitRepo is a scratch repository driven by the real git CLI.
type gitRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the git CLI is required for this test: %v", err)
	}
	g := &gitRepo{t: t, dir: t.TempDir(), env: append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(),
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_AUTHOR_DATE=1700000000 +0530",
		"GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com", "GIT_COMMITTER_DATE=1700000100 -0200",
	)}
	g.run(nil, "init", "-q", "--bare")
	return g
}

func (g *gitRepo) run(stdin []byte, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = g.dir, g.env
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestGitObjectsMatchGitCLI(t *testing.T) {
	g := newGitRepo(t)
	blobs := map[string][]byte{"hello": []byte("hello\n"), "empty": nil, "bin": {0, 1, 2, 255}}
	ids := map[string]string{}
	for name, content := range blobs {
		ids[name] = hashObject(objBlob, content)
		if got := strings.TrimSpace(g.run(content, "hash-object", "-w", "--stdin")); got != ids[name] {
			t.Fatalf("blob %s: git id %s, ours %s", name, got, ids[name])
		}
	}
	sub := []treeEntry{{modeFile, "inner.txt", ids["hello"]}}
	subID := hashObject(objTree, mustTree(t, sub))
	// "a" is a directory: git sorts it as "a/", after "a-b" and "a.txt" but before "a0".
	root := []treeEntry{
		{modeFile, "a0", ids["hello"]}, {modeDir, "a", subID}, {modeExec, "a.txt", ids["bin"]},
		{modeSymlink, "a-b", ids["hello"]}, {modeFile, "Z", ids["empty"]},
	}
	rootContent := mustTree(t, root)
	if got, want := treeNames(root), "Z a-b a.txt a a0"; got != want {
		t.Fatalf("tree order = %q, want %q", got, want)
	}
	gitSub := strings.TrimSpace(g.run([]byte("100644 blob "+ids["hello"]+"\tinner.txt\n"), "mktree"))
	var in strings.Builder
	for _, e := range root {
		typ := objBlob
		if e.isDir() {
			typ = objTree
		}
		in.WriteString(strings.TrimLeft(e.Mode, "0") + " " + typ + " " + e.ID + "\t" + e.Name + "\n")
	}
	gitRoot := strings.TrimSpace(g.run([]byte(in.String()), "mktree"))
	if gitSub != subID || gitRoot != hashObject(objTree, rootContent) {
		t.Fatalf("tree ids: git %s %s, ours %s %s", gitSub, gitRoot, subID, hashObject(objTree, rootContent))
	}

	parent := strings.TrimSpace(g.run([]byte("first\n"), "commit-tree", gitSub))
	gitCommit := strings.TrimSpace(g.run([]byte("Second commit\n\nWith a body.\n"), "commit-tree", gitRoot, "-p", parent))
	c := &commitObject{
		Tree: gitRoot, Parents: []string{parent},
		Author:    signature{"Ada Lovelace", "ada@example.com", time.Unix(1700000000, 0).In(time.FixedZone("", 19800))},
		Committer: signature{"Bob", "bob@example.com", time.Unix(1700000100, 0).In(time.FixedZone("", -7200))},
		Message:   "Second commit\n\nWith a body.\n",
	}
	if got := hashObject(objCommit, encodeCommit(c)); got != gitCommit {
		t.Fatalf("commit id: git %s, ours %s\n%s", gitCommit, got, encodeCommit(c))
	}

	// Decoding git's own objects round-trips byte for byte.
	rawCommit := []byte(g.run(nil, "cat-file", "commit", gitCommit))
	dc, err := decodeCommit(rawCommit)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Message, dc.Message); diff != "" || dc.Tree != gitRoot || dc.Parents[0] != parent {
		t.Fatalf("decoded commit differs: %s %+v", diff, dc)
	}
	if !bytes.Equal(encodeCommit(dc), rawCommit) {
		t.Fatalf("re-encoded commit differs:\n%s\nvs\n%s", encodeCommit(dc), rawCommit)
	}
	rawTree := []byte(g.run(nil, "cat-file", "tree", gitRoot))
	dt, err := decodeTree(rawTree)
	if err != nil {
		t.Fatal(err)
	}
	if back := mustTree(t, dt); !bytes.Equal(back, rawTree) {
		t.Fatalf("re-encoded tree differs")
	}
	if got := g.run(nil, "cat-file", "-p", gitCommit); !strings.Contains(got, "author "+c.Author.String()) {
		t.Fatalf("cat-file -p shows %q, want author %q", got, c.Author.String())
	}
}

func mustTree(t *testing.T, entries []treeEntry) []byte {
	t.Helper()
	b, err := encodeTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func treeNames(entries []treeEntry) string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return strings.Join(names, " ")
}

func TestDecodeObjectErrors(t *testing.T) {
	for _, data := range []string{"blob 3", "blob 3\x00ab", "blob x\x00", "tree 1\x00a"} {
		typ, content, err := decodeObject([]byte(data))
		if data == "tree 1\x00a" {
			if err != nil || typ != "tree" || string(content) != "a" {
				t.Fatalf("decodeObject(%q) = %q %q %v", data, typ, content, err)
			}
			if _, err := decodeTree(content); err == nil {
				t.Fatalf("decodeTree(%q) succeeded", content)
			}
			continue
		}
		if err == nil {
			t.Fatalf("decodeObject(%q) succeeded", data)
		}
	}
	if _, err := decodeCommit([]byte("author x <y> 1 +0000\n\nmsg")); err == nil {
		t.Fatal("decodeCommit without tree succeeded")
	}
}

func TestLFSPointer(t *testing.T) {
	oid := strings.Repeat("ab", 32)
	p := lfsPointer(oid, 1234)
	info, ok := parseLFSPointer(p)
	if !ok || info != (LFSInfo{OID: oid, Size: 1234, PointerSize: int64(len(p))}) {
		t.Fatalf("parseLFSPointer = %+v %v", info, ok)
	}
	for _, bad := range []string{
		"hello",
		lfsPointerPrefix + "oid sha256:xyz\nsize 1\n",
		lfsPointerPrefix + "oid sha256:" + oid + "\n",
		lfsPointerPrefix + "oid sha256:" + oid + "\nsize -1\n",
	} {
		if _, ok := parseLFSPointer([]byte(bad)); ok {
			t.Fatalf("parseLFSPointer(%q) ok", bad)
		}
	}
}
