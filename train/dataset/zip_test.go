package dataset

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type zipFile struct {
	name string
	body string
	mode fs.FileMode
}

func makeZip(t *testing.T, files []zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if f.mode != 0 {
			h.SetMode(f.mode)
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombZip writes one entry whose header declares `declared` uncompressed
// bytes while the archive itself stays tiny.
func bombZip(t *testing.T, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(make([]byte, 1024))
	fw.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	raw, err := w.CreateRaw(&zip.FileHeader{Name: "mine/bomb.png", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(make([]byte, 1024)), CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(comp.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInspectZipRefusals(t *testing.T) {
	many := make([]zipFile, 11)
	for i := range many {
		many[i] = zipFile{name: "mine/" + strings.Repeat("x", i+1) + ".png", body: "x"}
	}
	cases := []struct {
		name string
		data []byte
		lim  ZipLimits
		want string // substring of the error; "" means accepted
	}{
		{"fine", makeZip(t, []zipFile{{name: "mine/"}, {name: "mine/a.png", body: "abc"}}), ZipLimits{}, ""},
		{"dot-dot", makeZip(t, []zipFile{{name: "../evil.png", body: "x"}}), ZipLimits{}, "escapes"},
		{"nested dot-dot", makeZip(t, []zipFile{{name: "mine/../../evil.png", body: "x"}}), ZipLimits{}, "escapes"},
		{"backslash dot-dot", makeZip(t, []zipFile{{name: `mine\..\..\evil.png`, body: "x"}}), ZipLimits{}, "escapes"},
		{"absolute", makeZip(t, []zipFile{{name: "/etc/passwd", body: "x"}}), ZipLimits{}, "absolute"},
		{"drive", makeZip(t, []zipFile{{name: "C:/x.png", body: "x"}}), ZipLimits{}, "drive"},
		{"symlink", makeZip(t, []zipFile{{name: "mine/link.png", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}}), ZipLimits{}, "symbolic link"},
		{"too many entries", makeZip(t, many), ZipLimits{MaxEntries: 10}, "11 entries"},
		{"10 GB bomb header", bombZip(t, 10<<30), ZipLimits{}, "declares 10737418240 bytes"},
		{"total over limit", makeZip(t, []zipFile{{name: "a/1.png", body: "12345"}, {name: "a/2.png", body: "12345"}}), ZipLimits{MaxTotal: 8}, "more than"},
		{"not a zip", []byte("PK nope"), ZipLimits{}, "read zip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entries, err := InspectZip(bytes.NewReader(c.data), int64(len(c.data)), c.lim)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if diff := cmp.Diff([]ZipEntry{{Name: "mine/a.png", Size: 3}}, entries); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if c.name != "not a zip" && !errors.Is(err, ErrUnsafeZip) {
				t.Fatalf("error %v does not wrap ErrUnsafeZip", err)
			}
		})
	}
}

func TestExtractZip(t *testing.T) {
	data := makeZip(t, []zipFile{{name: "data/mine/a.png", body: "AAA"}, {name: "data/no_mine/b.png", body: "BB"}})
	dir := t.TempDir()
	entries, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dir, ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("entries %v", entries)
	}
	got, err := os.ReadFile(filepath.Join(dir, "data", "mine", "a.png"))
	if err != nil || string(got) != "AAA" {
		t.Fatalf("read back %q, %v", got, err)
	}
}

func TestExtractRefusesBeforeWriting(t *testing.T) {
	data := makeZip(t, []zipFile{{name: "mine/a.png", body: "ok"}, {name: "../evil.png", body: "x"}})
	dir := t.TempDir()
	if _, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dir, ZipLimits{}); !errors.Is(err, ErrUnsafeZip) {
		t.Fatalf("error %v, want ErrUnsafeZip", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("wrote %d entries before refusing", len(ents))
	}
}

func TestExtractEnforcesActualSize(t *testing.T) {
	// A header that understates: declares 10 bytes, holds 1024.
	data := bombZip(t, 10)
	_, err := ExtractZip(bytes.NewReader(data), int64(len(data)), t.TempDir(), ZipLimits{})
	if err == nil {
		t.Fatal("understated entry extracted without error")
	}
}
