// Package clienttest runs the TypeScript client's tests (clients/typescript: Node tests and
// a headless Chromium test of its demo page) against the whole API started on this machine
// by package localstack. It has no code of its own besides the test.
package clienttest
