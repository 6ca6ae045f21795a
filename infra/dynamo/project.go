package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"quarry/hub"
)

func projectPK(id string) string { return "PROJECT#" + id }

const (
	skProject  = "PROJECT"
	g1Projects = "PROJECTS"
)

// projectItem is p's item at version v: the record as one JSON document
// (times in UTC), plus the attributes ListProjects reads.
func projectItem(p *hub.Project, v int64) (item, error) {
	c := p.Clone()
	c.Version, c.CreatedAt, c.CancelledAt = 0, c.CreatedAt.UTC(), c.CancelledAt.UTC()
	if c.Published != nil {
		c.Published.At = c.Published.At.UTC()
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode project %s: %w", p.ID, err)
	}
	return item(newItem(projectPK(p.ID), skProject).s("id", p.ID).s("nsl", strings.ToLower(p.Name.Namespace)).
		n("v", v).s("doc", string(doc)).s(attrG1PK, g1Projects).s(attrG1SK, fmtTime(p.CreatedAt)+"#"+p.ID)), nil
}

func decodeProject(it item) (*hub.Project, error) {
	d := &decoder{it: it}
	id, v, doc := d.s("id"), d.n("v"), d.s("doc")
	if d.err != nil {
		return nil, d.err
	}
	var p hub.Project
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("dynamo: bad project %s: %w", id, err)
	}
	p.Version = v
	return &p, nil
}

// CreateProject implements hub.ProjectStore.
func (m *MetaStore) CreateProject(ctx context.Context, p *hub.Project) error {
	if p.ID == "" {
		return hub.Errorf(hub.ErrInvalid, "project id is required")
	}
	it, err := projectItem(p, 1)
	if err != nil {
		return err
	}
	e := newExpr()
	failed, err := m.put(ctx, "create project", it, "attribute_not_exists("+e.name(attrPK)+")", e)
	if failed {
		return hub.Errorf(hub.ErrConflict, "project %s already exists", p.ID)
	}
	if err != nil {
		return err
	}
	p.Version = 1
	return nil
}

// GetProject implements hub.ProjectStore.
func (m *MetaStore) GetProject(ctx context.Context, id string) (*hub.Project, error) {
	it, err := m.get(ctx, "get project", key(projectPK(id), skProject))
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, hub.Errorf(hub.ErrNotFound, "project %s not found", id)
	}
	return decodeProject(it)
}

// UpdateProject implements hub.ProjectStore: one PutItem on condition
// that the stored version is p.Version.
func (m *MetaStore) UpdateProject(ctx context.Context, p *hub.Project) error {
	it, err := projectItem(p, p.Version+1)
	if err != nil {
		return err
	}
	e := newExpr()
	failed, err := m.put(ctx, "update project", it, e.name("v")+" = "+e.value(num(p.Version)), e)
	if err != nil {
		return err
	}
	if failed {
		if _, err := m.GetProject(ctx, p.ID); err != nil {
			return err
		}
		return hub.Errorf(hub.ErrPrecondition, "project %s was updated concurrently", p.ID)
	}
	p.Version++
	return nil
}

// ListProjects implements hub.ProjectStore: gsi1's PROJECTS partition in
// creation order, filtered as it is read, until f.Limit projects match.
func (m *MetaStore) ListProjects(ctx context.Context, f hub.ProjectFilter) ([]*hub.Project, error) {
	e := newExpr()
	cond := e.name(attrG1PK) + " = " + e.value(str(g1Projects))
	in := &dynamodb.QueryInput{TableName: &m.table, IndexName: aws.String(indexGSI1), KeyConditionExpression: &cond,
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	ns := strings.ToLower(f.Namespace)
	var out []*hub.Project
	err := m.scanIndex(ctx, "list projects", in, func(it item) (bool, error) {
		if ns != "" && (&decoder{it: it}).s("nsl") != ns {
			return true, nil
		}
		p, err := decodeProject(it)
		if err != nil {
			return false, err
		}
		out = append(out, p)
		return f.Limit <= 0 || len(out) < f.Limit, nil
	})
	return out, err
}
