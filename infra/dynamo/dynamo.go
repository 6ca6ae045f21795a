package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"quarry/hub"
	"quarry/infra/internal/awsconf"
)

// Interface guards.
var (
	_ hub.MetaStore     = (*MetaStore)(nil)
	_ hub.ChangeCounter = (*MetaStore)(nil)
)

// Config locates the table.
type Config struct {
	Table    string
	Region   string // empty: AWS_REGION as the SDK reads it, else us-east-1
	Endpoint string // endpoint override (emulator)
	// Static credentials; empty means the SDK's default chain (environment,
	// Lambda role).
	AccessKeyID     string
	SecretAccessKey string
}

// MetaStore is a hub.MetaStore on one DynamoDB table.
type MetaStore struct {
	client *dynamodb.Client
	table  string
	calls  *callCounter
}

// Open returns the store of cfg.Table. It does not contact DynamoDB; see
// CreateTable to set a table up.
func Open(ctx context.Context, cfg Config) (*MetaStore, error) {
	if cfg.Table == "" {
		return nil, errors.New("dynamo: table name is required")
	}
	ac, err := awsconf.Load(ctx, awsconf.Options{Region: cfg.Region, Endpoint: cfg.Endpoint,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	if err != nil {
		return nil, fmt.Errorf("dynamo: %w", err)
	}
	calls := &callCounter{n: map[string]int{}}
	client := dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, calls.register)
	})
	return &MetaStore{client: client, table: cfg.Table, calls: calls}, nil
}

// Table returns the table's name.
func (m *MetaStore) Table() string { return m.table }

// RequestCounts returns how many requests the store sent to DynamoDB since
// Open or the last ResetRequestCounts, by API operation ("GetItem",
// "TransactWriteItems"...). Retried attempts count each.
func (m *MetaStore) RequestCounts() map[string]int { return m.calls.counts() }

// ResetRequestCounts sets every request count back to zero.
func (m *MetaStore) ResetRequestCounts() { m.calls.reset() }

// callCounter counts requests by operation with a middleware in the
// client's Deserialize step, which every attempt passes through.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) register(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("QuarryRequestCount",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleDeserialize(ctx, in)
		}), middleware.Before)
}

func (c *callCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.n)
}
