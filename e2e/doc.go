// Package e2e holds Quarry's black-box tests: they build bin/quarry, start
// `quarry serve` on a free loopback port with a fresh data directory, and
// drive it only through the operator CLI, the HTTP API and real clients (the
// Node test hub.test.mjs runs @huggingface/hub against the server).
//
// The package has no exported API; everything lives in its _test.go files.
package e2e
