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
	fs := newFlagSet("token create", "token create NAME --role read|write [--label L] [--data DIR]", m.Stderr)
	role := fs.String("role", "", "token role: read or write (required)")
	label := fs.String("label", "", "label shown in token listings")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	pos, err := parseFlags(fs, args, 1, "NAME")
	if err != nil {
		return err
	}
	if *role != hub.RoleRead && *role != hub.RoleWrite {
		return usagef("token create: --role must be read or write")
	}
	return m.withService(m.storeConfig(*data), func(svc *hub.Service) error {
		token, t, err := svc.CreateToken(ctx, pos[0], *role, *label)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Created a %s token for %s:\n%s\n", t.Role, t.User, token)
		return nil
	})
}
