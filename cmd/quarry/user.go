package main

import (
	"context"
	"fmt"

	"quarry/hub"
	"quarry/infra"
)

// withService opens the stores of the configured data directory, runs fn
// with a service over them and closes them.
func (m *Main) withService(cfg infra.Config, fn func(*hub.Service) error) error {
	blobs, meta, stores, err := infra.Open(cfg)
	if err != nil {
		return err
	}
	err = fn(hub.NewService(blobs, meta, nil))
	if cerr := stores.Close(); err == nil {
		err = cerr
	}
	return err
}

// runUserCreate creates a user and prints a new write token on the last line.
func (m *Main) runUserCreate(ctx context.Context, args []string) error {
	fs := newFlagSet("user create", "user create NAME [--email E] [--password P] [--admin] [--data DIR]", m.Stderr)
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password for the web sign-in (none: tokens only)")
	admin := fs.Bool("admin", false, "make a site administrator")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 1, "NAME")
	if err != nil {
		return err
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		u, err := svc.CreateUser(ctx, pos[0], *email, *password, *admin)
		if err != nil {
			return fmt.Errorf("user create: %w", err)
		}
		token, _, err := svc.CreateToken(ctx, u.Name, hub.RoleWrite, "created with the user")
		if err != nil {
			return fmt.Errorf("user create: token: %w", err)
		}
		role := "user"
		if u.Admin {
			role = "site administrator"
		}
		fmt.Fprintf(m.Stdout, "Created %s %s. Write token:\n%s\n", role, u.Name, token)
		return nil
	})
}

// runTokenCreate creates a token for an existing user and prints it last.
func (m *Main) runTokenCreate(ctx context.Context, args []string) error {
	fs := newFlagSet("token create", "token create NAME --role read|write|fineGrained [--label L] "+
		"[--repo TYPE/NS/NAME:read|write ...] [--namespace NS:read|write ...] [--data DIR]", m.Stderr)
	role := fs.String("role", "", "token role: read, write or fineGrained (required)")
	label := fs.String("label", "", "label shown in token listings")
	var repos, namespaces stringList
	fs.Var(&repos, "repo", "fineGrained scope TYPE/NS/NAME:read|write (repeatable; TYPE model, dataset or space)")
	fs.Var(&namespaces, "namespace", "fineGrained scope NS:read|write on a whole namespace (repeatable)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 1, "NAME")
	if err != nil {
		return err
	}
	scopes, err := tokenScopes(*role, repos, namespaces)
	if err != nil {
		return err
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		var token string
		var t *hub.Token
		if *role == hub.RoleFineGrained {
			token, t, err = svc.CreateScopedToken(ctx, pos[0], *label, scopes)
		} else {
			token, t, err = svc.CreateToken(ctx, pos[0], *role, *label)
		}
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Created a %s token for %s", t.Role, t.User)
		for i, sc := range t.Scopes {
			sep := ", "
			if i == 0 {
				sep = " limited to "
			}
			fmt.Fprint(m.Stdout, sep+sc.String())
		}
		fmt.Fprintf(m.Stdout, ":\n%s\n", token)
		return nil
	})
}

// tokenScopes checks the role and parses the fine-grained scopes.
func tokenScopes(role string, repos, namespaces []string) ([]hub.TokenScope, error) {
	switch role {
	case hub.RoleRead, hub.RoleWrite:
		if len(repos)+len(namespaces) > 0 {
			return nil, usagef("token create: --repo and --namespace need --role fineGrained")
		}
		return nil, nil
	case hub.RoleFineGrained:
	default:
		return nil, usagef("token create: --role must be read, write or fineGrained")
	}
	if len(repos)+len(namespaces) == 0 {
		return nil, usagef("token create: a fineGrained token needs at least one --repo or --namespace scope")
	}
	var scopes []hub.TokenScope
	for _, r := range repos {
		sc, err := hub.ParseRepoScope(r)
		if err != nil {
			return nil, usagef("token create: %s", hub.ErrorMessage(err))
		}
		scopes = append(scopes, sc)
	}
	for _, n := range namespaces {
		sc, err := hub.ParseNamespaceScope(n)
		if err != nil {
			return nil, usagef("token create: %s", hub.ErrorMessage(err))
		}
		scopes = append(scopes, sc)
	}
	return scopes, nil
}

// runTokenRevoke revokes the one active token of a user whose suffix (last
// four characters) or label matches.
func (m *Main) runTokenRevoke(ctx context.Context, args []string) error {
	fs := newFlagSet("token revoke", "token revoke NAME SUFFIX_OR_LABEL [--data DIR]", m.Stderr)
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 2, "NAME SUFFIX_OR_LABEL")
	if err != nil {
		return err
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		toks, err := svc.ListTokens(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		var match []*hub.Token
		for _, t := range toks {
			if t.RevokedAt.IsZero() && (t.Suffix == pos[1] || t.Label == pos[1]) {
				match = append(match, t)
			}
		}
		switch len(match) {
		case 0:
			return fmt.Errorf("token revoke: %s has no active token with suffix or label %q", pos[0], pos[1])
		case 1:
		default:
			return fmt.Errorf("token revoke: %d active tokens of %s match %q; use the 4-character suffix", len(match), pos[0], pos[1])
		}
		if err := svc.RevokeToken(ctx, pos[0], match[0].Hash); err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Revoked %s's %s token ...%s (%s).\n", match[0].User, match[0].Role, match[0].Suffix, cmpOr(match[0].Label, "no label"))
		return nil
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
