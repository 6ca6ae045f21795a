package hubhttp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"NotFound", hub.Errorf(hub.ErrNotFound, "no such user"), 404, "", "no such user"},
		{"RepoNotFound", hub.ErrRepoNotFound, 404, "RepoNotFound", "Repository not found"},
		{"RevisionNotFound", hub.NotFoundf(hub.ErrRevisionNotFound, "Invalid rev id: x"), 404, "RevisionNotFound", "Invalid rev id: x"},
		{"EntryNotFoundWrapped", fmt.Errorf("stat: %w", hub.ErrEntryNotFound), 404, "EntryNotFound", "Entry not found"},
		{"AnonymousPrivate", hub.RepoNotVisible(&hub.Caller{}), 401, "RepoNotFound",
			"Repository not found. If the repo is private, make sure you are authenticated."},
		{"Invalid", hub.Errorf(hub.ErrInvalid, "bad"), 400, "", "bad"},
		{"BadPath", hub.Errorf(hub.ErrBadPath, "bad path"), 422, "", "bad path"},
		{"Conflict", hub.Errorf(hub.ErrConflict, "exists"), 409, "", "exists"},
		{"Precondition", hub.Errorf(hub.ErrPrecondition, "stale"), 412, "", "stale"},
		{"Unauthorized", hub.Errorf(hub.ErrUnauthorized, "who"), 401, "", "who"},
		{"Forbidden", hub.Errorf(hub.ErrForbidden, "no"), 403, "", "no"},
		{"TooLarge", hub.Errorf(hub.ErrTooLarge, "big"), 413, "", "big"},
		{"Range", hub.Errorf(hub.ErrRange, "range"), 416, "", "range"},
		{"Unsupported", hub.Errorf(hub.ErrUnsupported, "xet"), 501, "", "xet"},
		{"RateLimited", hub.Errorf(hub.ErrRateLimited, "slow down"), 429, "", "slow down"},
		{"WrappedKindOnly", fmt.Errorf("open /secret/path: %w", hub.ErrNotFound), 404, "", "not found"},
		{"Fiber", fiber.NewError(405, "Method Not Allowed"), 405, "", "Method Not Allowed"},
		{"Internal", errors.New("disk on fire at /var/lib/x"), 500, "", "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg := describe(tc.err)
			if status != tc.status || code != tc.code || msg != tc.msg {
				t.Fatalf("describe=(%d, %q, %q), want (%d, %q, %q)", status, code, msg, tc.status, tc.code, tc.msg)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		h              string
		size           int64
		start, length  int64
		partial, unsat bool
	}{
		{"", 10, 0, 10, false, false},
		{"bytes=0-0", 10, 0, 1, true, false},
		{"bytes=2-5", 10, 2, 4, true, false},
		{"bytes=5-", 10, 5, 5, true, false},
		{"bytes=5-100", 10, 5, 5, true, false},
		{"bytes=-3", 10, 7, 3, true, false},
		{"bytes=-30", 10, 0, 10, true, false},
		{"bytes=10-", 10, 0, 0, false, true},
		{"bytes=10-20", 10, 0, 0, false, true},
		{"bytes=-0", 10, 0, 0, false, true},
		{"bytes=0-0", 0, 0, 0, false, false}, // empty file: whole (empty) content
		{"bytes=5-2", 10, 0, 10, false, false},
		{"bytes=0-1,3-4", 10, 0, 10, false, false},
		{"items=0-1", 10, 0, 10, false, false},
		{"bytes=x-1", 10, 0, 10, false, false},
	} {
		start, length, partial, err := parseRange(tc.h, tc.size)
		if unsat := errors.Is(err, hub.ErrRange); unsat != tc.unsat {
			t.Fatalf("parseRange(%q, %d) err=%v, want unsatisfiable=%v", tc.h, tc.size, err, tc.unsat)
		}
		if tc.unsat {
			continue
		}
		if start != tc.start || length != tc.length || partial != tc.partial {
			t.Fatalf("parseRange(%q, %d)=(%d, %d, %v), want (%d, %d, %v)",
				tc.h, tc.size, start, length, partial, tc.start, tc.length, tc.partial)
		}
	}
}

func TestTokenOf(t *testing.T) {
	for _, tc := range []struct {
		h, token string
		ok       bool
	}{
		{"", "", true},
		{"Bearer hf_abc", "hf_abc", true},
		{"bearer  hf_abc ", "hf_abc", true},
		{"Basic dXNlcjpoZl9hYmM=", "hf_abc", true}, // user:hf_abc
		{"Basic OmhmX2FiYw==", "hf_abc", true},     // :hf_abc
		{"Basic dXNlcg==", "", false},              // user, no password
		{"Basic !!!", "", false},
		{"Bearer", "", false},
		{"Token hf_abc", "", false},
	} {
		token, ok := tokenOf(tc.h)
		if token != tc.token || ok != tc.ok {
			t.Fatalf("tokenOf(%q)=(%q, %v), want (%q, %v)", tc.h, token, ok, tc.token, tc.ok)
		}
	}
}

func TestParseRepoPath(t *testing.T) {
	p, err := parseRepoPath(hub.Dataset, "/api/datasets/alice/data.v1/tree/refs%2Fpr%2F1/a%2Fb", "/api/datasets/")
	if err != nil {
		t.Fatal(err)
	}
	want := repoPath{ID: hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "data.v1"}, Op: "tree", Tail: "refs%2Fpr%2F1/a%2Fb"}
	if *p != want {
		t.Fatalf("parseRepoPath=%+v, want %+v", *p, want)
	}
	p, err = parseRepoPath(hub.Model, "/alice/m.git/info/lfs/objects/batch", "/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.ID.Name, "m"; got != want {
		t.Fatalf("name=%q, want %q (.git stripped)", got, want)
	}
	for _, bad := range []string{"/api/models/alice", "/api/models/-x/y", "/api/models/a/b%zz/tree"} {
		if _, err := parseRepoPath(hub.Model, bad, "/api/models/"); err == nil {
			t.Fatalf("parseRepoPath(%q) succeeded", bad)
		}
	}
}
