package hubtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"quarry/hub"
)

// MemBlobStore is an in-memory hub.BlobStore. It is safe for concurrent use.
type MemBlobStore struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

var _ hub.BlobStore = (*MemBlobStore)(nil)

// NewMemBlobStore returns an empty store.
func NewMemBlobStore() *MemBlobStore {
	return &MemBlobStore{objs: make(map[string][]byte)}
}

// Put implements hub.BlobStore. The whole object is read before it becomes
// visible, so readers never see a part of it.
func (s *MemBlobStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if key == "" {
		return 0, hub.Errorf(hub.ErrInvalid, "empty blob key")
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.objs[key] = buf.Bytes()
	s.mu.Unlock()
	return int64(buf.Len()), nil
}

// Open implements hub.BlobStore.
func (s *MemBlobStore) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	s.mu.RLock()
	b, ok := s.objs[key]
	s.mu.RUnlock()
	if !ok {
		return nil, blobNotFound(key)
	}
	size := int64(len(b))
	if offset < 0 {
		return nil, hub.Errorf(hub.ErrInvalid, "negative offset %d", offset)
	}
	if offset > size {
		return nil, hub.Errorf(hub.ErrRange, "offset %d beyond the size %d of %s", offset, size, key)
	}
	end := size
	if length >= 0 && offset+length < size {
		end = offset + length
	}
	// Stored slices are never modified, so sharing them with readers is safe.
	return io.NopCloser(bytes.NewReader(b[offset:end])), nil
}

// Stat implements hub.BlobStore.
func (s *MemBlobStore) Stat(ctx context.Context, key string) (int64, error) {
	s.mu.RLock()
	b, ok := s.objs[key]
	s.mu.RUnlock()
	if !ok {
		return 0, blobNotFound(key)
	}
	return int64(len(b)), nil
}

// Delete implements hub.BlobStore.
func (s *MemBlobStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	delete(s.objs, key)
	s.mu.Unlock()
	return nil
}

// Keys returns the stored keys, for tests that check what was written.
func (s *MemBlobStore) Keys() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.objs))
	for k := range s.objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func blobNotFound(key string) error {
	return &hub.Error{Kind: hub.ErrNotFound, Message: fmt.Sprintf("blob %s not found", key)}
}
