// Package dataset prepares image-classification datasets for training:
// it reads the imagefolder layout from a list of paths, inspects and
// validates the images (classes, counts, corrupt files, duplicates,
// imbalance, the positive label), makes the stratified train/validation
// split, and opens zip uploads safely (no path escapes, links or zip bombs).
package dataset

import (
	"path"
	"slices"
	"strings"
)

// Split names.
const (
	SplitTrain      = "train"
	SplitValidation = "validation"
	SplitTest       = "test"
)

// splitKeywords maps folder names (lower case) to split names, as the
// Hugging Face datasets library recognises them.
var splitKeywords = map[string]string{
	"train": SplitTrain, "training": SplitTrain,
	"validation": SplitValidation, "valid": SplitValidation, "val": SplitValidation, "dev": SplitValidation,
	"test": SplitTest, "testing": SplitTest, "eval": SplitTest, "evaluation": SplitTest,
}

// imageExts are the accepted image file extensions (lower case).
var imageExts = []string{".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}

// IsImageName reports whether a file name has an accepted image extension.
func IsImageName(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(path.Ext(name)))
}

// File is an image file of the dataset: its path, its class label (the name
// of its class folder) and its split ("" when the dataset has no split
// folders).
type File struct {
	Path  string `json:"path"`
	Label string `json:"label"`
	Split string `json:"split,omitempty"`
}

// Layout is the imagefolder reading of a list of paths: class folders at the
// root (LABEL/file) or under split folders (train/LABEL/file,
// validation/LABEL/file, test/LABEL/file).
type Layout struct {
	// Files are the images, in path order.
	Files []File
	// NonImages are files in class folders without an image extension.
	NonImages []string
	// Misplaced are files at a place the layout does not allow: nested
	// folders inside a class, or class folders beside split folders.
	Misplaced []string
	// Ignored are top-level files (README.md, .gitattributes, ...) and
	// hidden or system files (.DS_Store, __MACOSX/, Thumbs.db).
	Ignored []string
	// Splits is true when split folders are used.
	Splits bool
	// Root is a single wrapper folder that held everything and was
	// stripped ("" when none).
	Root string
}

// Labels returns the sorted distinct labels; class ids are indices into it,
// as in the Hugging Face imagefolder loader.
func (l Layout) Labels() []string {
	var out []string
	for _, f := range l.Files {
		out = append(out, f.Label)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseLayout reads a layout from slash-separated paths (zip entry names or
// repository paths). Paths ending in "/" are folders and are skipped.
func ParseLayout(paths []string) Layout {
	var l Layout
	var kept [][]string
	for _, p := range slices.Sorted(slices.Values(paths)) {
		p = strings.TrimPrefix(p, "./")
		if p == "" || strings.HasSuffix(p, "/") {
			continue
		}
		if isJunk(p) {
			l.Ignored = append(l.Ignored, p)
			continue
		}
		kept = append(kept, strings.Split(p, "/"))
	}
	kept, l.Root = stripWrapper(kept)
	for _, segs := range kept {
		if _, ok := splitKeywords[strings.ToLower(segs[0])]; ok && len(segs) > 1 {
			l.Splits = true
		}
	}
	for _, segs := range kept {
		l.place(segs)
	}
	return l
}

// place files one path into the layout.
func (l *Layout) place(segs []string) {
	full := path.Join(append([]string{l.Root}, segs...)...)
	switch {
	case len(segs) == 1:
		l.Ignored = append(l.Ignored, full)
		return
	case l.Splits && len(segs) == 3:
		split, ok := splitKeywords[strings.ToLower(segs[0])]
		if ok {
			l.add(File{Path: full, Label: segs[1], Split: split})
			return
		}
	case !l.Splits && len(segs) == 2:
		l.add(File{Path: full, Label: segs[0]})
		return
	}
	l.Misplaced = append(l.Misplaced, full)
}

func (l *Layout) add(f File) {
	if IsImageName(f.Path) {
		l.Files = append(l.Files, f)
	} else {
		l.NonImages = append(l.NonImages, f.Path)
	}
}

// stripWrapper removes a single top-level folder that holds every path when
// all paths are at least three deep and the folder is not a split folder.
func stripWrapper(kept [][]string) ([][]string, string) {
	if len(kept) == 0 {
		return kept, ""
	}
	root := kept[0][0]
	if _, ok := splitKeywords[strings.ToLower(root)]; ok {
		return kept, ""
	}
	for _, segs := range kept {
		if len(segs) < 3 || segs[0] != root {
			return kept, ""
		}
	}
	out := make([][]string, len(kept))
	for i, segs := range kept {
		out[i] = segs[1:]
	}
	return out, root
}

// isJunk reports hidden and operating-system files and folders.
func isJunk(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") || seg == "__MACOSX" {
			return true
		}
	}
	switch strings.ToLower(path.Base(p)) {
	case "thumbs.db", "desktop.ini":
		return true
	}
	return false
}
