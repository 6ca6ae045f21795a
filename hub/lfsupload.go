package hub

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// BlobMover is an optional BlobStore capability: rename a key within the
// store (a file rename on local disk). Without it, promoting an upload
// copies it.
type BlobMover interface {
	Move(ctx context.Context, from, to string) error
}

func uploadKey(id, name string) string { return "uploads/" + id + "/" + name }

// PutLFSObject stores the body of a basic upload authorized by token. The
// bytes are hashed while they stream into a temporary key; a wrong size or
// sha256 gives ErrInvalid and records nothing.
func (s *Service) PutLFSObject(ctx context.Context, token string, r io.Reader) error {
	cl, err := s.verifyToken(token, tokUpload)
	if err != nil {
		return err
	}
	return s.storeLFS(ctx, cl, r)
}

// storeLFS streams r into uploads/<id>/data, verifies it against cl, moves
// it to its lfs/ key and records it for the repo.
func (s *Service) storeLFS(ctx context.Context, cl *lfsClaims, r io.Reader) error {
	tmp := uploadKey(cl.Upload, "data")
	h := sha256.New()
	n, err := s.Blobs.Put(ctx, tmp, io.TeeReader(io.LimitReader(r, cl.Size+1), h))
	if err == nil && (n != cl.Size || hex.EncodeToString(h.Sum(nil)) != cl.OID) {
		err = Errorf(ErrInvalid, "uploaded content does not match oid %s and size %d (got %d bytes)", cl.OID, cl.Size, n)
	}
	if err == nil {
		err = s.promote(ctx, tmp, lfsKey(cl.OID), cl.Size)
	}
	if err != nil {
		s.Blobs.Delete(context.WithoutCancel(ctx), tmp)
		return fmt.Errorf("LFS upload %s: %w", cl.OID, err)
	}
	return s.Meta.AddLFSObject(ctx, cl.Repo, cl.OID, cl.Size)
}

// promote moves a verified upload to its content key. Content already
// stored under that key (from another repo) is kept.
func (s *Service) promote(ctx context.Context, tmp, final string, size int64) error {
	if have, err := s.Blobs.Stat(ctx, final); err == nil && have == size {
		return s.Blobs.Delete(ctx, tmp)
	}
	if m, ok := s.Blobs.(BlobMover); ok {
		return m.Move(ctx, tmp, final)
	}
	rc, err := s.Blobs.Open(ctx, tmp, 0, -1)
	if err != nil {
		return err
	}
	_, err = s.Blobs.Put(ctx, final, rc)
	rc.Close()
	if err != nil {
		return err
	}
	return s.Blobs.Delete(ctx, tmp)
}

// PutLFSPart stores part (1-based) of a multipart upload and returns its
// quoted ETag (the part's md5), which the completion must repeat.
func (s *Service) PutLFSPart(ctx context.Context, token string, part int, r io.Reader) (string, error) {
	cl, err := s.verifyToken(token, tokMultipart)
	if err != nil {
		return "", err
	}
	if part < 1 || part > partCount(cl.Size) {
		return "", Errorf(ErrInvalid, "invalid part number %d: this upload has %d parts", part, partCount(cl.Size))
	}
	want := partSize(cl.Size, part)
	key := uploadKey(cl.Upload, strconv.Itoa(part))
	h := md5.New()
	n, err := s.Blobs.Put(ctx, key, io.TeeReader(io.LimitReader(r, want+1), h))
	if err == nil && n != want {
		err = Errorf(ErrInvalid, "part %d must be %d bytes, got %d", part, want, n)
	}
	if err != nil {
		s.Blobs.Delete(context.WithoutCancel(ctx), key)
		return "", fmt.Errorf("LFS part %d of %s: %w", part, cl.OID, err)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + `"`, nil
}

// CompleteLFSMultipart joins the parts of a multipart upload in order,
// checking each part's ETag and the whole object's sha256 and size, then
// stores it like PutLFSObject and deletes the parts.
func (s *Service) CompleteLFSMultipart(ctx context.Context, token, oid string, parts []LFSPart) error {
	cl, err := s.verifyToken(token, tokMultipart)
	if err != nil {
		return err
	}
	if strings.ToLower(oid) != cl.OID {
		return Errorf(ErrInvalid, "oid %q does not match this upload (%s)", oid, cl.OID)
	}
	if ok, err := s.completePresigned(ctx, cl, parts); ok {
		return err
	}
	n := partCount(cl.Size)
	if len(parts) != n {
		return Errorf(ErrInvalid, "expected %d parts, got %d", n, len(parts))
	}
	for i, p := range parts {
		if p.PartNumber != i+1 {
			return Errorf(ErrInvalid, "parts must be listed in order 1..%d; position %d has part %d", n, i+1, p.PartNumber)
		}
	}
	pr := &partsReader{ctx: ctx, s: s, cl: cl, parts: parts}
	defer pr.close()
	if err := s.storeLFS(ctx, cl, pr); err != nil {
		return err
	}
	for i := range parts {
		s.Blobs.Delete(ctx, uploadKey(cl.Upload, strconv.Itoa(i+1)))
	}
	return nil
}

// partsReader streams the stored parts one after another, checking each
// part's ETag and size when it ends.
type partsReader struct {
	ctx   context.Context
	s     *Service
	cl    *lfsClaims
	parts []LFSPart
	i     int // index of the current part
	cur   io.ReadCloser
	md5   hash.Hash
	n     int64
}

func (p *partsReader) Read(b []byte) (int, error) {
	for p.i < len(p.parts) {
		if p.cur == nil {
			rc, err := p.s.Blobs.Open(p.ctx, uploadKey(p.cl.Upload, strconv.Itoa(p.i+1)), 0, -1)
			if errors.Is(err, ErrNotFound) {
				return 0, Errorf(ErrInvalid, "part %d was not uploaded", p.i+1)
			}
			if err != nil {
				return 0, err
			}
			p.cur, p.md5, p.n = rc, md5.New(), 0
		}
		n, err := p.cur.Read(b)
		p.md5.Write(b[:n])
		p.n += int64(n)
		if err == io.EOF {
			if err := p.endPart(); err != nil {
				return n, err
			}
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.EOF
}

// endPart checks the part just read and moves to the next.
func (p *partsReader) endPart() error {
	part := p.parts[p.i]
	p.cur.Close()
	p.cur = nil
	p.i++
	if p.n != partSize(p.cl.Size, part.PartNumber) {
		return Errorf(ErrInvalid, "part %d has %d bytes, expected %d", part.PartNumber, p.n, partSize(p.cl.Size, part.PartNumber))
	}
	got := hex.EncodeToString(p.md5.Sum(nil))
	if strings.Trim(strings.TrimPrefix(part.ETag, "W/"), `"`) != got {
		return Errorf(ErrInvalid, "part %d: etag %s does not match the uploaded part", part.PartNumber, part.ETag)
	}
	return nil
}

func (p *partsReader) close() {
	if p.cur != nil {
		p.cur.Close()
	}
}

// OpenLFSDownload returns the LFS object a signed download token names.
func (s *Service) OpenLFSDownload(ctx context.Context, token string) (*File, error) {
	cl, err := s.verifyToken(token, tokDownload)
	if err != nil {
		return nil, err
	}
	if _, err := s.Meta.GetLFSObject(ctx, cl.Repo, cl.OID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, NotFoundf(ErrEntryNotFound, "LFS object %s not found", cl.OID)
		}
		return nil, err
	}
	size, err := s.Blobs.Stat(ctx, lfsKey(cl.OID))
	if err != nil {
		return nil, fmt.Errorf("LFS object %s: %w", cl.OID, err)
	}
	ptr := lfsPointer(cl.OID, size)
	e := Entry{Type: EntryFile, OID: hashObject(objBlob, ptr), Size: size,
		LFS: &LFSInfo{OID: cl.OID, Size: size, PointerSize: int64(len(ptr))}}
	return &File{Entry: e, Key: lfsKey(cl.OID), Size: size, ETag: cl.OID}, nil
}
