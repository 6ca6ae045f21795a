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
	"sync"
	"time"

	"modernc.org/sqlite"

	"quarry/hub"
)

//go:embed migration/*.sql
var migrations embed.FS

// maxIdleConns is how many pooled connections stay open between requests:
// more than the requests a busy server runs at once (wrk -c64 in the
// benchmarks), since a connection closed when returned to a full pool is
// reopened (pragmas, schema, statements) by the next request over the
// limit, which costs more than the query.
const maxIdleConns = 128

// DB is a hub.MetaStore backed by one SQLite file. It is safe for
// concurrent use.
type DB struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared statements of the fixed hot queries

	changes changeCounter // ChangeCount (changes.go)
}

var (
	_ hub.MetaStore     = (*DB)(nil)
	_ hub.ChangeCounter = (*DB)(nil)
)

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
	// Keep connections open: opening one runs the pragmas and re-reads the
	// schema on first use, which costs more than most queries.
	sdb.SetMaxIdleConns(maxIdleConns)
	db := &DB{db: sdb, stmts: make(map[string]*sql.Stmt)}
	err = db.migrate(context.Background())
	if err == nil {
		err = db.changes.open(context.Background(), sdb, path+"-shm")
	}
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.mu.Unlock()
	db.changes.mu.Lock()
	db.changes.close()
	db.changes.mu.Unlock()
	return db.db.Close()
}

// stmt returns the prepared statement of a fixed query text (never one
// built from variable parts: the cache keeps every text it sees).
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st, nil
	}
	st, err := db.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.stmts[query] = st
	return st, nil
}

// row runs a fixed one-row query through its prepared statement; parsing
// a statement costs as much as running a point query.
func (db *DB) row(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return db.db.QueryRowContext(ctx, query, args...) // reports the error on Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// rows runs a fixed query through its prepared statement.
func (db *DB) rows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

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
