package dataset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseLayout(t *testing.T) {
	cases := []struct {
		name  string
		paths []string
		want  Layout
	}{
		{
			name: "class folders at the root",
			paths: []string{"README.md", ".gitattributes", "no_mine/b.PNG", "mine/a.png", "mine/", "mine/notes.txt",
				"mine/.DS_Store", "__MACOSX/mine/._a.png", "mine/sub/c.png"},
			want: Layout{
				Files:     []File{{Path: "mine/a.png", Label: "mine"}, {Path: "no_mine/b.PNG", Label: "no_mine"}},
				NonImages: []string{"mine/notes.txt"},
				Misplaced: []string{"mine/sub/c.png"},
				Ignored:   []string{".gitattributes", "__MACOSX/mine/._a.png", "mine/.DS_Store", "README.md"},
			},
		},
		{
			name:  "split folders",
			paths: []string{"train/mine/a.jpg", "Validation/mine/b.jpeg", "test/no_mine/c.webp", "val/no_mine/d.png", "mine/e.png", "README.md"},
			want: Layout{
				Splits: true,
				Files: []File{
					{Path: "Validation/mine/b.jpeg", Label: "mine", Split: SplitValidation},
					{Path: "test/no_mine/c.webp", Label: "no_mine", Split: SplitTest},
					{Path: "train/mine/a.jpg", Label: "mine", Split: SplitTrain},
					{Path: "val/no_mine/d.png", Label: "no_mine", Split: SplitValidation},
				},
				Misplaced: []string{"mine/e.png"},
				Ignored:   []string{"README.md"},
			},
		},
		{
			name:  "single wrapper folder is stripped",
			paths: []string{"amber/mine/a.png", "amber/no_mine/b.png"},
			want: Layout{Root: "amber", Files: []File{
				{Path: "amber/mine/a.png", Label: "mine"}, {Path: "amber/no_mine/b.png", Label: "no_mine"}}},
		},
		{
			name:  "a train folder is not a wrapper",
			paths: []string{"train/mine/a.png", "train/no_mine/b.png"},
			want: Layout{Splits: true, Files: []File{
				{Path: "train/mine/a.png", Label: "mine", Split: SplitTrain},
				{Path: "train/no_mine/b.png", Label: "no_mine", Split: SplitTrain}}},
		},
		{name: "empty", paths: nil, want: Layout{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseLayout(c.paths)
			if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLabelsSorted(t *testing.T) {
	l := ParseLayout([]string{"zebra/1.png", "ant/2.png", "zebra/3.png", "Mine/4.png"})
	if diff := cmp.Diff([]string{"Mine", "ant", "zebra"}, l.Labels()); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
