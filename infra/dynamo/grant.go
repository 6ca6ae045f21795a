package dynamo

import (
	"context"
	"slices"
	"strings"

	"quarry/hub"
)

// Keys of grants.
func subjectPK(subject string) string { return "SUBJ#" + subject }

const skGrantPrefix = "GRANT#"

// PutGrant implements hub.GrantStore: the grant in the repo's partition
// and its mirror in the subject's, in one transaction.
func (m *MetaStore) PutGrant(ctx context.Context, g hub.Grant) error {
	if g.RepoKey == "" || g.Subject == "" {
		return hub.Errorf(hub.ErrInvalid, "repo key and subject are required")
	}
	grant := item(newItem(repoPK(g.RepoKey), skGrantPrefix+g.Subject).s("key", g.RepoKey).s("subj", g.Subject).
		s("role", g.Role).t("cr", g.CreatedAt))
	mirror := item(newItem(subjectPK(g.Subject), repoPK(g.RepoKey)).s("key", g.RepoKey))
	_, err := m.transact(ctx, "put grant", txPut(m.table, grant, "", nil), txPut(m.table, mirror, "", nil))
	return err
}

// DeleteGrant implements hub.GrantStore.
func (m *MetaStore) DeleteGrant(ctx context.Context, repoKey, subject string) error {
	e := newExpr()
	failed, err := m.transact(ctx, "delete grant",
		txDelete(m.table, key(repoPK(repoKey), skGrantPrefix+subject), "attribute_exists("+e.name(attrPK)+")", e),
		txDelete(m.table, key(subjectPK(subject), repoPK(repoKey)), "", nil))
	if failed != nil {
		return hub.Errorf(hub.ErrNotFound, "no grant to %s", subject)
	}
	return err
}

// ListRepoGrants implements hub.GrantStore: one Query of the repo's
// GRANT# items, which sort by subject.
func (m *MetaStore) ListRepoGrants(ctx context.Context, repoKey string) ([]hub.Grant, error) {
	its, err := m.queryPrefix(ctx, "list grants", repoPK(repoKey), skGrantPrefix)
	if err != nil {
		return nil, err
	}
	var out []hub.Grant
	for _, it := range its {
		d := &decoder{it: it}
		g := hub.Grant{RepoKey: d.s("key"), Subject: d.s("subj"), Role: d.s("role"), CreatedAt: d.t("cr")}
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, g)
	}
	return out, nil
}

// ListGrantedRepoKeys implements hub.GrantStore: one Query per subject of
// its mirror items.
func (m *MetaStore) ListGrantedRepoKeys(ctx context.Context, subjects []string) ([]string, error) {
	var keys []string
	for _, s := range subjects {
		its, err := m.queryPrefix(ctx, "list granted repos", subjectPK(s), "REPO#")
		if err != nil {
			return nil, err
		}
		for _, it := range its {
			d := &decoder{it: it}
			keys = append(keys, strings.TrimPrefix(d.s(attrSK), "REPO#"))
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
