package main

import "testing"

func TestWithFlagDataset(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"---\nlicense: other\n---\n# x\n", "---\nlicense: other\ndemo:\n  flag_dataset: d/f\n---\n# x\n"},
		{"---\ndemo:\n  flag_dataset: a/b\n---\nbody\n", "---\ndemo:\n  flag_dataset: a/b\n---\nbody\n"},
	} {
		got, err := withFlagDataset(tc.in, "d/f")
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Fatalf("withFlagDataset(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"# no front matter\n", "---\nlicense: other\n"} {
		if _, err := withFlagDataset(bad, "d/f"); err == nil {
			t.Fatalf("withFlagDataset(%q): no error", bad)
		}
	}
}
