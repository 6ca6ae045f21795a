package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTLAttribute is the attribute holding an item's expiry in epoch
// seconds (sessions); DynamoDB deletes expired items by itself.
const TTLAttribute = "ttl"

// Index names (see the package doc).
const (
	indexGSI1 = "gsi1"
)

// indexes lists every global secondary index: name, partition and sort key.
var indexes = [][3]string{
	{sortIndexes["id"].index, attrLPK, sortIndexes["id"].attr},
	{sortIndexes["createdAt"].index, attrLPK, sortIndexes["createdAt"].attr},
	{sortIndexes["lastModified"].index, attrLPK, sortIndexes["lastModified"].attr},
	{sortIndexes["downloads"].index, attrLPK, sortIndexes["downloads"].attr},
	{sortIndexes["likes"].index, attrLPK, sortIndexes["likes"].attr},
	{indexGSI1, attrG1PK, attrG1SK},
}

// CreateTable sets the table up as the store needs it, creating it when
// missing (an existing table is kept, with its items): on-demand capacity
// (nothing to pay while idle), the indexes of the package doc and
// expiry by TTLAttribute. It waits until the table is active.
//
// It is what `quarry aws init` runs against a local emulator or a fresh
// account; template.yaml declares the same table for deployments.
func (m *MetaStore) CreateTable(ctx context.Context) error {
	_, err := m.client.CreateTable(ctx, tableInput(m.table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return dbError("create table "+m.table, err)
	}
	w := dynamodb.NewTableExistsWaiter(m.client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &m.table}, 5*time.Minute); err != nil {
		return dbError("wait for table "+m.table, err)
	}
	ttl, err := m.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &m.table})
	if err != nil {
		return dbError("describe TTL of "+m.table, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		return nil
	}
	_, err = m.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &m.table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(TTLAttribute), Enabled: aws.Bool(true)}})
	if err != nil {
		return dbError("enable TTL on "+m.table, err)
	}
	return nil
}

// tableInput describes the table: string keys, on-demand billing, every
// index projecting all attributes.
func tableInput(table string) *dynamodb.CreateTableInput {
	attrs := map[string]bool{attrPK: true, attrSK: true}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range indexes {
		attrs[ix[1]], attrs[ix[2]] = true, true
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix[0]),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix[1]), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix[2]), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	var defs []types.AttributeDefinition
	for a := range attrs {
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	return &dynamodb.CreateTableInput{
		TableName:            &table,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: defs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
	}
}
