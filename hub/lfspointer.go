package hub

import (
	"strconv"
	"strings"
)

// lfsPointerPrefix starts every git-lfs pointer file.
const lfsPointerPrefix = "version https://git-lfs.github.com/spec/v1\n"

// maxPointerSize bounds what is parsed as a pointer; real ones are ~130 bytes.
const maxPointerSize = 1024

// lfsPointer returns the standard git-lfs pointer for content oid of size bytes.
func lfsPointer(oid string, size int64) []byte {
	return []byte(lfsPointerPrefix + "oid sha256:" + oid + "\nsize " + strconv.FormatInt(size, 10) + "\n")
}

// parseLFSPointer returns the LFS info of blob content, or ok=false when the
// content is not a git-lfs pointer.
func parseLFSPointer(content []byte) (info LFSInfo, ok bool) {
	if len(content) > maxPointerSize || !strings.HasPrefix(string(content), lfsPointerPrefix) {
		return LFSInfo{}, false
	}
	var haveOID, haveSize bool
	for _, line := range strings.Split(strings.TrimSuffix(string(content[len(lfsPointerPrefix):]), "\n"), "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "oid":
			oid, found := strings.CutPrefix(val, "sha256:")
			if !found || !isSHA256(oid) {
				return LFSInfo{}, false
			}
			info.OID, haveOID = oid, true
		case "size":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return LFSInfo{}, false
			}
			info.Size, haveSize = n, true
		}
	}
	info.PointerSize = int64(len(content))
	return info, haveOID && haveSize
}

// isSHA256 reports whether s is a lowercase 64-hex sha256.
func isSHA256(s string) bool { return len(s) == 64 && isLowerHex(s) }

// lfsKey is the BlobStore key of LFS content.
func lfsKey(oid string) string { return "lfs/" + oid[:2] + "/" + oid }

// objectKey is the BlobStore key of a git object.
func objectKey(id string) string { return "objects/" + id[:2] + "/" + id[2:] }

func checkSHA256(oid string) error {
	if !isSHA256(oid) {
		return Errorf(ErrInvalid, "invalid LFS oid %q: expected 64 lowercase hex characters", oid)
	}
	return nil
}
