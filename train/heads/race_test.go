//go:build race

package heads

// raceEnabled is true when tests run under the race detector, which slows
// the numeric loops about tenfold.
const raceEnabled = true
