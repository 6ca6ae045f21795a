package hub

import "strings"

// ParseRepoScope parses a fine-grained token's repo scope written
// "TYPE/NS/NAME:ROLE" or "NS/NAME:ROLE" (a model), where TYPE is model,
// dataset or space (plural accepted) and ROLE read or write.
func ParseRepoScope(s string) (TokenScope, error) {
	target, role, ok := strings.Cut(s, ":")
	if !ok {
		return TokenScope{}, Errorf(ErrInvalid, "invalid repo scope %q: expected TYPE/NS/NAME:read|write", s)
	}
	parts := strings.Split(target, "/")
	sc := TokenScope{Type: Model, Role: role}
	switch len(parts) {
	case 2:
		sc.Namespace, sc.Name = parts[0], parts[1]
	case 3:
		t, err := ParseRepoType(parts[0])
		if err != nil || parts[0] == "" {
			return TokenScope{}, Errorf(ErrInvalid, "invalid repo scope %q: type must be model, dataset or space", s)
		}
		sc.Type, sc.Namespace, sc.Name = t, parts[1], parts[2]
	default:
		return TokenScope{}, Errorf(ErrInvalid, "invalid repo scope %q: expected TYPE/NS/NAME:read|write", s)
	}
	return sc, sc.validate()
}

// ParseNamespaceScope parses a fine-grained token's namespace scope written
// "NS:ROLE" (ROLE read or write).
func ParseNamespaceScope(s string) (TokenScope, error) {
	ns, role, ok := strings.Cut(s, ":")
	if !ok {
		return TokenScope{}, Errorf(ErrInvalid, "invalid namespace scope %q: expected NS:read|write", s)
	}
	sc := TokenScope{Namespace: ns, Role: role}
	return sc, sc.validate()
}

// String writes the scope as ParseRepoScope or ParseNamespaceScope read it.
func (sc TokenScope) String() string {
	if sc.Name == "" {
		return sc.Namespace + ":" + sc.Role
	}
	return string(normalizeType(sc.Type)) + "/" + sc.Namespace + "/" + sc.Name + ":" + sc.Role
}

func (sc TokenScope) validate() error {
	if sc.Role != RoleRead && sc.Role != RoleWrite {
		return Errorf(ErrInvalid, "invalid scope role %q: must be read or write", sc.Role)
	}
	if err := ValidateName("namespace", sc.Namespace); err != nil {
		return err
	}
	if sc.Name == "" {
		return nil
	}
	if _, err := ParseRepoType(string(sc.Type)); err != nil {
		return err
	}
	return ValidateName("repo name", sc.Name)
}
