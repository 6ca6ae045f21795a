package hub

import (
	"regexp"
	"strings"
)

// lfsAttrs are the attributes HF puts on every LFS pattern.
const lfsAttrs = " filter=lfs diff=lfs merge=lfs -text\n"

// defaultLFSPatterns are the patterns of HF's default .gitattributes.
var defaultLFSPatterns = []string{
	"*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
	"*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
	"*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
	"*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
}

// datasetLFSPatterns are the media patterns HF adds for datasets.
var datasetLFSPatterns = []string{
	"*.lz4", "*.mds",
	"# Audio files - uncompressed", "*.pcm", "*.sam", "*.raw",
	"# Audio files - compressed", "*.aac", "*.flac", "*.mp3", "*.ogg", "*.wav",
	"# Image files - uncompressed", "*.bmp", "*.gif", "*.png", "*.tiff",
	"# Image files - compressed", "*.jpg", "*.jpeg", "*.webp",
	"# Video files - compressed", "*.mp4", "*.webm",
}

// defaultGitAttributes is the .gitattributes of a new repo of type t.
func defaultGitAttributes(t RepoType) string {
	var b strings.Builder
	write := func(pats []string) {
		for _, p := range pats {
			if strings.HasPrefix(p, "#") {
				b.WriteString(p + "\n")
			} else {
				b.WriteString(p + lfsAttrs)
			}
		}
	}
	write(defaultLFSPatterns)
	if t == Dataset {
		write(datasetLFSPatterns)
	}
	return b.String()
}

// globRule is one line of a .gitattributes or .gitignore file.
type globRule struct {
	re      *regexp.Regexp
	negate  bool // .gitignore "!pattern"
	dirOnly bool // .gitignore "pattern/"
	value   bool // .gitattributes: whether the line sets filter=lfs
}

// compileGlob turns a git wildmatch pattern into a regexp over full paths.
// Patterns without a '/' (other than a trailing one) match the last segment
// at any depth; others are anchored at the root.
func compileGlob(pat string) *regexp.Regexp {
	anchored := strings.Contains(pat, "/")
	pat = strings.TrimPrefix(pat, "/")
	var b strings.Builder
	b.WriteString("^")
	if !anchored {
		b.WriteString("(?:.*/)?")
	}
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; {
		case strings.HasPrefix(pat[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(pat[i:], "/**") && i+3 == len(pat):
			b.WriteString("/.*")
			i += 2
		case strings.HasPrefix(pat[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(pat[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pat[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`^\x00$`) // matches no path
	}
	return re
}

// parseGitAttributes returns the rules of a .gitattributes that set or
// unset the lfs filter.
func parseGitAttributes(text string) []globRule {
	var rules []globRule
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		for _, attr := range fields[1:] {
			switch {
			case attr == "filter=lfs":
				rules = append(rules, globRule{re: compileGlob(fields[0]), value: true})
			case attr == "-filter", attr == "!filter", strings.HasPrefix(attr, "filter="):
				rules = append(rules, globRule{re: compileGlob(fields[0])})
			}
		}
	}
	return rules
}

// matchLFS reports whether the last matching rule puts path in LFS.
func matchLFS(rules []globRule, path string) bool {
	lfs := false
	for _, r := range rules {
		if r.re.MatchString(path) {
			lfs = r.value
		}
	}
	return lfs
}

// parseGitIgnore returns the rules of a .gitignore.
func parseGitIgnore(text string) []globRule {
	var rules []globRule
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := globRule{}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			r.negate, line = true, rest
		}
		if rest, ok := strings.CutSuffix(line, "/"); ok {
			r.dirOnly, line = true, rest
		}
		if line == "" {
			continue
		}
		r.re = compileGlob(line)
		rules = append(rules, r)
	}
	return rules
}

// ignored reports whether path (a file) is ignored: the file itself or one
// of its parent directories matches, and the last matching rule is not a
// negation.
func ignored(rules []globRule, path string) bool {
	segs := strings.Split(path, "/")
	for i := 1; i <= len(segs); i++ {
		prefix, isDir := strings.Join(segs[:i], "/"), i < len(segs)
		ign := false
		for _, r := range rules {
			if (isDir || !r.dirOnly) && r.re.MatchString(prefix) {
				ign = !r.negate
			}
		}
		if ign {
			return true
		}
	}
	return false
}
