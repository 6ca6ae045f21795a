//go:build !race

package heads

// raceEnabled is true when tests run under the race detector.
const raceEnabled = false
