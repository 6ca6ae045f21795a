package hub

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// LFSObject is an object in an LFS batch request.
type LFSObject struct {
	OID  string
	Size int64
	// Resume (a Quarry extension, uploads only) is the completion URL of
	// an earlier multipart upload of this object to this repo, or its
	// token: see LFSResumeWindow.
	Resume string
}

// LFSBatchRequest is a git-lfs batch API request.
type LFSBatchRequest struct {
	Operation string // "upload" or "download"
	Transfers []string
	Objects   []LFSObject
}

// LFSAction is one action (upload, download) of a batch response object.
type LFSAction struct {
	Href      string
	Header    map[string]string
	ExpiresIn int // seconds
}

// LFSObjectError is a per-object batch error.
type LFSObjectError struct {
	Code    int
	Message string
}

// LFSBatchObject is one object of a batch response.
type LFSBatchObject struct {
	OID           string
	Size          int64
	Authenticated bool
	Actions       map[string]LFSAction // nil: nothing to do
	Error         *LFSObjectError
}

// LFSBatchResponse is a git-lfs batch API response.
type LFSBatchResponse struct {
	Transfer string // "basic" or "multipart"
	Objects  []LFSBatchObject
}

// LFSPart is one uploaded part in a multipart completion request.
type LFSPart struct {
	PartNumber int
	ETag       string
}

// Multipart upload parameters.
const (
	LFSChunkSize          = 8 << 20  // bytes per part
	LFSMultipartThreshold = 32 << 20 // objects from this size use multipart when offered
)

// maxBatchObjects bounds one batch request.
const maxBatchObjects = 10000

// LFSBatch answers a git-lfs batch request with signed transfer URLs under
// baseURL (the server's public URL, no trailing slash).
func (s *Service) LFSBatch(ctx context.Context, c *Caller, id RepoID, baseURL string, req LFSBatchRequest) (*LFSBatchResponse, error) {
	var action Action
	switch req.Operation {
	case "upload":
		action = ActionWrite
	case "download":
		action = ActionRead
	default:
		return nil, Errorf(ErrInvalid, "invalid LFS operation %q: must be upload or download", req.Operation)
	}
	repo, err := s.FindRepo(ctx, c, id, action)
	if err != nil {
		return nil, err
	}
	if len(req.Objects) > maxBatchObjects {
		return nil, Errorf(ErrInvalid, "too many objects in one batch (%d, at most %d)", len(req.Objects), maxBatchObjects)
	}
	multipart := slices.Contains(req.Transfers, "multipart")
	resp := &LFSBatchResponse{Transfer: "basic", Objects: make([]LFSBatchObject, len(req.Objects))}
	for i, o := range req.Objects {
		obj, err := s.batchObject(ctx, repo, baseURL, req.Operation, multipart, o)
		if err != nil {
			return nil, err
		}
		if obj.Actions["upload"].Header["chunk_size"] != "" {
			resp.Transfer = "multipart"
		}
		resp.Objects[i] = obj
	}
	return resp, nil
}

func (s *Service) batchObject(ctx context.Context, repo *Repo, baseURL, op string, multipart bool, o LFSObject) (LFSBatchObject, error) {
	out := LFSBatchObject{OID: o.OID, Size: o.Size, Authenticated: true}
	if !isSHA256(o.OID) || o.Size < 0 {
		out.Error = &LFSObjectError{Code: 422, Message: "Invalid object: oid must be a lowercase sha256 and size non-negative"}
		return out, nil
	}
	held, err := s.Meta.GetLFSObject(ctx, repo.Key, o.OID)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return out, err
	}
	switch {
	case found && held != o.Size:
		out.Error = &LFSObjectError{Code: 422, Message: "Size mismatch: the repo holds this object with size " + strconv.FormatInt(held, 10)}
	case op == "download" && !found:
		out.Error = &LFSObjectError{Code: 404, Message: "Object does not exist"}
	case op == "download":
		href, ok, err := s.presignedDownloadHref(ctx, o.OID)
		if !ok && err == nil {
			href, err = s.SignLFSDownload(repo, o.OID, o.Size, baseURL)
		}
		if err != nil {
			return out, err
		}
		out.Actions = map[string]LFSAction{"download": {Href: href, ExpiresIn: int(LFSDownloadTTL.Seconds())}}
	case !found:
		a, ok, err := s.presignedUploadAction(ctx, repo, baseURL, multipart, o)
		if !ok {
			a, err = s.uploadAction(repo, baseURL, multipart, o)
		}
		if err != nil {
			return out, err
		}
		out.Actions = map[string]LFSAction{"upload": a}
	}
	return out, nil
}

// uploadAction signs a basic PUT URL, or part and completion URLs for
// large objects when the client offered multipart.
func (s *Service) uploadAction(repo *Repo, baseURL string, multipart bool, o LFSObject) (LFSAction, error) {
	cl := lfsClaims{Op: tokUpload, Repo: repo.Key, OID: o.OID, Size: o.Size, Upload: newUploadID(),
		Exp: s.now().Add(LFSUploadTTL).Unix()}
	ttl := int(LFSUploadTTL.Seconds())
	if !multipart || o.Size < LFSMultipartThreshold {
		tok, err := s.signToken(cl)
		return LFSAction{Href: baseURL + "/api/lfs/upload/" + tok, ExpiresIn: ttl}, err
	}
	cl.Op = tokMultipart
	prev := s.resumedUpload(repo, o)
	resumed := prev != "" && !strings.HasPrefix(prev, presignedUpload)
	if resumed {
		cl.Upload = prev
	}
	tok, err := s.signToken(cl)
	if err != nil {
		return LFSAction{}, err
	}
	header := map[string]string{"chunk_size": strconv.Itoa(LFSChunkSize)}
	for n := 1; n <= partCount(o.Size); n++ {
		header[strconv.Itoa(n)] = baseURL + "/api/lfs/part/" + tok + "/" + strconv.Itoa(n)
	}
	if resumed {
		header[LFSResumedHeader] = "true"
	}
	return LFSAction{Href: baseURL + "/api/lfs/complete/" + tok, Header: header, ExpiresIn: ttl}, nil
}

// SignLFSDownload returns a signed URL under baseURL that serves the LFS
// object oid of repo without further authentication (OpenLFSDownload).
func (s *Service) SignLFSDownload(repo *Repo, oid string, size int64, baseURL string) (string, error) {
	tok, err := s.signToken(lfsClaims{Op: tokDownload, Repo: repo.Key, OID: strings.ToLower(oid), Size: size,
		Exp: s.now().Add(LFSDownloadTTL).Unix()})
	return baseURL + "/api/lfs/download/" + tok, err
}

// partCount is the number of multipart parts of an object of size bytes.
func partCount(size int64) int {
	return int((size + LFSChunkSize - 1) / LFSChunkSize)
}

// partSize is the length of part n (1-based) of an object of size bytes.
func partSize(size int64, n int) int64 {
	return min(LFSChunkSize, size-int64(n-1)*LFSChunkSize)
}
