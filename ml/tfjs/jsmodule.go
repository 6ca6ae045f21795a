package tfjs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// moduleValue extracts the value a bundled JS module exports: nsfwjs ships
// its model as browserify bundles of the form `...e.exports={...}...` (the
// topology, as a JS object literal) or `...m.exports="base64..."` (a weight
// shard). It returns the parsed literal: map[string]any, []any, string,
// float64, bool or nil.
func moduleValue(src []byte) (any, error) {
	const marker = ".exports="
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte(marker))
		if j < 0 {
			return nil, errors.New("no `.exports=` literal found")
		}
		start := i + j + len(marker)
		if start < len(src) && (src[start] == '{' || src[start] == '"' || src[start] == '[') {
			p := &jsParser{src: src, pos: start}
			return p.value()
		}
		i = start
	}
}

// jsParser parses the JavaScript literal subset minifiers emit for data:
// objects with bare or quoted keys, arrays, strings, numbers such as `-.5`,
// `!0`/`!1` booleans, true, false and null.
type jsParser struct {
	src []byte
	pos int
}

func (p *jsParser) errorf(format string, args ...any) error {
	return fmt.Errorf("js literal at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsParser) skipSpace() {
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *jsParser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *jsParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"' || c == '\'':
		return p.str()
	case c == '!':
		if p.pos+1 < len(p.src) && (p.src[p.pos+1] == '0' || p.src[p.pos+1] == '1') {
			p.pos += 2
			return p.src[p.pos-1] == '0', nil
		}
	case c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case isIdentStart(c):
		switch id := p.ident(); id {
		case "true", "false":
			return id == "true", nil
		case "null":
			return nil, nil
		}
	}
	return nil, p.errorf("unexpected input")
}

func (p *jsParser) object() (any, error) {
	p.pos++ // {
	obj := map[string]any{}
	for {
		c := p.peek()
		if c == '}' {
			p.pos++
			return obj, nil
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if p.peek() != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		obj[key] = v
		if err := p.separator('}'); err != nil {
			return nil, err
		}
	}
}

func (p *jsParser) key() (string, error) {
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		return p.str()
	case isIdentStart(c):
		return p.ident(), nil
	case c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return string(p.src[start:p.pos]), nil
	}
	return "", p.errorf("want an object key")
}

// separator consumes a ',' or leaves the closing bracket for the caller.
func (p *jsParser) separator(closing byte) error {
	switch p.peek() {
	case ',':
		p.pos++
		return nil
	case closing:
		return nil
	}
	return p.errorf("want ',' or %q", closing)
}

func (p *jsParser) array() (any, error) {
	p.pos++ // [
	arr := []any{}
	for {
		if p.peek() == ']' {
			p.pos++
			return arr, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		if err := p.separator(']'); err != nil {
			return nil, err
		}
	}
}

func (p *jsParser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	start := p.pos
	if end := bytes.IndexByte(p.src[start:], quote); end >= 0 && bytes.IndexByte(p.src[start:start+end], '\\') < 0 {
		p.pos = start + end + 1 // fast path: no escapes (the 5 MB base64 shards)
		return string(p.src[start : start+end]), nil
	}
	var sb strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return sb.String(), nil
		case c == '\\':
			if err := p.escape(&sb); err != nil {
				return "", err
			}
		default:
			r, n := utf8.DecodeRune(p.src[p.pos:])
			sb.WriteRune(r)
			p.pos += n
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsParser) escape(sb *strings.Builder) error {
	if p.pos+1 >= len(p.src) {
		return p.errorf("bad escape")
	}
	c := p.src[p.pos+1]
	p.pos += 2
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 'b': "\b", 'f': "\f", 'v': "\v", '0': "\x00"}
	if s, ok := simple[c]; ok {
		sb.WriteString(s)
		return nil
	}
	if c == 'u' || c == 'x' {
		n := 4
		if c == 'x' {
			n = 2
		}
		if p.pos+n > len(p.src) {
			return p.errorf("bad escape")
		}
		v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
		if err != nil {
			return p.errorf("bad escape: %v", err)
		}
		sb.WriteRune(rune(v))
		p.pos += n
		return nil
	}
	sb.WriteByte(c)
	return nil
}

func (p *jsParser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte("0123456789+-.eE", p.src[p.pos]) >= 0 {
		p.pos++
	}
	f, err := strconv.ParseFloat(string(p.src[start:p.pos]), 64)
	if err != nil {
		return nil, p.errorf("bad number: %v", err)
	}
	return f, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *jsParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && (isIdentStart(p.src[p.pos]) || (p.src[p.pos] >= '0' && p.src[p.pos] <= '9')) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}
