package dynamo

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const pkSecret = "META#SECRET"

// Secret returns the deployment's signing secret (at least n bytes),
// creating it on first use: every function instance sharing the table
// signs and checks upload and download URLs with the same key. The first
// writer wins a race (conditional put); the others read its secret.
func (m *MetaStore) Secret(ctx context.Context, n int) ([]byte, error) {
	for range 2 {
		it, err := m.get(ctx, "load secret", key(pkSecret, skMeta))
		if err != nil {
			return nil, err
		}
		if it != nil {
			b, ok := it["secret"].(*types.AttributeValueMemberB)
			if !ok || len(b.Value) < n {
				return nil, fmt.Errorf("dynamo: the stored secret is malformed or shorter than %d bytes", n)
			}
			return b.Value, nil
		}
		secret := make([]byte, n)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("dynamo: create secret: %w", err)
		}
		e := newExpr()
		it = key(pkSecret, skMeta)
		it["secret"] = &types.AttributeValueMemberB{Value: secret}
		failed, err := m.put(ctx, "create secret", it, "attribute_not_exists("+e.name(attrPK)+")", e)
		if err != nil {
			return nil, err
		}
		if !failed {
			return secret, nil
		}
	}
	return nil, fmt.Errorf("dynamo: load secret: it keeps disappearing")
}
