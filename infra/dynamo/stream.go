package dynamo

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
)

// maxQueryLimit caps the items one listing Query evaluates.
const maxQueryLimit = 1000

// stream yields the items of one index partition in key order, reading
// a Query page at a time. A stream without a query serves buf only.
type stream struct {
	m     *MetaStore
	in    *dynamodb.QueryInput
	limit int32 // items the next Query evaluates; doubles as filters skip items
	buf   []item
	done  bool
}

// head returns the next item, nil at the end.
func (s *stream) head(ctx context.Context) (item, error) {
	for len(s.buf) == 0 && !s.done {
		lim := s.limit
		s.in.Limit = &lim
		out, err := s.m.client.Query(ctx, s.in)
		if err != nil {
			return nil, dbError("list repos", err)
		}
		s.buf = out.Items
		s.in.ExclusiveStartKey = out.LastEvaluatedKey
		s.done = len(out.LastEvaluatedKey) == 0
		s.limit = min(2*s.limit, maxQueryLimit)
	}
	if len(s.buf) == 0 {
		return nil, nil
	}
	return s.buf[0], nil
}

func (s *stream) pop() { s.buf = s.buf[1:] }

// merge takes items from streams in the order of attr (each stream is
// sorted already), keeping those match accepts, until it has n.
func merge(ctx context.Context, streams []*stream, attr string, asc bool, n int, match func(*hub.Repo) bool) ([]*hub.Repo, error) {
	var out []*hub.Repo
	for len(out) < n {
		best, bestVal := -1, ""
		for i, s := range streams {
			it, err := s.head(ctx)
			if err != nil {
				return nil, err
			}
			if it == nil {
				continue
			}
			v := (&decoder{it: it}).s(attr)
			if best < 0 || (asc && v < bestVal) || (!asc && v > bestVal) {
				best, bestVal = i, v
			}
		}
		if best < 0 {
			break
		}
		it, _ := streams[best].head(ctx)
		streams[best].pop()
		r, err := decodeRepo(it)
		if err != nil {
			return nil, err
		}
		if match(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// newMatcher returns whether a repo passes f's filters and visibility,
// with the semantics of the SQLite backend.
func newMatcher(f hub.RepoFilter) func(*hub.Repo) bool {
	author := strings.ToLower(f.Author)
	var search []string
	for _, s := range f.Search {
		search = append(search, strings.ToLower(s))
	}
	viewerNS := map[string]bool{}
	for _, ns := range f.ViewerNamespaces {
		viewerNS[strings.ToLower(ns)] = true
	}
	viewerKeys := map[string]bool{}
	for _, k := range f.ViewerRepoKeys {
		viewerKeys[k] = true
	}
	return func(r *hub.Repo) bool {
		ns := strings.ToLower(r.ID.Namespace)
		switch {
		case f.Type != "" && r.ID.Type != f.Type,
			author != "" && ns != author,
			f.PipelineTag != "" && r.PipelineTag != f.PipelineTag,
			r.Private && !f.AllPrivate && !viewerNS[ns] && !viewerKeys[r.Key]:
			return false
		}
		id := idLower(r.ID)
		for _, s := range search {
			if !strings.Contains(id, s) {
				return false
			}
		}
		for _, tag := range f.Tags {
			if !slices.Contains(r.Tags, tag) {
				return false
			}
		}
		return true
	}
}
