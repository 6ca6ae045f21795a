// Package sqlite is a hub.MetaStore on an embedded SQLite database (pure Go
// driver). Several processes may share one database file: the server and
// the admin CLI both open it, and every compare-and-swap is a single
// conditional statement or an immediate transaction.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"

	"quarry/hub"
)

//go:embed migration/*.sql
var migrations embed.FS

// DB is a hub.MetaStore backed by one SQLite file. It is safe for
// concurrent use.
type DB struct {
	db *sql.DB
}

var _ hub.MetaStore = (*DB)(nil)

// Open opens (creating if needed) the database at path in WAL mode, with a
// busy timeout and foreign keys, and applies pending migrations.
func Open(path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{db: sdb}
	if err := db.migrate(context.Background()); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// migrate applies the embedded migrations not yet recorded, in name order.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY) STRICT`); err != nil {
			return fmt.Errorf("migrations table: %w", err)
		}
		for _, name := range names {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
				if err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
				continue
			}
			text, err := migrations.ReadFile(name)
			if err == nil {
				_, err = tx.ExecContext(ctx, string(text))
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, name)
			}
			if err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		return nil
	})
}

// tx runs fn in an immediate transaction (the DSN's _txlock), committing
// when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// timeLayout makes UTC times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad time %q: %w", s, err)
	}
	return t, nil
}

// isConstraint reports whether err is a SQLite constraint violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 19 // SQLITE_CONSTRAINT
}

// dbError wraps an unexpected database error.
func dbError(op string, err error) error {
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
