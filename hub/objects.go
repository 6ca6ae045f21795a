package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// blobMeta is what listings need to know about a blob without its content.
type blobMeta struct {
	Size   int64    // content size (the pointer's size for LFS pointers)
	Header int64    // length of the "blob <size>\x00" header in the stored object
	LFS    *LFSInfo // set when the blob is a git-lfs pointer
}

// writeObject stores an object and returns its id.
func (s *Service) writeObject(ctx context.Context, typ string, content []byte) (string, error) {
	data := encodeObject(typ, content)
	sum := sha1.Sum(data)
	id := hex.EncodeToString(sum[:])
	if _, err := s.Blobs.Put(ctx, objectKey(id), bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("write %s %s: %w", typ, id, err)
	}
	return id, nil
}

// readObject reads and verifies a whole object. A missing object gives an
// error wrapping ErrNotFound.
func (s *Service) readObject(ctx context.Context, id string) (typ string, content []byte, err error) {
	if !isHexID(id) {
		return "", nil, NotFoundf(ErrRevisionNotFound, "Invalid object id %q", id)
	}
	rc, err := s.Blobs.Open(ctx, objectKey(id), 0, -1)
	if err != nil {
		return "", nil, fmt.Errorf("read object %s: %w", id, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return "", nil, fmt.Errorf("read object %s: %w", id, err)
	}
	if sum := sha1.Sum(data); hex.EncodeToString(sum[:]) != id {
		return "", nil, fmt.Errorf("read object %s: checksum mismatch", id)
	}
	return decodeObject(data)
}

func (s *Service) readTyped(ctx context.Context, id, want string) ([]byte, error) {
	typ, content, err := s.readObject(ctx, id)
	if err != nil {
		return nil, err
	}
	if typ != want {
		return nil, fmt.Errorf("object %s is a %s, not a %s", id, typ, want)
	}
	return content, nil
}

// readTree returns the entries of a tree, sorted in git order. Callers must
// not modify the slice.
func (s *Service) readTree(ctx context.Context, id string) ([]treeEntry, error) {
	if v, ok := s.cacheGet("tree:" + id); ok {
		return v.([]treeEntry), nil
	}
	content, err := s.readTyped(ctx, id, objTree)
	if err != nil {
		return nil, err
	}
	entries, err := decodeTree(content)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", id, err)
	}
	s.cacheAdd("tree:"+id, entries, 64+len(entries)*96)
	return entries, nil
}

// readCommit returns a decoded commit. Callers must not modify it.
func (s *Service) readCommit(ctx context.Context, id string) (*commitObject, error) {
	if v, ok := s.cacheGet("commit:" + id); ok {
		return v.(*commitObject), nil
	}
	content, err := s.readTyped(ctx, id, objCommit)
	if err != nil {
		return nil, err
	}
	c, err := decodeCommit(content)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	s.cacheAdd("commit:"+id, c, 256+len(content))
	return c, nil
}

// commitExists reports whether id names a stored commit object.
func (s *Service) commitExists(ctx context.Context, id string) (bool, error) {
	if _, err := s.readCommit(ctx, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// readBlobMeta returns a blob's size and, for LFS pointers, their content,
// reading at most maxPointerSize bytes past the header.
func (s *Service) readBlobMeta(ctx context.Context, id string) (*blobMeta, error) {
	if v, ok := s.cacheGet("blob:" + id); ok {
		return v.(*blobMeta), nil
	}
	rc, err := s.Blobs.Open(ctx, objectKey(id), 0, 32+maxPointerSize)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", id, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", id, err)
	}
	nul := bytes.IndexByte(data, 0)
	size, err := strconv.ParseInt(string(bytes.TrimPrefix(data[:max(nul, 0)], []byte("blob "))), 10, 64)
	if nul < 0 || !bytes.HasPrefix(data, []byte("blob ")) || err != nil {
		return nil, fmt.Errorf("read blob %s: bad header", id)
	}
	m := &blobMeta{Size: size, Header: int64(nul + 1)}
	if content := data[nul+1:]; int64(len(content)) == size {
		if info, ok := parseLFSPointer(content); ok {
			m.LFS = &info
		}
	}
	s.cacheAdd("blob:"+id, m, 160)
	return m, nil
}

// readBlob returns a blob's whole content; for files that must fit in memory
// (READMEs, configs, .gitattributes).
func (s *Service) readBlob(ctx context.Context, id string) ([]byte, error) {
	return s.readTyped(ctx, id, objBlob)
}

func (s *Service) cacheGet(key string) (any, bool) {
	if s.cache == nil {
		return nil, false
	}
	return s.cache.get(key)
}

func (s *Service) cacheAdd(key string, val any, size int) {
	if s.cache != nil {
		s.cache.add(key, val, size)
	}
}
