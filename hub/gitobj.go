package hub

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Git object types.
const (
	objBlob   = "blob"
	objTree   = "tree"
	objCommit = "commit"
)

// Git tree entry modes, spelled as git writes them in tree objects.
const (
	modeFile    = "100644"
	modeExec    = "100755"
	modeSymlink = "120000"
	modeDir     = "40000"
	modeGitlink = "160000"
)

// objectHeader returns the "<type> <size>\x00" prefix of a git object.
func objectHeader(typ string, size int) []byte {
	return []byte(typ + " " + strconv.Itoa(size) + "\x00")
}

// encodeObject returns the canonical uncompressed encoding of an object,
// whose sha1 is the object id.
func encodeObject(typ string, content []byte) []byte {
	h := objectHeader(typ, len(content))
	out := make([]byte, 0, len(h)+len(content))
	return append(append(out, h...), content...)
}

// hashObject returns the git id of an object of the given type and content.
func hashObject(typ string, content []byte) string {
	sum := sha1.New()
	sum.Write(objectHeader(typ, len(content)))
	sum.Write(content)
	return hex.EncodeToString(sum.Sum(nil))
}

// decodeObject splits an encoded object into its type and content.
func decodeObject(data []byte) (typ string, content []byte, err error) {
	nul := bytes.IndexByte(data, 0)
	if nul < 0 {
		return "", nil, fmt.Errorf("git object: missing header")
	}
	typ, sizeStr, ok := strings.Cut(string(data[:nul]), " ")
	size, err := strconv.Atoi(sizeStr)
	if !ok || err != nil || size != len(data)-nul-1 {
		return "", nil, fmt.Errorf("git object: bad header %q", data[:nul])
	}
	return typ, data[nul+1:], nil
}

// treeEntry is one entry of a git tree.
type treeEntry struct {
	Mode string
	Name string
	ID   string // 40 hex
}

func (e treeEntry) isDir() bool { return e.Mode == modeDir }

// sortKey is the name git compares entries by: trees sort as if their name
// ended with '/'.
func (e treeEntry) sortKey() string {
	if e.isDir() {
		return e.Name + "/"
	}
	return e.Name
}

// sortTree orders entries as git requires.
func sortTree(entries []treeEntry) {
	slices.SortFunc(entries, func(a, b treeEntry) int { return strings.Compare(a.sortKey(), b.sortKey()) })
}

// encodeTree returns the content of a tree object holding entries, which it
// sorts in place.
func encodeTree(entries []treeEntry) ([]byte, error) {
	sortTree(entries)
	var buf bytes.Buffer
	for _, e := range entries {
		id, err := hex.DecodeString(e.ID)
		if err != nil || len(id) != 20 {
			return nil, fmt.Errorf("tree entry %q: bad id %q", e.Name, e.ID)
		}
		buf.WriteString(e.Mode + " " + e.Name + "\x00")
		buf.Write(id)
	}
	return buf.Bytes(), nil
}

// decodeTree parses the content of a tree object.
func decodeTree(content []byte) ([]treeEntry, error) {
	var entries []treeEntry
	for len(content) > 0 {
		nul := bytes.IndexByte(content, 0)
		if nul < 0 || len(content) < nul+21 {
			return nil, fmt.Errorf("git tree: truncated entry")
		}
		mode, name, ok := strings.Cut(string(content[:nul]), " ")
		if !ok || name == "" {
			return nil, fmt.Errorf("git tree: bad entry %q", content[:nul])
		}
		entries = append(entries, treeEntry{Mode: normalizeMode(mode), Name: name,
			ID: hex.EncodeToString(content[nul+1 : nul+21])})
		content = content[nul+21:]
	}
	return entries, nil
}

// normalizeMode maps legacy modes (e.g. 100664, 040000) to the canonical ones.
func normalizeMode(m string) string {
	switch {
	case strings.TrimLeft(m, "0") == modeDir:
		return modeDir
	case m == modeExec, m == modeSymlink, m == modeGitlink:
		return m
	case strings.HasPrefix(m, "100"):
		return modeFile
	}
	return m
}

// signature is a commit's author or committer.
type signature struct {
	Name  string
	Email string
	When  time.Time
}

func (s signature) String() string {
	_, off := s.When.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", s.Name, s.Email, s.When.Unix(), sign, off/3600, off/60%60)
}

func parseSignature(s string) (signature, error) {
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return signature{}, fmt.Errorf("git commit: bad signature %q", s)
	}
	sig := signature{Name: strings.TrimSpace(s[:lt]), Email: s[lt+1 : gt]}
	fields := strings.Fields(s[gt+1:])
	if len(fields) != 2 || len(fields[1]) != 5 {
		return signature{}, fmt.Errorf("git commit: bad signature date %q", s)
	}
	unix, err1 := strconv.ParseInt(fields[0], 10, 64)
	hh, err2 := strconv.Atoi(fields[1][1:3])
	mm, err3 := strconv.Atoi(fields[1][3:5])
	if err1 != nil || err2 != nil || err3 != nil {
		return signature{}, fmt.Errorf("git commit: bad signature date %q", s)
	}
	off := hh*3600 + mm*60
	if fields[1][0] == '-' {
		off = -off
	}
	sig.When = time.Unix(unix, 0).In(time.FixedZone("", off))
	return sig, nil
}

// commitObject is a decoded git commit.
type commitObject struct {
	Tree      string
	Parents   []string
	Author    signature
	Committer signature
	Extra     []string // other header lines (gpgsig, encoding...), kept verbatim
	Message   string
}

// encodeCommit returns the content of a commit object.
func encodeCommit(c *commitObject) []byte {
	var b strings.Builder
	b.WriteString("tree " + c.Tree + "\n")
	for _, p := range c.Parents {
		b.WriteString("parent " + p + "\n")
	}
	b.WriteString("author " + c.Author.String() + "\n")
	b.WriteString("committer " + c.Committer.String() + "\n")
	for _, x := range c.Extra {
		b.WriteString(x + "\n")
	}
	b.WriteString("\n" + c.Message)
	return []byte(b.String())
}

// decodeCommit parses the content of a commit object.
func decodeCommit(content []byte) (*commitObject, error) {
	head, msg, ok := strings.Cut(string(content), "\n\n")
	if !ok {
		head, msg = strings.TrimSuffix(string(content), "\n"), ""
	}
	c := &commitObject{Message: msg}
	for _, line := range strings.Split(head, "\n") {
		key, val, _ := strings.Cut(line, " ")
		var err error
		switch key {
		case "tree":
			c.Tree = val
		case "parent":
			c.Parents = append(c.Parents, val)
		case "author":
			c.Author, err = parseSignature(val)
		case "committer":
			c.Committer, err = parseSignature(val)
		default:
			c.Extra = append(c.Extra, line)
		}
		if err != nil {
			return nil, err
		}
	}
	if !isHexID(c.Tree) {
		return nil, fmt.Errorf("git commit: missing tree")
	}
	return c, nil
}

// isHexID reports whether s is a full lowercase 40-hex object id.
func isHexID(s string) bool { return len(s) == 40 && isLowerHex(s) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
