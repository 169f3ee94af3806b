//go:build !unix

package store

// oNoFollow: no such open flag here; openSQLiteFile compares the opened
// file with an Lstat of the path instead.
const oNoFollow = 0
