//go:build !race

package allocbudget

// RaceEnabled reports that the race detector is on.
const RaceEnabled = false
