package hub

import (
	"bytes"
	"context"
	"errors"
	"unicode/utf8"
)

// PreuploadFile describes a file a client is about to commit.
type PreuploadFile struct {
	Path   string
	Size   int64
	Sample []byte // the first bytes (clients send 512)
}

// PreuploadResult tells the client how to upload a file.
type PreuploadResult struct {
	Path         string
	UploadMode   string // UploadLFS or UploadRegular
	ShouldIgnore bool
	OID          string // of the file now at Path: git sha1 (regular) or sha256 (lfs); "" if none
}

// Upload modes.
const (
	UploadLFS     = "lfs"
	UploadRegular = "regular"
)

// LFSSizeThreshold is the size from which files always go to LFS.
const LFSSizeThreshold = 10 << 20

// lfsThreshold is Service.LFSThreshold or its default.
func (s *Service) lfsThreshold() int64 {
	if s.LFSThreshold > 0 {
		return s.LFSThreshold
	}
	return LFSSizeThreshold
}

// maxPreuploadFiles bounds one preupload call (clients send 100 or 256).
const maxPreuploadFiles = 1000

// Preupload decides for each file whether it goes to LFS, whether it is
// ignored, and what is at its path on rev now. gitAttributes and gitIgnore,
// when non-empty, replace the branch's .gitattributes and .gitignore.
func (s *Service) Preupload(ctx context.Context, c *Caller, id RepoID, rev string, files []PreuploadFile, gitAttributes, gitIgnore string) ([]PreuploadResult, error) {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return nil, err
	}
	if len(files) > maxPreuploadFiles {
		return nil, Errorf(ErrInvalid, "too many files in one preupload call (%d, at most %d)", len(files), maxPreuploadFiles)
	}
	r, err := s.resolve(ctx, repo, rev)
	if err != nil {
		return nil, err
	}
	root, err := s.rootTree(ctx, r.Commit)
	if err != nil {
		return nil, err
	}
	attrs, err := s.textOr(ctx, root, ".gitattributes", gitAttributes)
	if err != nil {
		return nil, err
	}
	ignore, err := s.textOr(ctx, root, ".gitignore", gitIgnore)
	if err != nil {
		return nil, err
	}
	lfsRules, ignoreRules := parseGitAttributes(attrs), parseGitIgnore(ignore)
	out := make([]PreuploadResult, len(files))
	for i, f := range files {
		if err := ValidatePath(f.Path); err != nil {
			return nil, err
		}
		mode := uploadMode(lfsRules, f, s.lfsThreshold())
		oid, err := s.existingOID(ctx, root, f.Path, mode)
		if err != nil {
			return nil, err
		}
		out[i] = PreuploadResult{Path: f.Path, UploadMode: mode, ShouldIgnore: ignored(ignoreRules, f.Path), OID: oid}
	}
	return out, nil
}

// textOr returns given when non-empty, else the file at path of tree.
func (s *Service) textOr(ctx context.Context, tree, path, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	data, err := s.readSmallFile(ctx, tree, path)
	return string(data), err
}

// uploadMode applies HF's rule: LFS when the path matches an LFS pattern,
// the file is threshold bytes (10 MiB by default) or more, or its sample
// looks binary; empty files are always regular.
func uploadMode(lfsRules []globRule, f PreuploadFile, threshold int64) string {
	switch {
	case f.Size == 0:
		return UploadRegular
	case matchLFS(lfsRules, f.Path), f.Size >= threshold, looksBinary(f.Sample, f.Size):
		return UploadLFS
	}
	return UploadRegular
}

// looksBinary reports a NUL byte or invalid UTF-8 in sample; a rune cut
// at the end of a partial sample is not counted.
func looksBinary(sample []byte, size int64) bool {
	if bytes.IndexByte(sample, 0) >= 0 {
		return true
	}
	if int64(len(sample)) < size {
		for i := len(sample) - 1; i >= 0 && i >= len(sample)-utf8.UTFMax; i-- {
			if utf8.RuneStart(sample[i]) {
				if !utf8.FullRune(sample[i:]) {
					sample = sample[:i]
				}
				break
			}
		}
	}
	return !utf8.Valid(sample)
}

// existingOID returns the id of the file at path when its kind matches mode.
func (s *Service) existingOID(ctx context.Context, tree, path, mode string) (string, error) {
	te, err := s.lookup(ctx, tree, path)
	if errors.Is(err, ErrNotFound) || (err == nil && te.isDir()) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	m, err := s.readBlobMeta(ctx, te.ID)
	switch {
	case err != nil:
		return "", err
	case mode == UploadLFS && m.LFS != nil:
		return m.LFS.OID, nil
	case mode == UploadRegular && m.LFS == nil:
		return te.ID, nil
	}
	return "", nil
}
