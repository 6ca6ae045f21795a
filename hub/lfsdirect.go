package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// StoreLFS stores the content read from r as an LFS object of the repo and
// returns its oid and size, ready for an OpLFSFile of a following Commit.
// It is the in-process counterpart of the batch + PUT flow, for publishers
// inside the server (base-model import, training): no signed URL, the
// content's sha256 is computed while it streams into a temporary key, then
// the object is promoted to its content key (kept if already there) and
// recorded as held by the repo. Needs write access to the repo.
func (s *Service) StoreLFS(ctx context.Context, c *Caller, id RepoID, r io.Reader) (LFSObject, error) {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return LFSObject{}, err
	}
	tmp := uploadKey(newUploadID(), "data")
	h := sha256.New()
	n, err := s.Blobs.Put(ctx, tmp, io.TeeReader(r, h))
	oid := hex.EncodeToString(h.Sum(nil))
	if err == nil {
		err = s.promote(ctx, tmp, lfsKey(oid), n)
	}
	if err != nil {
		s.Blobs.Delete(context.WithoutCancel(ctx), tmp)
		return LFSObject{}, fmt.Errorf("store LFS object in %s: %w", id, err)
	}
	if err := s.Meta.AddLFSObject(ctx, repo.Key, oid, n); err != nil {
		return LFSObject{}, fmt.Errorf("store LFS object %s in %s: %w", oid, id, err)
	}
	return LFSObject{OID: oid, Size: n}, nil
}
