package dynamo

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
)

// Repo item keys.
func repoIDPK(t hub.RepoType, idLower string) string { return "REPOID#" + string(t) + "#" + idLower }
func repoPK(key string) string                       { return "REPO#" + key }

const (
	skRepo = "REPO"
	skMeta = "META"
)

func idLower(id hub.RepoID) string { return strings.ToLower(id.String()) }

// repoItem is the REPOID item of r at version v, with its index keys.
func repoItem(r *hub.Repo, v int64) item {
	idl := idLower(r.ID)
	b := newItem(repoIDPK(r.ID.Type, idl), skRepo).
		s("key", r.Key).s("typ", string(r.ID.Type)).s("ns", r.ID.Namespace).s("name", r.ID.Name).
		s("idl", idl).b("priv", r.Private).s("gated", r.Gated).t("cr", r.CreatedAt).t("up", r.UpdatedAt).
		n("v", v).s("head", r.Head).list("tags", r.Tags).s("pipe", r.PipelineTag).s("lib", r.LibraryName).
		n("dl", r.Downloads).n("lk", r.Likes).
		s(attrLPK, "R#"+string(r.ID.Type)).s(attrG1PK, "A#"+strings.ToLower(r.ID.Namespace))
	for sort, ix := range sortIndexes {
		b.s(ix.attr, sortValue(sort, r))
	}
	b.s(attrG1SK, sortValue("id", r))
	return item(b)
}

func decodeRepo(it item) (*hub.Repo, error) {
	d := &decoder{it: it}
	r := &hub.Repo{Key: d.s("key"), ID: hub.RepoID{Type: hub.RepoType(d.s("typ")), Namespace: d.s("ns"), Name: d.s("name")},
		Private: d.b("priv"), Gated: d.s("gated"), CreatedAt: d.t("cr"), UpdatedAt: d.t("up"), Version: d.n("v"),
		Head: d.s("head"), Tags: d.list("tags"), PipelineTag: d.s("pipe"), LibraryName: d.s("lib"),
		Downloads: d.n("dl"), Likes: d.n("lk")}
	return r, d.err
}

// metaItem is the pointer from a repo's key to its REPOID item.
func metaItem(r *hub.Repo) item {
	return item(newItem(repoPK(r.Key), skMeta).s("typ", string(r.ID.Type)).s("idl", idLower(r.ID)))
}

// CreateRepo implements hub.RepoStore: one transaction writes the pointer
// and the record, each on condition that it does not exist yet.
func (m *MetaStore) CreateRepo(ctx context.Context, r *hub.Repo) error {
	if r.Key == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key is required")
	}
	e1, e2 := newExpr(), newExpr()
	failed, err := m.transact(ctx, "create repo",
		txPut(m.table, metaItem(r), "attribute_not_exists("+e1.name(attrPK)+")", e1),
		txPut(m.table, repoItem(r, 1), "attribute_not_exists("+e2.name(attrPK)+")", e2))
	if err != nil {
		return err
	}
	if failed != nil {
		return hub.Errorf(hub.ErrConflict, "You already created this %s repo: %s", r.ID.Type, r.ID)
	}
	r.Version = 1
	return nil
}

// GetRepo implements hub.RepoStore with one consistent GetItem.
func (m *MetaStore) GetRepo(ctx context.Context, id hub.RepoID) (*hub.Repo, error) {
	it, err := m.get(ctx, "get repo", key(repoIDPK(id.Type, idLower(id)), skRepo))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", id)
	}
	return decodeRepo(it)
}

// UpdateRepo implements hub.RepoStore. The record is rewritten in place on
// condition that it holds r's key and version (one request); when that
// fails, the pointer tells a missing repo, a stale version and a rename
// apart, and a rename moves the record in one transaction.
func (m *MetaStore) UpdateRepo(ctx context.Context, r *hub.Repo) error {
	e := newExpr()
	cond := e.name("key") + " = " + e.value(str(r.Key)) + " AND " + e.name("v") + " = " + e.value(num(r.Version))
	failed, err := m.put(ctx, "update repo", repoItem(r, r.Version+1), cond, e)
	if err != nil {
		return err
	}
	if failed {
		if err := m.renameRepo(ctx, r); err != nil {
			return err
		}
	}
	r.Version++
	return nil
}

// renameRepo moves r's record to the REPOID item of r.ID, or explains why
// the in-place update failed.
func (m *MetaStore) renameRepo(ctx context.Context, r *hub.Repo) error {
	ptr, err := m.get(ctx, "update repo", key(repoPK(r.Key), skMeta))
	if err != nil {
		return err
	}
	if ptr == nil {
		return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", r.ID)
	}
	d := &decoder{it: ptr}
	oldPK := repoIDPK(hub.RepoType(d.s("typ")), d.s("idl"))
	if d.err != nil {
		return d.err
	}
	if oldPK == repoIDPK(r.ID.Type, idLower(r.ID)) {
		return hub.Errorf(hub.ErrPrecondition, "repository %s was modified concurrently", r.ID)
	}
	e1, e2, e3 := newExpr(), newExpr(), newExpr()
	failed, err := m.transact(ctx, "rename repo",
		txDelete(m.table, key(oldPK, skRepo), e1.name("key")+" = "+e1.value(str(r.Key))+" AND "+
			e1.name("v")+" = "+e1.value(num(r.Version)), e1),
		txPut(m.table, repoItem(r, r.Version+1), "attribute_not_exists("+e2.name(attrPK)+")", e2),
		txPut(m.table, metaItem(r), "attribute_exists("+e3.name(attrPK)+")", e3))
	switch {
	case err != nil:
		return err
	case failed == nil:
		return nil
	case failed[0]:
		return hub.Errorf(hub.ErrPrecondition, "repository %s was modified concurrently", r.ID)
	case failed[1]:
		return hub.Errorf(hub.ErrConflict, "repository %s already exists", r.ID)
	}
	return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", r.ID)
}

// maxDeleteAttempts bounds DeleteRepo's retries when a rename races it.
const maxDeleteAttempts = 5

// DeleteRepo implements hub.RepoStore: the pointer and the record go in
// one transaction; then the refs and LFS entries, in batches. Grants stay
// (the service revokes them one by one).
func (m *MetaStore) DeleteRepo(ctx context.Context, repoKey string) error {
	for attempt := 0; ; attempt++ {
		ptr, err := m.get(ctx, "delete repo", key(repoPK(repoKey), skMeta))
		if err != nil {
			return err
		}
		if ptr == nil {
			return hub.NotFoundf(hub.ErrRepoNotFound, "repository %s not found", repoKey)
		}
		d := &decoder{it: ptr}
		typ, idl := d.s("typ"), d.s("idl")
		if d.err != nil {
			return d.err
		}
		e1, e2 := newExpr(), newExpr()
		failed, err := m.transact(ctx, "delete repo",
			txDelete(m.table, key(repoPK(repoKey), skMeta), e1.name("typ")+" = "+e1.value(str(typ))+" AND "+
				e1.name("idl")+" = "+e1.value(str(idl)), e1),
			txDelete(m.table, key(repoIDPK(hub.RepoType(typ), idl), skRepo), e2.name("key")+" = "+e2.value(str(repoKey)), e2))
		if err != nil {
			return err
		}
		if failed == nil {
			break
		}
		if attempt >= maxDeleteAttempts {
			return hub.Errorf(hub.ErrConflict, "repository %s keeps changing, try again", repoKey)
		}
	}
	return m.deleteChildren(ctx, repoKey)
}

// deleteChildren removes a deleted repo's refs and LFS entries.
func (m *MetaStore) deleteChildren(ctx context.Context, repoKey string) error {
	e := newExpr()
	cond := e.name(attrPK) + " = " + e.value(str(repoPK(repoKey)))
	its, err := m.query(ctx, "delete repo", &dynamodb.QueryInput{KeyConditionExpression: &cond,
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)}, 0)
	if err != nil {
		return err
	}
	var keys []item
	for _, it := range its {
		d := &decoder{it: it}
		if sk := d.s(attrSK); strings.HasPrefix(sk, skRefPrefix) || strings.HasPrefix(sk, skLFSPrefix) {
			keys = append(keys, keyOf(it))
		}
	}
	return m.batchDelete(ctx, "delete repo", keys)
}
