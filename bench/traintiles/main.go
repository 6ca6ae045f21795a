// Command traintiles writes a synthetic tile set (train/tiles.GenerateSet)
// for bench/train.sh: traintiles DIR SEED N_PER_CLASS.
package main

import (
	"fmt"
	"os"
	"strconv"

	"quarry/train/tiles"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: traintiles DIR SEED N_PER_CLASS")
		os.Exit(2)
	}
	seed, err := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "traintiles: seed:", err)
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "traintiles: N_PER_CLASS must be a positive integer")
		os.Exit(2)
	}
	if _, err := tiles.GenerateSet(os.Args[1], seed, n, tiles.DefaultSize); err != nil {
		fmt.Fprintln(os.Stderr, "traintiles:", err)
		os.Exit(1)
	}
}
