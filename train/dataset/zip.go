package dataset

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ZipLimits bound what a zip upload may hold. Zero fields take defaults.
type ZipLimits struct {
	MaxEntries int    // default 100,000
	MaxTotal   uint64 // declared uncompressed bytes of all entries, default 4 GiB
	MaxFile    uint64 // declared uncompressed bytes of one entry, default 256 MiB
}

func (l ZipLimits) withDefaults() ZipLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 100_000
	}
	if l.MaxTotal == 0 {
		l.MaxTotal = 4 << 30
	}
	if l.MaxFile == 0 {
		l.MaxFile = 256 << 20
	}
	return l
}

// ErrUnsafeZip is wrapped by every refusal of InspectZip and ExtractZip.
var ErrUnsafeZip = errors.New("unsafe zip")

// ZipEntry is a regular file of a zip archive.
type ZipEntry struct {
	Name string `json:"name"`
	// Size is the declared uncompressed size.
	Size uint64 `json:"size"`
}

// InspectZip lists the files of a zip from its central directory, without
// extracting anything, and refuses (with ErrUnsafeZip) archives with
// entries that escape the root (`..`, absolute or drive paths), symbolic
// links or other special files, too many entries, or a declared
// uncompressed size over the limits (a zip bomb announces itself there).
// Folder entries are checked but not listed.
func InspectZip(r io.ReaderAt, size int64, lim ZipLimits) ([]ZipEntry, error) {
	zr, err := openZip(r, size)
	if err != nil {
		return nil, err
	}
	return checkEntries(zr, lim.withDefaults())
}

func openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // our own checks report insecure paths
		return nil, fmt.Errorf("read zip: %w", err)
	}
	return zr, nil
}

func checkEntries(zr *zip.Reader, lim ZipLimits) ([]ZipEntry, error) {
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, the limit is %d", ErrUnsafeZip, len(zr.File), lim.MaxEntries)
	}
	var out []ZipEntry
	var total uint64
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: entry %q is a symbolic link", ErrUnsafeZip, f.Name)
		}
		if mode.IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		if !mode.IsRegular() {
			return nil, fmt.Errorf("%w: entry %q is not a regular file (%v)", ErrUnsafeZip, f.Name, mode.Type())
		}
		if f.UncompressedSize64 > lim.MaxFile {
			return nil, fmt.Errorf("%w: entry %q declares %d bytes, the limit per file is %d",
				ErrUnsafeZip, f.Name, f.UncompressedSize64, lim.MaxFile)
		}
		total += f.UncompressedSize64
		if total > lim.MaxTotal {
			return nil, fmt.Errorf("%w: entries declare more than %d bytes uncompressed (limit %d)",
				ErrUnsafeZip, total, lim.MaxTotal)
		}
		out = append(out, ZipEntry{Name: f.Name, Size: f.UncompressedSize64})
	}
	return out, nil
}

// checkName refuses names that would land outside the extraction folder;
// backslashes count as separators.
func checkName(name string) error {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case n == "" || strings.ContainsRune(n, 0):
		return fmt.Errorf("%w: entry with an empty or NUL-containing name", ErrUnsafeZip)
	case strings.HasPrefix(n, "/"):
		return fmt.Errorf("%w: entry %q has an absolute path", ErrUnsafeZip, name)
	case len(n) >= 2 && n[1] == ':':
		return fmt.Errorf("%w: entry %q has a drive path", ErrUnsafeZip, name)
	}
	for _, seg := range strings.Split(n, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: entry %q escapes the archive root (..)", ErrUnsafeZip, name)
		}
	}
	return nil
}

// ExtractZip inspects a zip (see InspectZip) and, only if it is safe,
// writes its files under dir (which must exist). Actual sizes are enforced
// while copying, in case a header understates them.
func ExtractZip(r io.ReaderAt, size int64, dir string, lim ZipLimits) ([]ZipEntry, error) {
	lim = lim.withDefaults()
	zr, err := openZip(r, size)
	if err != nil {
		return nil, err
	}
	entries, err := checkEntries(zr, lim)
	if err != nil {
		return nil, err
	}
	var written uint64
	for _, f := range zr.File {
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		n, err := extractOne(f, dir, lim.MaxFile)
		if err != nil {
			return nil, err
		}
		if written += n; written > lim.MaxTotal {
			return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrUnsafeZip, lim.MaxTotal)
		}
	}
	return entries, nil
}

func extractOne(f *zip.File, dir string, maxFile uint64) (uint64, error) {
	rel := path.Clean(strings.ReplaceAll(f.Name, `\`, "/"))
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if r, err := filepath.Rel(dir, dst); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return 0, fmt.Errorf("%w: entry %q escapes the archive root", ErrUnsafeZip, f.Name)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("extract %s: %w", f.Name, err)
	}
	src, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("extract %s: %w", f.Name, err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("extract %s: %w", f.Name, err)
	}
	limit := min(f.UncompressedSize64, maxFile)
	n, err := io.Copy(out, io.LimitReader(src, int64(limit)+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("extract %s: %w", f.Name, err)
	}
	if uint64(n) > limit {
		return 0, fmt.Errorf("%w: entry %q holds more than its declared %d bytes", ErrUnsafeZip, f.Name, f.UncompressedSize64)
	}
	return uint64(n), nil
}
