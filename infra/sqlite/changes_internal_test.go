package sqlite

import (
	"path/filepath"
	"runtime"
	"testing"

	"quarry/hub"
	"quarry/hub/hubtest"
)

func openTest(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestChangeCountWALIndex checks that ChangeCount reads the mapped
// WAL-index header where the platform allows it.
func TestChangeCountWALIndex(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "hub.db"))
	if got, want := db.changes.shm != nil, runtime.GOOS != "windows" && runtime.GOOS != "plan9"; got != want {
		t.Fatalf("WAL index mapped = %v, want %v", got, want)
	}
}

// TestChangeCountDataVersion runs the conformance suite on the fallback
// (PRAGMA data_version), with the watcher's mapping dropped, and checks
// that it recovers from losing its connection.
func TestChangeCountDataVersion(t *testing.T) {
	noShm := func(db *DB) *DB {
		db.changes.mu.Lock()
		defer db.changes.mu.Unlock()
		if db.changes.shm != nil {
			db.changes.shm.close()
			db.changes.shm = nil
		}
		return db
	}
	t.Run("SameHandle", func(t *testing.T) {
		hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
			db := noShm(openTest(t, filepath.Join(t.TempDir(), "hub.db")))
			return db, db
		})
	})
	t.Run("OtherHandle", func(t *testing.T) {
		hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
			path := filepath.Join(t.TempDir(), "hub.db")
			return openTest(t, path), noShm(openTest(t, path))
		})
	})
	t.Run("Reconnect", func(t *testing.T) {
		db := noShm(openTest(t, filepath.Join(t.TempDir(), "hub.db")))
		before, err := db.ChangeCount(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		db.changes.mu.Lock()
		db.changes.close()
		db.changes.mu.Unlock()
		after, err := db.ChangeCount(t.Context())
		if err != nil || after <= before {
			t.Fatalf("ChangeCount after losing the watcher = %d, %v; want > %d", after, err, before)
		}
	})
}
