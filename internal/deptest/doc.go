// Package deptest holds the module's import-direction tests: which room
// (group of packages) may import which, checked against `go list` for
// every package on Linux and Windows, and the check that
// docs/architecture.md names exactly the packages that exist. It has no
// code of its own; it lives in internal/ because it tests the module as a
// whole, not one package, and needs neither a built daemon nor peers (what
// test/ is for), so it runs with the unit tests.
package deptest
