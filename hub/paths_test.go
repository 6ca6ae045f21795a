package hub

import (
	"errors"
	"testing"
)

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"README.md", true},
		{"a/b/c.txt", true},
		{".gitattributes", true},
		{".github/workflows/x.yml", true},
		{"dir/.gitkeep", true},
		{"with space/ünïcode.txt", true},
		{"", false},
		{"/abs", false},
		{"a//b", false},
		{"a/", false},
		{"./a", false},
		{"a/./b", false},
		{"../a", false},
		{"a/..", false},
		{"a\\b", false},
		{"a\x00b", false},
		{".git", false},
		{".git/config", false},
		{"sub/.git/HEAD", false},
		{".GIT/config", false},
	} {
		err := ValidatePath(tc.path)
		if got := err == nil; got != tc.ok {
			t.Fatalf("ValidatePath(%q) = %v, want ok=%v", tc.path, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadPath) {
			t.Fatalf("ValidatePath(%q) = %v, want ErrBadPath", tc.path, err)
		}
	}
}

func TestValidateRefName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"main", true}, {"feature/x", true}, {"v1.0", true}, {"a-b_c", true},
		{"", false}, {"refs/heads/x", false}, {"HEAD", false}, {"a..b", false}, {"a b", false},
		{"a~1", false}, {"a^", false}, {"a:b", false}, {"/a", false}, {"a/", false}, {"a.", false},
		{"a.lock", false}, {".hidden", false}, {"a//b", false}, {"a@{1}", false}, {"a*", false},
	} {
		if got := ValidateRefName("branch", tc.name) == nil; got != tc.ok {
			t.Fatalf("ValidateRefName(%q) ok=%v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestRefCandidates(t *testing.T) {
	for _, tc := range []struct {
		rev  string
		want []string
	}{
		{"", []string{"refs/heads/main"}},
		{"HEAD", []string{"refs/heads/main"}},
		{"dev", []string{"refs/heads/dev", "refs/tags/dev"}},
		{"a/b", []string{"refs/heads/a/b", "refs/tags/a/b"}},
		{"refs/tags/v1", []string{"refs/tags/v1"}},
		{"refs/pr/1", []string{"refs/pr/1"}},
	} {
		got := refCandidates(tc.rev)
		if len(got) != len(tc.want) {
			t.Fatalf("refCandidates(%q) = %v, want %v", tc.rev, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("refCandidates(%q) = %v, want %v", tc.rev, got, tc.want)
			}
		}
	}
}
