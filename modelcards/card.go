package modelcards

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Card is a parsed repository card (README.md).
type Card struct {
	// Data is the front matter as JSON-safe values: map[string]any with
	// string keys at every level, []any, string, int64, float64, bool and
	// nil. Timestamps keep their original text. It is never nil after Parse.
	Data map[string]any
	// Body is the markdown after the front matter (the whole text when the
	// card has no front matter).
	Body string
}

// SyntaxError reports a front matter that is not valid YAML or is not a
// mapping. Line is 1-based and counts lines of the whole README.md.
type SyntaxError struct {
	Line int
	Msg  string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid YAML front matter in README.md at line %d: %s", e.Line, e.Msg)
}

// ValidationError reports card metadata that parses but has the wrong
// shape. Field names the offending key path, e.g.
// "model-index[0].results[0].task.type".
type ValidationError struct {
	Field string
	Msg   string
}

// Error implements error.
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "invalid metadata in README.md: " + e.Msg
	}
	return fmt.Sprintf("invalid metadata in README.md: %q %s", e.Field, e.Msg)
}

// frontMatter is the result of locating the YAML block in a README.
type frontMatter struct {
	yaml      []byte // the YAML text between the delimiters
	firstLine int    // README line number of the first YAML line
	body      []byte // everything after the closing delimiter line
	found     bool
}

// splitFrontMatter locates the front matter the way the Hub does: after
// optional leading whitespace, a "---" line opens it and the next line that
// is exactly "---" closes it. A UTF-8 byte order mark is ignored. An
// unclosed block means the card has no front matter.
func splitFrontMatter(readme []byte) frontMatter {
	text := bytes.TrimPrefix(readme, []byte("\ufeff"))
	line := 1
	i := 0
	for i < len(text) && isSpace(text[i]) {
		if text[i] == '\n' {
			line++
		}
		i++
	}
	rest, ok := cutLine(text[i:], "---")
	if !ok {
		return frontMatter{body: text}
	}
	start := len(text) - len(rest)
	for pos := start; pos < len(text); {
		next, isClose := cutLine(text[pos:], "---")
		if isClose {
			return frontMatter{yaml: text[start:pos], firstLine: line + 1, body: next, found: true}
		}
		nl := bytes.IndexByte(text[pos:], '\n')
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	return frontMatter{body: text}
}

// cutLine reports whether b starts with a line equal to want (ending in
// "\n", "\r\n" or the end of input) and returns what follows that line.
func cutLine(b []byte, want string) ([]byte, bool) {
	if !bytes.HasPrefix(b, []byte(want)) {
		return nil, false
	}
	rest := b[len(want):]
	switch {
	case len(rest) == 0:
		return rest, true
	case rest[0] == '\n':
		return rest[1:], true
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return rest[2:], true
	}
	return nil, false
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return true
	}
	return false
}

// Parse parses a README.md. A card without front matter gives empty Data
// and the whole text as Body. Invalid YAML, duplicate keys, or a front
// matter that is not a mapping give a *SyntaxError.
func Parse(readme []byte) (*Card, error) {
	fm := splitFrontMatter(readme)
	card := &Card{Data: map[string]any{}, Body: string(fm.body)}
	if !fm.found {
		return card, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(fm.yaml, &doc); err != nil {
		return nil, yamlSyntaxError(err, fm.firstLine)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return card, nil
		}
		root = root.Content[0]
	}
	if root.Kind == 0 || isNull(root) {
		return card, nil
	}
	c := converter{lineOffset: fm.firstLine - 1, visiting: map[*yaml.Node]bool{}}
	v, err := c.value(root)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Line: fm.firstLine + root.Line - 1,
			Msg: fmt.Sprintf("front matter must be a YAML mapping, got %s", kindName(root))}
	}
	card.Data = m
	return card, nil
}

var (
	yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// parserErrRE matches yaml.v3 parser (not scanner) problems, whose
	// reported line is 0-based: it names the line before the construct.
	parserErrRE = regexp.MustCompile(`^(did not find expected|found (duplicate|incompatible|undefined))`)
)

// yamlSyntaxError converts a yaml.v3 error into a *SyntaxError whose line
// counts from the top of the README.
func yamlSyntaxError(err error, firstLine int) *SyntaxError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		if parserErrRE.MatchString(m[2]) {
			n++
		}
		return &SyntaxError{Line: firstLine + n - 1, Msg: m[2]}
	}
	if rest, ok := bytes.CutPrefix([]byte(msg), []byte("yaml: ")); ok {
		msg = string(rest)
	}
	return &SyntaxError{Line: firstLine, Msg: msg}
}
