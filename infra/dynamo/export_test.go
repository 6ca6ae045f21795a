package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSettings describes the table as DynamoDB reports it: its billing
// mode, index names and TTL attribute ("" when TTL is off).
func TableSettings(ctx context.Context, m *MetaStore) (billing string, indexes []string, ttl string, err error) {
	out, err := m.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &m.table})
	if err != nil {
		return "", nil, "", err
	}
	if s := out.Table.BillingModeSummary; s != nil {
		billing = string(s.BillingMode)
	}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		indexes = append(indexes, *ix.IndexName)
	}
	t, err := m.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &m.table})
	if err != nil {
		return "", nil, "", err
	}
	if d := t.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == types.TimeToLiveStatusEnabled {
		ttl = *d.AttributeName
	}
	return billing, indexes, ttl, nil
}

// SessionTTL returns the TTL attribute stored on session id's item.
func SessionTTL(ctx context.Context, m *MetaStore, id string) (int64, error) {
	it, err := m.get(ctx, "test", key(sessionPK(id), skSession))
	if err != nil || it == nil {
		return 0, err
	}
	d := &decoder{it: it}
	n := d.n(TTLAttribute)
	return n, d.err
}
