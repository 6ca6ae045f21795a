package modelcards

import (
	"path"
	"regexp"
	"strings"
)

// formatTags lists the file-format tags in the order the Hub shows them,
// each with the test that a repo file path must pass.
var formatTags = []struct {
	tag   string
	match func(p, base string) bool
}{
	{"pytorch", func(_, b string) bool { return strings.HasPrefix(b, "pytorch_model") && strings.HasSuffix(b, ".bin") }},
	{"tf", func(_, b string) bool { return b == "tf_model.h5" || b == "saved_model.pb" }},
	{"jax", func(_, b string) bool { return strings.HasPrefix(b, "flax_model") && strings.HasSuffix(b, ".msgpack") }},
	{"rust", func(_, b string) bool { return b == "rust_model.ot" }},
	{"coreml", func(p, b string) bool { return strings.HasSuffix(b, ".mlmodel") || strings.Contains(p, ".mlpackage/") }},
	{"onnx", func(_, b string) bool { return strings.HasSuffix(b, ".onnx") }},
	{"safetensors", func(_, b string) bool { return strings.HasSuffix(b, ".safetensors") }},
	{"gguf", func(_, b string) bool { return strings.HasSuffix(b, ".gguf") }},
	{"tflite", func(_, b string) bool { return strings.HasSuffix(b, ".tflite") }},
	{"tensorboard", func(_, b string) bool { return strings.Contains(b, "tfevents") }},
}

// arxivRE finds arXiv ids in links to arxiv.org (abs or pdf) and to the
// Hub's paper pages; a version suffix is dropped.
var arxivRE = regexp.MustCompile(`(?i)(?:arxiv\.org/(?:abs|pdf)|huggingface\.co/papers)/(\d{4}\.\d{4,5})(?:v\d+)?`)

// tagSet collects tags once each, keeping the first-seen order.
type tagSet struct {
	seen map[string]bool
	list []string
}

func (s *tagSet) add(tags ...string) {
	for _, t := range tags {
		if t == "" || s.seen[t] {
			continue
		}
		s.seen[t] = true
		s.list = append(s.list, t)
	}
}

// DeriveTags returns the tag set that the Hub's filter= matches for a repo
// whose card is c and whose files are files (repo-relative paths):
// library_name, file-format tags, pipeline_tag, the card's tags, language
// codes, "dataset:<id>", "arxiv:<id>" (from links in the body),
// "base_model:<id>" plus "base_model:<relation>:<id>", and
// "license:<id>". The result is deduplicated and never nil. A nil card is
// treated as empty.
func DeriveTags(c *Card, files []string) []string {
	s := &tagSet{seen: map[string]bool{}, list: []string{}}
	s.add(c.LibraryName())
	s.add(fileFormatTags(files)...)
	s.add(c.PipelineTag())
	s.add(c.Tags()...)
	s.add(c.Languages()...)
	s.add(prefixed("dataset:", c.Datasets())...)
	if c != nil {
		for _, m := range arxivRE.FindAllStringSubmatch(c.Body, -1) {
			s.add("arxiv:" + m[1])
		}
	}
	bases := c.BaseModels()
	if len(bases) > 0 {
		rel := baseModelRelation(c, bases, files)
		for _, b := range bases {
			s.add("base_model:"+b, "base_model:"+rel+":"+b)
		}
	}
	s.add(prefixed("license:", c.Licenses())...)
	return s.list
}

// fileFormatTags returns the format tags implied by files, in Hub order.
func fileFormatTags(files []string) []string {
	var out []string
	for _, f := range formatTags {
		for _, p := range files {
			if f.match(p, path.Base(p)) {
				out = append(out, f.tag)
				break
			}
		}
	}
	return out
}

// baseModelRelation returns the card's base_model_relation, or infers it
// as the Hub does: adapter when the repo has adapter_config.json, merge
// for several base models, quantized for GGUF files, else finetune.
func baseModelRelation(c *Card, bases, files []string) string {
	if rel := strings.TrimSpace(c.BaseModelRelation()); rel != "" {
		return rel
	}
	hasGGUF := false
	for _, p := range files {
		switch b := path.Base(p); {
		case b == "adapter_config.json":
			return "adapter"
		case strings.HasSuffix(b, ".gguf"):
			hasGGUF = true
		}
	}
	switch {
	case len(bases) > 1:
		return "merge"
	case hasGGUF:
		return "quantized"
	}
	return "finetune"
}

func prefixed(prefix string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}
