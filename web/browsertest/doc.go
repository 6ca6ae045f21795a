// Package browsertest holds the headless-Chromium tests of Quarry's web
// pages: browser_test.go and browse_test.go start a real server (the quarry
// binary over a fresh data directory) and run Node scripts (settings.mjs,
// browse.mjs) that drive Chromium through playwright-core (package.json,
// package-lock.json; installed by make setup with npm ci). Screenshots go
// to $QUARRY_ARTIFACTS, by default to web/browsertest/artifacts/.
package browsertest
