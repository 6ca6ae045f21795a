// Package browsertest holds the headless-Chromium tests of Quarry's web
// pages. The Go tests start a real server (the quarry binary over a fresh
// data directory) and run Node scripts that drive Chromium through
// playwright-core (package.json, package-lock.json; installed by make
// setup with npm ci), with helpers shared in lib.mjs:
//
//   - settings.mjs (browser_test.go): tokens, repo visibility, sign-out;
//   - browse.mjs (browse_test.go): home, search, repo pages, card XSS, no JS;
//   - upload.mjs (upload_test.go, upload_s3_test.go): resumable multipart
//     upload of class folders on /training/new; sha256.mjs checks its hasher;
//   - drop.mjs (drop_test.go): the drop zone of /training/new (folders
//     picked and dropped, refusals, a zip uploaded and trained on);
//     droptree.mjs checks datasetdrop.js on fake directory-entry trees;
//   - demo.mjs (the demo pages) and newcomer.mjs (the newcomer's whole
//     path) are driven by e2e/demo_browser_test.go and
//     e2e/web_newcomer_test.go.
//
// Screenshots go to $QUARRY_ARTIFACTS, by default to web/browsertest/artifacts/.
package browsertest
