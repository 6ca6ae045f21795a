//go:build !unix

package sqlite

import "errors"

// shmView is unavailable here: ChangeCount uses PRAGMA data_version.
type shmView struct{}

func openShm(path string, size int) (*shmView, error) {
	return nil, errors.New("no shared mapping of the WAL index on this platform")
}

func (v *shmView) read(b []byte) {}

func (v *shmView) close() {}
