package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/sqlite"
)

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	hubtest.TestMetaStore(t, func(t *testing.T) hub.MetaStore {
		return open(t, filepath.Join(t.TempDir(), "hub.db"))
	})
}

// TestSharedFile has two handles on one file (as the server and the admin
// CLI have) race ref updates: each race has exactly one winner.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	a, b := open(t, path), open(t, path)
	hubtest.RaceRefs(t, []hub.MetaStore{a, b}, 8, 20)
	refs, err := b.ListRefs(context.Background(), "000000000000000000000000")
	if err != nil || len(refs) != 0 {
		t.Fatalf("ListRefs of an unknown repo = %v, %v", refs, err)
	}
}

// TestReopen checks that the database runs in WAL mode, that data survives
// closing, and that reopening a migrated database applies no migration twice.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	ctx := context.Background()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &hub.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no write-ahead log next to the database: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, path)
	if u, err := db.GetUser(ctx, "ALICE"); err != nil || u.Name != "alice" {
		t.Fatalf("GetUser after reopen = %v, %v", u, err)
	}
}
