// Package protocoldoc keeps the project's own protocol and data-model
// documents true. It has no code, only tests:
//
//   - every rule numbered in docs/protocol.md's rule tables names files that
//     exist and a test that exists and says, in a comment, which rule it
//     proves ("// Rule P7", "// Rules P2, P5"); a rule may be marked pending
//     only while no test names it, and a test may name only rules the
//     tables have;
//   - docs/data-model.md lists exactly the tables of store/schema's V2 and V1
//     with their sections;
//   - nothing in the repository points at reference material that is not in
//     it: comments point at docs/protocol.md and docs/data-model.md instead.
package protocoldoc
