package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// changeCounter implements hub.ChangeCounter. It watches for commits to the
// database file by any connection: this process's pool or another process
// (the admin CLI), and counts one change each time it sees the file moved
// on since its last check.
//
// Two ways to see commits, the first when available:
//
//   - The WAL-index header: the first 96 bytes of the "-shm" file, mapped
//     read-only, hold two copies of the 48-byte header that every write
//     transaction rewrites on commit (https://www.sqlite.org/walformat.html,
//     "The WAL-Index Header"); processes sharing the file rely on this
//     layout, so it is stable. Comparing it costs a few nanoseconds.
//   - PRAGMA data_version on a dedicated connection, which changes when
//     another connection committed (one statement, some microseconds).
//
// The dedicated connection is opened in both cases and held until Close:
// while it is open SQLite neither deletes nor truncates the -shm file, so
// the mapping stays valid.
//
// Every commit counts, not only those touching users and tokens: repo
// writes and last-use bookkeeping give spurious changes, which only cost
// the service a cache miss.
type changeCounter struct {
	mu    sync.Mutex
	conn  *sql.Conn // dedicated connection; nil when closed
	stmt  *sql.Stmt // PRAGMA data_version on conn
	last  int64     // data_version seen by the last check
	shm   *shmView  // nil: use data_version
	hdr   [walHeaderSize]byte
	count uint64
}

// walHeaderSize is the size of the two copies of the WAL-index header at
// the start of the -shm file.
const walHeaderSize = 96

// ChangeCount implements hub.ChangeCounter: the number grows whenever any
// connection to the database file commits. A commit completed before the
// call began always gives a number larger than every one returned before
// that commit.
func (db *DB) ChangeCount(ctx context.Context) (uint64, error) {
	c := &db.changes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shm != nil {
		var h [walHeaderSize]byte
		c.shm.read(h[:])
		if h != c.hdr {
			c.hdr = h
			c.count++
		}
		return c.count, nil
	}
	if c.conn == nil {
		// Watching again after an error: commits since the last check are
		// unknown, so count one change.
		if err := c.open(ctx, db.db, ""); err != nil {
			return 0, err
		}
		c.count++
		return c.count, nil
	}
	return c.dataVersion(ctx)
}

// dataVersion checks PRAGMA data_version; it runs with c.mu held.
func (c *changeCounter) dataVersion(ctx context.Context) (uint64, error) {
	var v int64
	if err := c.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		c.close()
		return 0, dbError("data version", err)
	}
	if v != c.last {
		c.last = v
		c.count++
	}
	return c.count, nil
}

// open sets up the dedicated connection and reads its first data_version,
// then maps shmPath ("" or unavailable: data_version only). It runs with
// c.mu held, or before the DB is shared.
func (c *changeCounter) open(ctx context.Context, sdb *sql.DB, shmPath string) error {
	conn, err := sdb.Conn(ctx)
	if err != nil {
		return dbError("data version", err)
	}
	stmt, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
	if err == nil {
		// This first read also opens the connection's WAL index, which
		// makes SQLite keep the -shm file while the connection lives.
		if err = stmt.QueryRowContext(ctx).Scan(&c.last); err != nil {
			stmt.Close()
		}
	}
	if err != nil {
		conn.Close()
		return dbError("data version", fmt.Errorf("watch: %w", err))
	}
	c.conn, c.stmt = conn, stmt
	if shmPath != "" {
		if c.shm, err = openShm(shmPath, walHeaderSize); err == nil {
			c.shm.read(c.hdr[:])
		}
	}
	return nil
}

// close releases the mapping and the dedicated connection, in that order;
// it runs with c.mu held.
func (c *changeCounter) close() {
	if c.shm != nil {
		c.shm.close()
		c.shm = nil
	}
	if c.conn != nil {
		c.stmt.Close()
		c.conn.Close()
		c.conn, c.stmt = nil, nil
	}
}
