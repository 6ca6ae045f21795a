package dynamo

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
)

// Sort-key prefixes of a repo's partition.
const (
	skRefPrefix = "REF#"
	skLFSPrefix = "LFS#"
)

// GetRef implements hub.RefStore with one consistent GetItem.
func (m *MetaStore) GetRef(ctx context.Context, repoKey, name string) (string, error) {
	it, err := m.get(ctx, "get ref", key(repoPK(repoKey), skRefPrefix+name))
	if err != nil {
		return "", err
	}
	if it == nil {
		return "", hub.NotFoundf(hub.ErrRevisionNotFound, "ref %s not found", name)
	}
	d := &decoder{it: it}
	c := d.s("c")
	return c, d.err
}

// ListRefs implements hub.RefStore: one Query of the repo's REF# items,
// which sort by name.
func (m *MetaStore) ListRefs(ctx context.Context, repoKey string) ([]hub.Ref, error) {
	its, err := m.queryPrefix(ctx, "list refs", repoPK(repoKey), skRefPrefix)
	if err != nil {
		return nil, err
	}
	refs := make([]hub.Ref, 0, len(its))
	for _, it := range its {
		d := &decoder{it: it}
		refs = append(refs, hub.Ref{Name: strings.TrimPrefix(d.s(attrSK), skRefPrefix), Commit: d.s("c")})
		if d.err != nil {
			return nil, d.err
		}
	}
	return refs, nil
}

// UpdateRef implements hub.RefStore. Each case is one conditional write,
// so concurrent writers cannot both win: create on attribute_not_exists,
// move on "c = :old", delete on "c = :old".
func (m *MetaStore) UpdateRef(ctx context.Context, repoKey, name, old, new string) error {
	k := key(repoPK(repoKey), skRefPrefix+name)
	e := newExpr()
	var (
		failed bool
		err    error
	)
	switch {
	case old == "" && new == "":
		it, err := m.get(ctx, "update ref", k)
		if err == nil && it != nil {
			return hub.Errorf(hub.ErrConflict, "ref %s already exists", name)
		}
		return err
	case old == "":
		failed, err = m.put(ctx, "update ref", item(newItem(repoPK(repoKey), skRefPrefix+name).s("c", new)),
			"attribute_not_exists("+e.name(attrPK)+")", e)
		if failed {
			return hub.Errorf(hub.ErrConflict, "ref %s already exists", name)
		}
		return err
	case new == "":
		cond := e.name("c") + " = " + e.value(str(old))
		_, err = m.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &m.table, Key: k,
			ConditionExpression: &cond, ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	default:
		cond, update := e.name("c")+" = "+e.value(str(old)), "SET "+e.name("c")+" = "+e.value(str(new))
		_, err = m.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &m.table, Key: k,
			UpdateExpression: &update, ConditionExpression: &cond,
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	}
	if conditionFailed(err) {
		return hub.Errorf(hub.ErrPrecondition, "ref %s moved: expected %s", name, old)
	}
	if err != nil {
		return dbError("update ref", err)
	}
	return nil
}

// AddLFSObject implements hub.LFSIndex (an idempotent PutItem).
func (m *MetaStore) AddLFSObject(ctx context.Context, repoKey, oid string, size int64) error {
	_, err := m.put(ctx, "add LFS object", item(newItem(repoPK(repoKey), skLFSPrefix+oid).n("size", size)), "", nil)
	return err
}

// GetLFSObject implements hub.LFSIndex with one consistent GetItem.
func (m *MetaStore) GetLFSObject(ctx context.Context, repoKey, oid string) (int64, error) {
	it, err := m.get(ctx, "get LFS object", key(repoPK(repoKey), skLFSPrefix+oid))
	if err != nil {
		return 0, err
	}
	if it == nil {
		return 0, hub.Errorf(hub.ErrNotFound, "LFS object %s not found", oid)
	}
	d := &decoder{it: it}
	size := d.n("size")
	return size, d.err
}
