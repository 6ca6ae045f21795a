package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dbError wraps an unexpected DynamoDB error.
func dbError(op string, err error) error { return fmt.Errorf("dynamo: %s: %w", op, err) }

// conditionFailed reports whether a single-item write failed its condition.
func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// get reads one item with a strongly consistent read; nil when missing.
func (m *MetaStore) get(ctx context.Context, op string, k item) (item, error) {
	out, err := m.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &m.table, Key: k,
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, dbError(op, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// put writes it; with a condition (built on e) it reports whether the
// condition failed instead of an error.
func (m *MetaStore) put(ctx context.Context, op string, it item, cond string, e *expr) (failed bool, err error) {
	in := &dynamodb.PutItemInput{TableName: &m.table, Item: it}
	if cond != "" {
		in.ConditionExpression = &cond
		in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Names(), e.Values()
	}
	_, err = m.client.PutItem(ctx, in)
	if conditionFailed(err) {
		return true, nil
	}
	if err != nil {
		return false, dbError(op, err)
	}
	return false, nil
}

// Transaction elements.
func txPut(table string, it item, cond string, e *expr) types.TransactWriteItem {
	p := &types.Put{TableName: &table, Item: it}
	if cond != "" {
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = &cond, e.Names(), e.Values()
	}
	return types.TransactWriteItem{Put: p}
}

func txDelete(table string, k item, cond string, e *expr) types.TransactWriteItem {
	d := &types.Delete{TableName: &table, Key: k}
	if cond != "" {
		d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = &cond, e.Names(), e.Values()
	}
	return types.TransactWriteItem{Delete: d}
}

func txUpdate(table string, k item, update, cond string, e *expr) types.TransactWriteItem {
	u := &types.Update{TableName: &table, Key: k, UpdateExpression: &update,
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	if cond != "" {
		u.ConditionExpression = &cond
	}
	return types.TransactWriteItem{Update: u}
}

func txCheck(table string, k item, cond string, e *expr) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: k,
		ConditionExpression: &cond, ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}
}

// maxTxRetries bounds the retries of a transaction that another
// transaction on the same items cancelled.
const maxTxRetries = 8

// transact runs items as one transaction. When conditions cancel it,
// failed[i] tells whether item i's condition failed (err is nil); a
// cancellation caused only by concurrent transactions is retried.
func (m *MetaStore) transact(ctx context.Context, op string, items ...types.TransactWriteItem) (failed []bool, err error) {
	for attempt := 0; ; attempt++ {
		_, err := m.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil, nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			return nil, dbError(op, err)
		}
		failed, conflict := make([]bool, len(items)), false
		condFailed := false
		for i, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				failed[i], condFailed = true, true
			case "TransactionConflict":
				conflict = true
			}
		}
		if condFailed {
			return failed, nil
		}
		if !conflict || attempt >= maxTxRetries {
			return nil, dbError(op, err)
		}
		if err := sleep(ctx, attempt); err != nil {
			return nil, dbError(op, err)
		}
	}
}

// sleep waits a jittered, growing delay before retry attempt+1.
func sleep(ctx context.Context, attempt int) error {
	d := rand.N(time.Duration(attempt+1) * 10 * time.Millisecond)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// query runs in to the end (every page) and returns the items, or stops
// after limit items when limit > 0.
func (m *MetaStore) query(ctx context.Context, op string, in *dynamodb.QueryInput, limit int) ([]item, error) {
	in.TableName = &m.table
	var out []item
	for {
		res, err := m.client.Query(ctx, in)
		if err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, res.Items...)
		if len(res.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			if limit > 0 && len(out) > limit {
				out = out[:limit]
			}
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// queryPrefix returns the items of partition pk whose sort key starts
// with prefix, in sort-key order, read consistently.
func (m *MetaStore) queryPrefix(ctx context.Context, op, pk, prefix string) ([]item, error) {
	e := newExpr()
	cond := e.name(attrPK) + " = " + e.value(str(pk)) + " AND begins_with(" + e.name(attrSK) + ", " + e.value(str(prefix)) + ")"
	return m.query(ctx, op, &dynamodb.QueryInput{KeyConditionExpression: &cond, ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}, 0)
}

// batchGet reads items by key (consistently), in no particular order.
func (m *MetaStore) batchGet(ctx context.Context, op string, keys []item) ([]item, error) {
	var out []item
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{m.table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(req) > 0; attempt++ {
			res, err := m.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, dbError(op, err)
			}
			out = append(out, res.Responses[m.table]...)
			req = res.UnprocessedKeys
			if len(req) > 0 {
				if err := sleep(ctx, attempt); err != nil {
					return nil, dbError(op, err)
				}
			}
		}
	}
	return out, nil
}

// batchDelete deletes items by key, 25 a request, not atomically.
func (m *MetaStore) batchDelete(ctx context.Context, op string, keys []item) error {
	for len(keys) > 0 {
		n := min(len(keys), 25)
		reqs := make([]types.WriteRequest, n)
		for i, k := range keys[:n] {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
		}
		keys = keys[n:]
		pending := map[string][]types.WriteRequest{m.table: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			res, err := m.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return dbError(op, err)
			}
			pending = res.UnprocessedItems
			if len(pending) > 0 {
				if err := sleep(ctx, attempt); err != nil {
					return dbError(op, err)
				}
			}
		}
	}
	return nil
}

// keyOf returns the primary key of a stored item.
func keyOf(it item) item { return item{attrPK: it[attrPK], attrSK: it[attrSK]} }

// scanIndex runs in page after page, handing each item to fn until fn
// returns false or an error, or the items end.
func (m *MetaStore) scanIndex(ctx context.Context, op string, in *dynamodb.QueryInput, fn func(item) (bool, error)) error {
	for {
		res, err := m.client.Query(ctx, in)
		if err != nil {
			return dbError(op, err)
		}
		for _, it := range res.Items {
			more, err := fn(it)
			if err != nil || !more {
				return err
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
