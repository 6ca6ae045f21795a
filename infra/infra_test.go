package infra_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quarry/hub"
	"quarry/infra"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if got, want := infra.ConfigFromEnv(get), infra.DefaultConfig(); got != want {
		t.Fatalf("empty env: %+v, want %+v", got, want)
	}
	if err := infra.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	env["QUARRY_DATA"], env["QUARRY_BACKEND"] = "/srv/quarry", "local"
	if got, want := infra.ConfigFromEnv(get), (infra.Config{Backend: "local", DataDir: "/srv/quarry"}); got != want {
		t.Fatalf("config=%+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		cfg   infra.Config
		field string
	}{
		{infra.Config{Backend: "local"}, "DataDir"},
		{infra.Config{Backend: "ftp", DataDir: "x"}, "Backend"},
		{infra.Config{Backend: "aws", DataDir: "x"}, "Backend"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Fatalf("Validate(%+v)=%v, want an error naming %s", tc.cfg, err, tc.field)
		}
	}
}

func TestOpenLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	blobs, meta, closer, err := infra.Open(infra.Config{Backend: infra.BackendLocal, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := blobs.Put(ctx, "objects/ab/cd", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := meta.CreateUser(ctx, &hub.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"blobs", "hub.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	// Reopening sees the data.
	_, meta, closer, err = infra.Open(infra.Config{Backend: infra.BackendLocal, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if _, err := meta.GetUser(ctx, "alice"); err != nil {
		t.Fatalf("user lost across reopen: %v", err)
	}
}

func TestLoadSecret(t *testing.T) {
	cfg := infra.Config{Backend: infra.BackendLocal, DataDir: t.TempDir()}
	s1, err := infra.LoadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) < 32 {
		t.Fatalf("secret of %d bytes", len(s1))
	}
	fi, err := os.Stat(filepath.Join(cfg.DataDir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("secret mode=%v, want 0600", got)
	}
	s2, err := infra.LoadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1, s2) {
		t.Fatal("secret changed between loads")
	}
	other, err := infra.LoadSecret(infra.Config{Backend: infra.BackendLocal, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(s1, other) {
		t.Fatal("two data directories share a secret")
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, "secret"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := infra.LoadSecret(cfg); err == nil {
		t.Fatal("a corrupt secret file was accepted")
	}
}
