package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// item is one DynamoDB item.
type item = map[string]types.AttributeValue

// Key attribute names of the table and its indexes.
const (
	attrPK   = "PK"
	attrSK   = "SK"
	attrG1PK = "G1PK"
	attrG1SK = "G1SK"
)

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func boolean(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

// key returns the primary key of the item pk/sk.
func key(pk, sk string) item { return item{attrPK: str(pk), attrSK: str(sk)} }

// newItem returns an item with primary key pk/sk, to fill with the set
// methods of builder.
func newItem(pk, sk string) builder { return builder(key(pk, sk)) }

// builder fills an item, leaving out empty values (absent attributes read
// back as empty).
type builder item

func (b builder) s(name, v string) builder {
	if v != "" {
		b[name] = str(v)
	}
	return b
}

func (b builder) n(name string, v int64) builder {
	if v != 0 {
		b[name] = num(v)
	}
	return b
}

func (b builder) b(name string, v bool) builder {
	if v {
		b[name] = boolean(true)
	}
	return b
}

// t stores a non-zero time in the fixed-width layout that sorts as text.
func (b builder) t(name string, v time.Time) builder {
	if !v.IsZero() {
		b[name] = str(fmtTime(v))
	}
	return b
}

func (b builder) list(name string, vs []string) builder {
	if len(vs) > 0 {
		l := make([]types.AttributeValue, len(vs))
		for i, v := range vs {
			l[i] = str(v)
		}
		b[name] = &types.AttributeValueMemberL{Value: l}
	}
	return b
}

// timeLayout makes UTC times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// decoder reads attributes of an item, keeping the first malformed one as
// err. Absent attributes give zero values.
type decoder struct {
	it  item
	err error
}

func (d *decoder) fail(name string, v types.AttributeValue) {
	if d.err == nil {
		d.err = fmt.Errorf("dynamo: malformed attribute %s: %T", name, v)
	}
}

func (d *decoder) s(name string) string {
	switch v := d.it[name].(type) {
	case nil:
	case *types.AttributeValueMemberS:
		return v.Value
	default:
		d.fail(name, v)
	}
	return ""
}

func (d *decoder) n(name string) int64 {
	switch v := d.it[name].(type) {
	case nil:
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			d.fail(name, v)
		}
		return n
	default:
		d.fail(name, v)
	}
	return 0
}

func (d *decoder) b(name string) bool {
	switch v := d.it[name].(type) {
	case nil:
	case *types.AttributeValueMemberBOOL:
		return v.Value
	default:
		d.fail(name, v)
	}
	return false
}

func (d *decoder) t(name string) time.Time {
	s := d.s(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("dynamo: malformed time %s: %q", name, s)
	}
	return t
}

func (d *decoder) list(name string) []string {
	switch v := d.it[name].(type) {
	case nil:
	case *types.AttributeValueMemberL:
		out := make([]string, 0, len(v.Value))
		for _, e := range v.Value {
			s, ok := e.(*types.AttributeValueMemberS)
			if !ok {
				d.fail(name, e)
				return nil
			}
			out = append(out, s.Value)
		}
		return out
	default:
		d.fail(name, v)
	}
	return nil
}

// expr builds the placeholders of condition, update and key expressions:
// e.name("v") is "#v", e.value(x) a fresh ":vN".
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (e *expr) name(attr string) string {
	e.names["#"+attr] = attr
	return "#" + attr
}

func (e *expr) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = v
	return p
}

// Names and Values return the maps for a request, nil when empty (DynamoDB
// refuses empty maps).
func (e *expr) Names() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

func (e *expr) Values() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}
