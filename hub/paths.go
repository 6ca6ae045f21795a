package hub

import "strings"

// ValidatePath checks a file path inside a repo: relative, '/'-separated,
// with no empty, "." or ".." segments, no backslash or NUL, and nothing
// inside ".git". The error is ErrBadPath and names the path.
func ValidatePath(p string) error {
	if reason := badPathReason(p); reason != "" {
		return Errorf(ErrBadPath, "Invalid path %q: %s", p, reason)
	}
	return nil
}

func badPathReason(p string) string {
	switch {
	case p == "":
		return "empty path"
	case strings.HasPrefix(p, "/"):
		return "must be relative (no leading '/')"
	case strings.ContainsAny(p, "\\\x00"):
		return "must not contain '\\' or NUL"
	case len(p) > 4096:
		return "too long"
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "":
			return "empty path segment"
		case seg == "." || seg == "..":
			return "'.' and '..' segments are not allowed"
		case strings.EqualFold(seg, ".git"):
			return "paths inside .git are not allowed"
		}
	}
	return ""
}

// splitPath splits a valid path into its segments; "" gives none.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// joinPath joins a directory and a name; dir may be "".
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
