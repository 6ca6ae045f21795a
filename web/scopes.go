package web

import (
	"strings"

	"quarry/hub"
)

// maxScopes bounds the scopes of one fine-grained token.
const maxScopes = 100

// parseScopes reads the scopes of a fine-grained token from the form's text
// area: one per line, "TARGET" or "TARGET:ROLE", where TARGET is a repo
// ("TYPE/NS/NAME", or "NS/NAME" for a model) or a namespace ("NS"), and ROLE
// is read (the default) or write. It uses the CLI's notation.
func parseScopes(text string) ([]hub.TokenScope, error) {
	var scopes []hub.TokenScope
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		sc, err := parseScope(line)
		if err != nil {
			return nil, hub.Errorf(hub.ErrInvalid, "Scope on line %d: %s", i+1, hub.ErrorMessage(err))
		}
		scopes = append(scopes, sc)
	}
	switch {
	case len(scopes) == 0:
		return nil, hub.Errorf(hub.ErrInvalid, "A fine-grained token needs at least one repository or namespace.")
	case len(scopes) > maxScopes:
		return nil, hub.Errorf(hub.ErrInvalid, "A fine-grained token has at most %d scopes.", maxScopes)
	}
	return scopes, nil
}

// parseScope reads one "TARGET[:ROLE]".
func parseScope(s string) (hub.TokenScope, error) {
	target, role, hasRole := strings.Cut(s, ":")
	if !hasRole {
		role = hub.RoleRead
	}
	if role != hub.RoleRead && role != hub.RoleWrite {
		return hub.TokenScope{}, hub.Errorf(hub.ErrInvalid, "role %q must be read or write", role)
	}
	parts := strings.Split(target, "/")
	switch len(parts) {
	case 1:
		if err := hub.ValidateName("namespace", parts[0]); err != nil {
			return hub.TokenScope{}, err
		}
		return hub.TokenScope{Namespace: parts[0], Role: role}, nil
	case 2:
		parts = append([]string{string(hub.Model)}, parts...)
	case 3:
	default:
		return hub.TokenScope{}, hub.Errorf(hub.ErrInvalid, "%q is neither TYPE/NS/NAME, NS/NAME nor NS", target)
	}
	t, err := hub.ParseRepoType(parts[0])
	if err != nil {
		return hub.TokenScope{}, err
	}
	id, err := hub.ParseRepoID(t, parts[1]+"/"+parts[2])
	if err != nil {
		return hub.TokenScope{}, err
	}
	return hub.TokenScope{Type: id.Type, Namespace: id.Namespace, Name: id.Name, Role: role}, nil
}

// formatScope writes a scope in the notation parseScope reads.
func formatScope(sc hub.TokenScope) string {
	if sc.Name == "" {
		return sc.Namespace + ":" + sc.Role
	}
	t := sc.Type
	if t == "" {
		t = hub.Model
	}
	return string(t) + "/" + sc.Namespace + "/" + sc.Name + ":" + sc.Role
}
