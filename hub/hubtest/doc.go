// Package hubtest holds test helpers for the hub's storage contracts:
// concurrency-safe in-memory implementations of hub.BlobStore and
// hub.MetaStore for fast unit tests, and conformance suites (TestBlobStore,
// TestMetaStore) that every backend runs from its own tests.
//
// Import it only from _test.go files.
package hubtest
