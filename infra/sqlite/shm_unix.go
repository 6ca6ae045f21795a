//go:build unix

package sqlite

import (
	"fmt"
	"os"
	"syscall"
)

// shmView is a read-only shared mapping of the start of a -shm file.
type shmView struct {
	mem []byte
}

// openShm maps the first size bytes of path; the file may be longer but
// not shorter.
func openShm(path string, size int) (*shmView, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < int64(size) {
		return nil, fmt.Errorf("%s: %d bytes, want at least %d", path, fi.Size(), size)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return &shmView{mem: mem}, nil
}

// read copies the start of the mapping into b.
func (v *shmView) read(b []byte) { copy(b, v.mem) }

func (v *shmView) close() { syscall.Munmap(v.mem) }
