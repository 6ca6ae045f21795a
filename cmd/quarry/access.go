package main

import (
	"context"
	"fmt"
	"strings"

	"quarry/hub"
)

// adminSubcommands lists each admin command group's subcommands.
var adminSubcommands = map[string][]string{
	"user":  {"create"},
	"token": {"create", "revoke"},
	"org":   {"create", "add-member"},
	"team":  {"create", "add-member"},
	"repo":  {"grant"},
}

// runAdmin dispatches "GROUP SUB args..." to its runner.
func (m *Main) runAdmin(ctx context.Context, group string, args []string) error {
	runners := map[string]func(context.Context, []string) error{
		"user create":     m.runUserCreate,
		"token create":    m.runTokenCreate,
		"token revoke":    m.runTokenRevoke,
		"org create":      m.runOrgCreate,
		"org add-member":  m.runOrgAddMember,
		"team create":     m.runTeamCreate,
		"team add-member": m.runTeamAddMember,
		"repo grant":      m.runRepoGrant,
	}
	if len(args) > 0 {
		if run, ok := runners[group+" "+args[0]]; ok {
			return run(ctx, args[1:])
		}
	}
	return usagef("usage: quarry %s %s ...", group, strings.Join(adminSubcommands[group], "|"))
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runOrgCreate creates an organization with its owner as first admin.
func (m *Main) runOrgCreate(ctx context.Context, args []string) error {
	fs := newFlagSet("org create", "org create ORG --owner NAME [--data DIR]", m.Stderr)
	owner := fs.String("owner", "", "user who owns (administers) the organization (required)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 1, "ORG")
	if err != nil {
		return err
	}
	if *owner == "" {
		return usagef("org create: --owner is required")
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		org, err := svc.CreateOrg(ctx, hub.Operator(), pos[0], *owner)
		if err != nil {
			return fmt.Errorf("org create: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Created organization %s owned by %s (admin).\n", org.Name, *owner)
		return nil
	})
}

// runOrgAddMember adds a user to an organization or changes their role.
func (m *Main) runOrgAddMember(ctx context.Context, args []string) error {
	fs := newFlagSet("org add-member", "org add-member ORG NAME --role read|write|admin [--data DIR]", m.Stderr)
	role := fs.String("role", "", "role in the organization: read, write or admin (required)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 2, "ORG NAME")
	if err != nil {
		return err
	}
	if *role != hub.OrgRoleRead && *role != hub.OrgRoleWrite && *role != hub.OrgRoleAdmin {
		return usagef("org add-member: --role must be read, write or admin")
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		mb, err := svc.AddOrgMember(ctx, hub.Operator(), pos[0], pos[1], *role)
		if err != nil {
			return fmt.Errorf("org add-member: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Added %s to organization %s with role %s.\n", mb.User, mb.Org, mb.Role)
		return nil
	})
}

// runTeamCreate creates a team inside an organization.
func (m *Main) runTeamCreate(ctx context.Context, args []string) error {
	fs := newFlagSet("team create", "team create ORG TEAM [--data DIR]", m.Stderr)
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 2, "ORG TEAM")
	if err != nil {
		return err
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		t, err := svc.CreateTeam(ctx, hub.Operator(), pos[0], pos[1])
		if err != nil {
			return fmt.Errorf("team create: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Created team %s/%s.\n", t.Org, t.Name)
		return nil
	})
}

// runTeamAddMember adds a user to a team.
func (m *Main) runTeamAddMember(ctx context.Context, args []string) error {
	fs := newFlagSet("team add-member", "team add-member ORG TEAM NAME [--data DIR]", m.Stderr)
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 3, "ORG TEAM NAME")
	if err != nil {
		return err
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		if err := svc.AddTeamMember(ctx, hub.Operator(), pos[0], pos[1], pos[2]); err != nil {
			return fmt.Errorf("team add-member: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Added %s to team %s/%s.\n", pos[2], pos[0], pos[1])
		return nil
	})
}

// runRepoGrant gives a team or a user read or write access to a repo.
func (m *Main) runRepoGrant(ctx context.Context, args []string) error {
	fs := newFlagSet("repo grant", "repo grant [--type model|dataset|space] NS/REPO (--team ORG/TEAM | --user NAME) --role read|write [--data DIR]", m.Stderr)
	typ := fs.String("type", "model", "repo type: model, dataset or space")
	team := fs.String("team", "", "team to grant, as ORG/TEAM")
	user := fs.String("user", "", "user to grant")
	role := fs.String("role", "", "granted role: read or write (required)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 1, "NS/REPO")
	if err != nil {
		return err
	}
	if (*team == "") == (*user == "") {
		return usagef("repo grant: give exactly one of --team ORG/TEAM and --user NAME")
	}
	if *role != hub.RoleRead && *role != hub.RoleWrite {
		return usagef("repo grant: --role must be read or write")
	}
	t, err := hub.ParseRepoType(*typ)
	if err != nil {
		return usagef("repo grant: %v", hub.ErrorMessage(err))
	}
	id, err := hub.ParseRepoID(t, pos[0])
	if err != nil {
		return usagef("repo grant: %v", hub.ErrorMessage(err))
	}
	subject, who := hub.UserSubject(*user), "user "+*user
	if *team != "" {
		org, name, ok := strings.Cut(*team, "/")
		if !ok || org == "" || name == "" {
			return usagef("repo grant: --team must be ORG/TEAM")
		}
		subject, who = hub.TeamSubject(org, name), "team "+*team
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		if _, err := svc.GrantRepo(ctx, hub.Operator(), id, subject, *role); err != nil {
			return fmt.Errorf("repo grant: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Granted %s %s access to %s %s.\n", who, *role, t, id)
		return nil
	})
}
