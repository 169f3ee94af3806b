//go:build !race

package ipam_test

const raceEnabled = false
