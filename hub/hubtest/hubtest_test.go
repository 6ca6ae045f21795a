package hubtest_test

import (
	"testing"

	"quarry/hub"
	"quarry/hub/hubtest"
)

func TestMemBlobStore(t *testing.T) {
	hubtest.TestBlobStore(t, func(t *testing.T) hub.BlobStore { return hubtest.NewMemBlobStore() })
}

func TestMemMeta(t *testing.T) {
	hubtest.TestMetaStore(t, func(t *testing.T) hub.MetaStore { return hubtest.NewMemMeta() })
}

func TestMemMetaChangeCounter(t *testing.T) {
	hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
		m := hubtest.NewMemMeta()
		return m, m
	})
}
