package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Query implements store.Driver: one Query request. The cursor is the
// LastEvaluatedKey (all string attributes) as base64url JSON.
func (d *Driver) Query(ctx context.Context, q *store.Query) ([]*store.Item, string, error) {
	if q.Index < 0 || q.Index > store.Indexes {
		return nil, "", fmt.Errorf("query: no index %d: %w", q.Index, store.ErrInvalid)
	}
	pkAttr, skAttr := attrPK, attrSK
	in := &dynamodb.QueryInput{TableName: d.tables.name(q.Table), Limit: aws.Int32(int32(q.Limit))}
	if q.Index > 0 {
		pkAttr, skAttr = indexPK(q.Index-1), indexSK(q.Index-1)
		in.IndexName = aws.String(indexName(q.Index))
	} else {
		in.ConsistentRead = aws.Bool(d.consistent)
	}
	e := newExpr()
	cond := fmt.Sprintf("%s = %s", e.name(pkAttr), e.value(s(q.PK)))
	switch {
	case q.Prefix != "":
		cond += fmt.Sprintf(" AND begins_with(%s, %s)", e.name(skAttr), e.value(s(q.Prefix)))
	case q.From != "" && q.To != "":
		cond += fmt.Sprintf(" AND %s BETWEEN %s AND %s", e.name(skAttr), e.value(s(q.From)), e.value(s(q.To)))
	case q.From != "":
		cond += fmt.Sprintf(" AND %s >= %s", e.name(skAttr), e.value(s(q.From)))
	case q.To != "":
		cond += fmt.Sprintf(" AND %s <= %s", e.name(skAttr), e.value(s(q.To)))
	}
	in.KeyConditionExpression = aws.String(cond)
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.attrNames(), e.attrValues()
	if q.Cursor != "" {
		start, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	out, err := d.c.Query(ctx, in)
	if err != nil {
		return nil, "", classify("Query", err)
	}
	items := make([]*store.Item, 0, len(out.Items))
	for _, m := range out.Items {
		it, err := fromAttrs(q.Table, m)
		if err != nil {
			return nil, "", err
		}
		items = append(items, it)
	}
	var cursor string
	if len(out.LastEvaluatedKey) > 0 {
		if cursor, err = encodeCursor(out.LastEvaluatedKey); err != nil {
			return nil, "", err
		}
	}
	return items, cursor, nil
}

func encodeCursor(k map[string]types.AttributeValue) (string, error) {
	plain := make(map[string]string, len(k))
	for name, av := range k {
		v, err := str(av)
		if err != nil {
			return "", fmt.Errorf("query cursor attribute %s: %w", name, err)
		}
		plain[name] = v
	}
	b, err := json.Marshal(plain)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func decodeCursor(c string) (map[string]types.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var plain map[string]string
	if err == nil {
		err = json.Unmarshal(b, &plain)
	}
	if err != nil || len(plain) == 0 {
		return nil, fmt.Errorf("query: bad cursor: %w", store.ErrInvalid)
	}
	k := make(map[string]types.AttributeValue, len(plain))
	for name, v := range plain {
		k[name] = s(v)
	}
	return k, nil
}
