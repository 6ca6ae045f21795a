// Package hub is Quarry's domain: repos whose history is real git, users and
// tokens, the access rule, and the service that the HTTP layer (hubhttp) and
// the CLI drive.
//
// hub owns the small interfaces it consumes (BlobStore, RepoStore, RefStore,
// UserStore, TokenStore, LFSIndex) and imports no SDK, web framework or SQL
// driver: adapters in infra/* implement them and translate their vendor errors
// into the errors of this package.
package hub
