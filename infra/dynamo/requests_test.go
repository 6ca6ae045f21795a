package dynamo_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/dynamo"
	"quarry/internal/awstest"
)

// counted runs fn and returns the DynamoDB requests it made, as the
// store's middleware counted them; it fails the test when moto's access
// log saw a different number.
func counted(t *testing.T, s *dynamo.MetaStore, fn func() error) (int, string) {
	t.Helper()
	s.ResetRequestCounts()
	before := settledRequests()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	total, ops := 0, []string{}
	for op, n := range s.RequestCounts() {
		total += n
		ops = append(ops, fmt.Sprintf("%s×%d", op, n))
	}
	sort.Strings(ops)
	logged := moto.WaitRequests(before+total, 2*time.Second) - before
	if total != logged {
		t.Fatalf("the store counted %d requests (%v), moto logged %d", total, ops, logged)
	}
	return total, strings.Join(ops, " ")
}

// settledRequests returns moto's request count once its access log has
// stopped growing: the lines of earlier requests are written after their
// answers, and one arriving late would be counted against the next figure.
func settledRequests() int {
	n := moto.Requests()
	for {
		time.Sleep(50 * time.Millisecond)
		m := moto.Requests()
		if m == n {
			return n
		}
		n = m
	}
}

// TestRequestCounts measures the DynamoDB requests of the hub's hot paths
// (issue 7's performance line) on a real hub.Service, and checks them
// against the goals: a model info and a resolve in at most 2 requests, a
// commit in a small constant.
func TestRequestCounts(t *testing.T) {
	awstest.Need(t, moto)
	s := newStore(t)
	ctx := context.Background()
	svc := hub.NewService(hubtest.NewMemBlobStore(), s, []byte(strings.Repeat("k", 32)))
	if _, err := svc.CreateUser(ctx, "alice", "alice@example.com", "a long password", false); err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, "alice", hub.RoleWrite, "ci")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := svc.AuthenticateFrom(ctx, secret, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	id := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "bert"}
	if _, err := svc.CreateRepo(ctx, alice, hub.CreateRepoInput{ID: id}); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRepo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The first authentication recorded the token's use, which moved the
	// change count on: this one caches the credentials again.
	if _, err := svc.AuthenticateFrom(ctx, secret, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	lfs, err := svc.StoreLFS(ctx, alice, id, strings.NewReader("weights"))
	if err != nil {
		t.Fatal(err)
	}
	anon := &hub.Caller{}
	figures := []struct {
		name string
		max  int
		fn   func() error
	}{
		{"model info (GetRepo+GetRef)", 2, func() error { _, err := svc.ResolveRevision(ctx, anon, id, "main"); return err }},
		{"resolve (GetRepo+ListRefs)", 2, func() error {
			_, _, err := svc.ResolveRevisionPath(ctx, anon, id, "main/README.md")
			return err
		}},
		{"ref CAS alone (UpdateRef)", 1, func() error { return s.UpdateRef(ctx, r.Key, "refs/heads/cas", "", r.Head) }},
		{"token authentication, cached (ChangeCount)", 1, func() error {
			_, err := svc.AuthenticateFrom(ctx, secret, "127.0.0.1")
			return err
		}},
		{"commit of one file on main", 8, func() error {
			_, err := svc.Commit(ctx, alice, id, hub.CommitInput{Summary: "add", Ops: []hub.Op{
				{Kind: hub.OpFile, Path: "README.md", Content: []byte("# bert\n")}}})
			return err
		}},
		{"commit of one LFS file on main", 7, func() error {
			_, err := svc.Commit(ctx, alice, id, hub.CommitInput{Summary: "add weights", Ops: []hub.Op{
				{Kind: hub.OpLFSFile, Path: "model.onnx", OID: lfs.OID, Size: lfs.Size}}})
			return err
		}},
	}
	for _, f := range figures {
		n, ops := counted(t, s, f.fn)
		t.Logf("%-42s %d requests: %s", f.name, n, ops)
		if n > f.max {
			t.Errorf("%s took %d DynamoDB requests (%s), goal at most %d", f.name, n, ops, f.max)
		}
	}
}
