package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"quarry/hub"
)

// Keys of sessions and audit events.
func sessionPK(id string) string { return "SESSION#" + id }

const (
	skSession   = "SESSION"
	g1Sessions  = "SESSIONS"
	pkAudit     = "AUDIT"
	pkAuditSeq  = "META#AUDIT"
	g1AuditBy   = "AUDIT#"
	seqDigits   = "%020d"
	maxAuditLen = 1000
)

// CreateSession implements hub.SessionStore. The item expires by itself
// through the table's TTL attribute, and is indexed by expiry in gsi1 for
// DeleteExpiredSessions.
func (m *MetaStore) CreateSession(ctx context.Context, s *hub.Session) error {
	if s.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "session id is required")
	}
	b := newItem(sessionPK(s.ID), skSession).s("id", s.ID).s("user", s.User).s("csrf", s.CSRF).
		t("cr", s.CreatedAt).t("exp", s.ExpiresAt).
		s(attrG1PK, g1Sessions).s(attrG1SK, fmtTime(s.ExpiresAt)+"#"+s.ID)
	if !s.ExpiresAt.IsZero() {
		b.n(TTLAttribute, s.ExpiresAt.Unix())
	}
	e := newExpr()
	failed, err := m.put(ctx, "create session", item(b), "attribute_not_exists("+e.name(attrPK)+")", e)
	if failed {
		return hub.Errorf(hub.ErrConflict, "session exists")
	}
	return err
}

// GetSession implements hub.SessionStore.
func (m *MetaStore) GetSession(ctx context.Context, id string) (*hub.Session, error) {
	it, err := m.get(ctx, "get session", key(sessionPK(id), skSession))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "session not found")
	}
	d := &decoder{it: it}
	s := &hub.Session{ID: d.s("id"), User: d.s("user"), CSRF: d.s("csrf"), CreatedAt: d.t("cr"), ExpiresAt: d.t("exp")}
	return s, d.err
}

// DeleteSession implements hub.SessionStore.
func (m *MetaStore) DeleteSession(ctx context.Context, id string) error {
	_, err := m.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &m.table, Key: key(sessionPK(id), skSession)})
	if err != nil {
		return dbError("delete session", err)
	}
	return nil
}

// DeleteExpiredSessions implements hub.SessionStore: a Query of gsi1 for
// the sessions that expired before t, then batch deletes. TTL deletes most
// expired sessions first, so the Query reads few items.
func (m *MetaStore) DeleteExpiredSessions(ctx context.Context, t time.Time) error {
	e := newExpr()
	cond := e.name(attrG1PK) + " = " + e.value(str(g1Sessions)) + " AND " + e.name(attrG1SK) + " < " + e.value(str(fmtTime(t)))
	its, err := m.query(ctx, "delete expired sessions", &dynamodb.QueryInput{IndexName: aws.String(indexGSI1),
		KeyConditionExpression: &cond, ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}, 0)
	if err != nil {
		return err
	}
	keys := make([]item, len(its))
	for i, it := range its {
		keys[i] = keyOf(it)
	}
	return m.batchDelete(ctx, "delete expired sessions", keys)
}

// AppendAudit implements hub.AuditStore: the sequence number comes from
// an atomic counter (UpdateItem ADD), then the event is written under it.
func (m *MetaStore) AppendAudit(ctx context.Context, ev hub.AuditEvent) error {
	e := newExpr()
	update := "ADD " + e.name("seq") + " " + e.value(num(1))
	out, err := m.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &m.table, Key: key(pkAuditSeq, skMeta),
		UpdateExpression: &update, ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		return dbError("append audit", err)
	}
	d := &decoder{it: out.Attributes}
	seq := d.n("seq")
	if d.err != nil {
		return d.err
	}
	sk := fmt.Sprintf(seqDigits, seq)
	actorl := strings.ToLower(ev.Actor)
	it := item(newItem(pkAudit, sk).n("seq", seq).t("time", ev.Time).s("actor", ev.Actor).s("action", ev.Action).
		s("target", ev.Target).s("addr", ev.ClientAddr).s("detail", ev.Detail).
		s(attrG1PK, g1AuditBy+actorl).s(attrG1SK, sk))
	_, err = m.put(ctx, "append audit", it, "", nil)
	return err
}

// ListAudit implements hub.AuditStore: one Query, newest first, of the
// AUDIT partition or (for one actor) of gsi1.
func (m *MetaStore) ListAudit(ctx context.Context, actor string, limit int) ([]hub.AuditEvent, error) {
	if limit <= 0 || limit > maxAuditLen {
		limit = maxAuditLen
	}
	e := newExpr()
	in := &dynamodb.QueryInput{ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit))}
	if actor == "" {
		cond := e.name(attrPK) + " = " + e.value(str(pkAudit))
		in.KeyConditionExpression, in.ConsistentRead = &cond, aws.Bool(true)
	} else {
		cond := e.name(attrG1PK) + " = " + e.value(str(g1AuditBy+strings.ToLower(actor)))
		in.KeyConditionExpression, in.IndexName = &cond, aws.String(indexGSI1)
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Names(), e.Values()
	its, err := m.query(ctx, "list audit", in, limit)
	if err != nil {
		return nil, err
	}
	out := make([]hub.AuditEvent, 0, len(its))
	for _, it := range its {
		d := &decoder{it: it}
		ev := hub.AuditEvent{Seq: d.n("seq"), Time: d.t("time"), Actor: d.s("actor"), Action: d.s("action"),
			Target: d.s("target"), ClientAddr: d.s("addr"), Detail: d.s("detail")}
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, ev)
	}
	return out, nil
}
