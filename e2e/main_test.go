package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// quarryBin is the path of the quarry binary under test, set by TestMain.
var quarryBin string

// TestMain builds ./cmd/quarry into a temporary directory (or uses $QUARRY_BIN
// when set) so that every run tests the current sources.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if bin := os.Getenv("QUARRY_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: QUARRY_BIN: %v\n", err)
			return 1
		}
		quarryBin = abs
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "quarry-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	quarryBin = filepath.Join(dir, "quarry")
	build := exec.Command("go", "build", "-o", quarryBin, "./cmd/quarry")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/quarry: %v\n", err)
		return 1
	}
	return m.Run()
}
