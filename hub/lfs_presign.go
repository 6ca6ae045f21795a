package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MultipartPresigner is an optional BlobStore capability (S3): a multipart
// upload whose parts clients PUT straight to the store through presigned
// URLs, so that LFS bytes never pass through the server (a Lambda function
// carries at most 6 MB a request). ErrUnsupported when unavailable.
type MultipartPresigner interface {
	// CreateMultipart starts a multipart upload to key and returns its id.
	CreateMultipart(ctx context.Context, key string) (uploadID string, err error)
	// PresignPart returns a URL that takes part (1-based) of the upload
	// with a plain PUT (no signed headers), valid for ttl. Its response
	// carries the part's ETag.
	PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error)
	// CompleteMultipart joins the parts, in order, into the object key.
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []LFSPart) error
	// AbortMultipart drops an upload and its parts.
	AbortMultipart(ctx context.Context, key, uploadID string) error
}

// presignedUpload marks the Upload field of a multipart token whose parts
// go straight to the store: "s3mp.<upload id>.<store's upload id>".
const presignedUpload = "s3mp."

// maxPresignedParts bounds the part URLs of one object, which keeps a
// batch response far below Lambda's 6 MB (about 700 bytes a URL): larger
// objects get larger parts.
const maxPresignedParts = 1000

// presignedChunk is the part size of a presigned multipart upload of size
// bytes: LFSChunkSize, or more (whole MiB) when that would need more than
// maxPresignedParts parts.
func presignedChunk(size int64) int64 {
	chunk := int64(LFSChunkSize)
	if size > chunk*maxPresignedParts {
		chunk = (size + maxPresignedParts - 1) / maxPresignedParts
		chunk = (chunk + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return chunk
}

// presignedUploadAction answers an LFS upload with part URLs straight to
// the store and a signed completion URL under baseURL, when the store is a
// MultipartPresigner and the client offered multipart (both HF clients
// do; for small objects the upload is a single part). ok=false means "use
// the server-side transfer" (git-lfs offers basic only; empty objects).
// A valid o.Resume of a presigned upload signs new part URLs for the
// same store upload instead of starting one (see LFSResumeWindow).
//
// Hook: Service.batchObject calls it before uploadAction.
func (s *Service) presignedUploadAction(ctx context.Context, repo *Repo, baseURL string, multipart bool, o LFSObject) (a LFSAction, ok bool, err error) {
	mp, isMP := s.Blobs.(MultipartPresigner)
	if !isMP || !multipart || o.Size <= 0 {
		return LFSAction{}, false, nil
	}
	prev, resumed := strings.CutPrefix(s.resumedUpload(repo, o), presignedUpload)
	id, uid, _ := strings.Cut(prev, ".")
	if !resumed {
		id = newUploadID()
		uid, err = mp.CreateMultipart(ctx, uploadKey(id, "data"))
		if errors.Is(err, ErrUnsupported) {
			return LFSAction{}, false, nil
		} else if err != nil {
			return LFSAction{}, true, fmt.Errorf("LFS upload %s: %w", o.OID, err)
		}
	}
	key := uploadKey(id, "data")
	tok, err := s.signToken(lfsClaims{Op: tokMultipart, Repo: repo.Key, OID: o.OID, Size: o.Size,
		Upload: presignedUpload + id + "." + uid, Exp: s.now().Add(LFSUploadTTL).Unix()})
	if err != nil {
		return LFSAction{}, true, err
	}
	chunk := presignedChunk(o.Size)
	header := map[string]string{"chunk_size": strconv.FormatInt(chunk, 10)}
	if resumed {
		header[LFSResumedHeader] = "true"
	}
	for n := 1; int64(n-1)*chunk < o.Size; n++ {
		u, err := mp.PresignPart(ctx, key, uid, n, LFSUploadTTL)
		if err != nil {
			return LFSAction{}, true, fmt.Errorf("LFS upload %s: part %d: %w", o.OID, n, err)
		}
		header[strconv.Itoa(n)] = u
	}
	return LFSAction{Href: baseURL + "/api/lfs/complete/" + tok, Header: header,
		ExpiresIn: int(LFSUploadTTL.Seconds())}, true, nil
}

// completePresigned finishes an upload of presignedUploadAction: the
// store joins the parts, then the object's size and sha256 are checked
// (reading it once) before it is promoted to its content key and recorded
// for the repo. A completion sent again after success succeeds. ok=false
// means the token's upload is not a presigned one.
//
// Hook: CompleteLFSMultipart calls it after checking the token and oid.
func (s *Service) completePresigned(ctx context.Context, cl *lfsClaims, parts []LFSPart) (ok bool, err error) {
	rest, isPresigned := strings.CutPrefix(cl.Upload, presignedUpload)
	if !isPresigned {
		return false, nil
	}
	id, uid, _ := strings.Cut(rest, ".")
	mp, isMP := s.Blobs.(MultipartPresigner)
	if !isMP {
		return true, Errorf(ErrUnsupported, "this store does not take presigned multipart uploads")
	}
	if _, err := s.Meta.GetLFSObject(ctx, cl.Repo, cl.OID); err == nil {
		mp.AbortMultipart(ctx, uploadKey(id, "data"), uid) // a retry: already done
		return true, nil
	}
	chunk := presignedChunk(cl.Size)
	n := int((cl.Size + chunk - 1) / chunk)
	if len(parts) != n {
		return true, Errorf(ErrInvalid, "expected %d parts, got %d", n, len(parts))
	}
	for i, p := range parts {
		if p.PartNumber != i+1 || p.ETag == "" {
			return true, Errorf(ErrInvalid, "parts must be listed in order 1..%d with their etags; position %d has part %d", n, i+1, p.PartNumber)
		}
	}
	key := uploadKey(id, "data")
	if err := mp.CompleteMultipart(ctx, key, uid, parts); err != nil {
		return true, fmt.Errorf("LFS upload %s: %w", cl.OID, err)
	}
	return true, s.adoptUpload(ctx, cl, key)
}

// adoptUpload verifies the object at key against the token's size and
// sha256, moves it to its content key and records it for the repo. A
// mismatch deletes it and gives ErrInvalid.
func (s *Service) adoptUpload(ctx context.Context, cl *lfsClaims, key string) error {
	err := s.verifyBlob(ctx, key, cl.OID, cl.Size)
	if err == nil {
		err = s.promote(ctx, key, lfsKey(cl.OID), cl.Size)
	}
	if err != nil {
		s.Blobs.Delete(context.WithoutCancel(ctx), key)
		return fmt.Errorf("LFS upload %s: %w", cl.OID, err)
	}
	return s.Meta.AddLFSObject(ctx, cl.Repo, cl.OID, cl.Size)
}

// verifyBlob reads the object at key and checks its size and sha256.
func (s *Service) verifyBlob(ctx context.Context, key, oid string, size int64) error {
	rc, err := s.Blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, size+1))
	if err != nil {
		return err
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != oid {
		return Errorf(ErrInvalid, "uploaded content does not match oid %s and size %d (got %d bytes)", oid, size, n)
	}
	return nil
}

// presignedDownloadHref returns a presigned GET URL of LFS object oid when
// the store is a Presigner (ok=false: serve it through the server).
//
// Hook: Service.batchObject's download case calls it before
// SignLFSDownload, so that git-lfs downloads skip the server too.
func (s *Service) presignedDownloadHref(ctx context.Context, oid string) (href string, ok bool, err error) {
	ps, isPS := s.Blobs.(Presigner)
	if !isPS {
		return "", false, nil
	}
	u, err := ps.PresignGet(ctx, lfsKey(oid), LFSDownloadTTL)
	if errors.Is(err, ErrUnsupported) {
		return "", false, nil
	}
	return u, err == nil, err
}
