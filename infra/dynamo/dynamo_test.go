package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/infra/dynamo"
	"quarry/internal/awstest"
)

var moto *awstest.Server

func TestMain(m *testing.M) { os.Exit(awstest.Main(m, &moto)) }

var tables atomic.Int64

// newStore returns a store on a new, empty table of the emulator.
func newStore(t *testing.T) *dynamo.MetaStore {
	t.Helper()
	srv := awstest.Need(t, moto)
	ctx := context.Background()
	s, err := dynamo.Open(ctx, dynamo.Config{Table: fmt.Sprintf("quarry-test-%d", tables.Add(1)),
		Endpoint: srv.URL, Region: awstest.Region, AccessKeyID: awstest.AccessKeyID,
		SecretAccessKey: awstest.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	hubtest.TestMetaStore(t, func(t *testing.T) hub.MetaStore { return newStore(t) })
}

func TestChangeCounter(t *testing.T) {
	hubtest.TestChangeCounter(t, func(t *testing.T) (hub.MetaStore, hub.MetaStore) {
		s := newStore(t)
		return s, s
	})
}
