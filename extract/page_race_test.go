//go:build race

package extract

// raceEnabled is true when the tests run under the race detector, which
// slows extraction about tenfold; the heaviest inputs shrink to match.
const raceEnabled = true
