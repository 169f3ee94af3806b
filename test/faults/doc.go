// Package faults is the fault-injection suite: the faults that occur in a
// deployment — a PostgreSQL server unreachable, black-holed, resetting
// connections or restarting; an ipamd killed, paused or partitioned while
// another shares its database; a full disk or a read-only state directory
// under the embedded store — injected while provisioning and schema
// conversion run, and what must hold afterwards: the job ends with an
// IpamException within a stated bound, nothing is half-applied, the next
// Start succeeds or resumes, and a resumed conversion ends with the same
// rows as an uninterrupted one. docs/reliability.md states the promise
// and names the test behind each line.
//
// PostgreSQL faults go through test/internal/faultproxy, between ipamd and
// the server named by IPAMD_TEST_POSTGRES_DSN (the tests skip without it).
// A restart of that server is played by cutting every connection through
// the proxy and restoring it: the server is shared by tests running in
// parallel, and to ipamd a restart is exactly that — its connections reset,
// new ones refused, then accepted again. The real restart
// (pg_ctl restart -m fast) runs on a private cluster the test starts for
// itself (pgrestart_test.go; as root, with Debian's server binaries).
package faults
