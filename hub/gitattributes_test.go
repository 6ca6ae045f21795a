package hub

import (
	"strings"
	"testing"
)

func TestDefaultGitAttributesLFS(t *testing.T) {
	model := parseGitAttributes(defaultGitAttributes(Model))
	dataset := parseGitAttributes(defaultGitAttributes(Dataset))
	for _, tc := range []struct {
		path           string
		model, dataset bool
	}{
		{"model.safetensors", true, true},
		{"sub/dir/pytorch_model.bin", true, true},
		{"archive.tar.gz", true, true},
		{"x.lfs.json", true, true},
		{"saved_model/variables/v.data", true, true},
		{"other/saved_model/v.data", false, false},
		{"events.out.tfevents.123.host", true, true},
		{"config.json", false, false},
		{"README.md", false, false},
		{"image.png", false, true},
		{"audio/clip.mp3", false, true},
		{"safetensors.txt", false, false},
	} {
		if got := matchLFS(model, tc.path); got != tc.model {
			t.Fatalf("model matchLFS(%q) = %v, want %v", tc.path, got, tc.model)
		}
		if got := matchLFS(dataset, tc.path); got != tc.dataset {
			t.Fatalf("dataset matchLFS(%q) = %v, want %v", tc.path, got, tc.dataset)
		}
	}
	if !strings.Contains(defaultGitAttributes(Model), "*.safetensors filter=lfs diff=lfs merge=lfs -text\n") {
		t.Fatal("default .gitattributes lacks the safetensors line")
	}
}

func TestGitAttributesOverrides(t *testing.T) {
	rules := parseGitAttributes("*.bin filter=lfs diff=lfs merge=lfs -text\n# comment\nsmall.bin -filter\n/top/*.dat filter=lfs\ndocs/** filter=lfs\nfile[0-9].x filter=lfs\n")
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"a.bin", true}, {"small.bin", false}, {"d/small.bin", false},
		{"top/x.dat", true}, {"top/sub/x.dat", false}, {"other/top/x.dat", false},
		{"docs/a/b.md", true}, {"file1.x", true}, {"filea.x", false},
	} {
		if got := matchLFS(rules, tc.path); got != tc.want {
			t.Fatalf("matchLFS(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestGitIgnore(t *testing.T) {
	rules := parseGitIgnore("# c\n*.log\n!keep.log\nbuild/\n/root.txt\n.cache\n")
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"a.log", true}, {"d/a.log", true}, {"keep.log", false},
		{"build/x.o", true}, {"src/build/x.o", true}, {"build", false},
		{"root.txt", true}, {"d/root.txt", false},
		{".cache/huggingface/x", true}, {"model.bin", false},
	} {
		if got := ignored(rules, tc.path); got != tc.want {
			t.Fatalf("ignored(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestUploadMode(t *testing.T) {
	rules := parseGitAttributes(defaultGitAttributes(Model))
	text := []byte("hello world\n")
	utf8Cut := []byte(strings.Repeat("é", 255) + "\xc3") // 511 bytes, last rune cut in half
	for _, tc := range []struct {
		name string
		f    PreuploadFile
		want string
	}{
		{"text", PreuploadFile{Path: "a.txt", Size: 12, Sample: text}, UploadRegular},
		{"empty binary ext", PreuploadFile{Path: "a.bin", Size: 0}, UploadRegular},
		{"lfs pattern", PreuploadFile{Path: "w.safetensors", Size: 12, Sample: text}, UploadLFS},
		{"big", PreuploadFile{Path: "a.txt", Size: 10 << 20, Sample: text}, UploadLFS},
		{"just under", PreuploadFile{Path: "a.txt", Size: 10<<20 - 1, Sample: text}, UploadRegular},
		{"nul byte", PreuploadFile{Path: "a.txt", Size: 3, Sample: []byte{'a', 0, 'b'}}, UploadLFS},
		{"invalid utf8", PreuploadFile{Path: "a.txt", Size: 2, Sample: []byte{0xff, 0xfe}}, UploadLFS},
		{"cut rune in partial sample", PreuploadFile{Path: "a.txt", Size: 5000, Sample: utf8Cut}, UploadRegular},
		{"cut rune at end of file", PreuploadFile{Path: "a.txt", Size: int64(len(utf8Cut)), Sample: utf8Cut}, UploadLFS},
	} {
		if got := uploadMode(rules, tc.f, LFSSizeThreshold); got != tc.want {
			t.Fatalf("%s: uploadMode = %s, want %s", tc.name, got, tc.want)
		}
	}
}
