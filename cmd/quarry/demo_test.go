package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestDemoFlagsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		args    []string
		bad     bool
		threads int
		rate    float64
		maxSize int64
	}{
		{env: nil, threads: 0, rate: 2, maxSize: 10 << 20},
		{env: map[string]string{"QUARRY_ORT_THREADS": "3", "QUARRY_DEMO_RATE": "-1", "QUARRY_DEMO_MAX_FILE_SIZE": "1000"}, threads: 3, rate: -1, maxSize: 1000},
		{env: map[string]string{"QUARRY_ORT_THREADS": "3"}, args: []string{"--threads", "1"}, threads: 1, rate: 2, maxSize: 10 << 20},
		{env: map[string]string{"QUARRY_ORT_THREADS": "many"}, bad: true},
		{env: map[string]string{"QUARRY_DEMO_RATE": "fast"}, bad: true},
		{env: map[string]string{"QUARRY_DEMO_MAX_FILE_SIZE": "-5"}, bad: true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f, err := addDemoFlags(fs, func(k string) string { return tc.env[k] })
		if tc.bad {
			if !errors.As(err, new(*usageError)) {
				t.Errorf("%v: err %v, want a usage error", tc.env, err)
			}
			continue
		}
		if err == nil {
			err = fs.Parse(tc.args)
		}
		if err != nil || *f.threads != tc.threads || *f.rate != tc.rate || *f.maxFileSize != tc.maxSize {
			t.Errorf("%v %v: threads %d rate %v max %d (%v)", tc.env, tc.args, *f.threads, *f.rate, *f.maxFileSize, err)
		}
	}
}

func TestOrtLibPath(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f, err := addDemoFlags(fs, func(k string) string { return map[string]string{"QUARRY_ORT_LIB": "/x/lib.so"}[k] })
	if err != nil || f.ortLibPath() != "/x/lib.so" {
		t.Fatalf("QUARRY_ORT_LIB: %q %v", f.ortLibPath(), err)
	}
	// Without it, the default under the working directory when present.
	dir := t.TempDir()
	t.Chdir(dir)
	f, _ = addDemoFlags(flag.NewFlagSet("serve", flag.ContinueOnError), func(string) string { return "" })
	if got := f.ortLibPath(); got != ortLibRel {
		t.Fatalf("default without a library: %q, want %q", got, ortLibRel)
	}
	if err := os.MkdirAll(filepath.Dir(ortLibRel), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ortLibRel, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := f.ortLibPath(); got != ortLibRel {
		t.Fatalf("default with a library in the working directory: %q", got)
	}
}
