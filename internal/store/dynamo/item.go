package dynamo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Attribute names. Counter fields are "c_<field>" and lease holders
// "h_<holder>", each a top-level number, so every update is a plain ADD,
// SET or REMOVE on a top-level attribute (DynamoDB cannot SET a nested map
// key whose map does not exist yet).
const (
	attrPK      = "pk"
	attrSK      = "sk"
	attrTTL     = "ttl"
	attrVersion = "v"
	attrOwner   = "owner"
	attrDoc     = "doc"
	attrHolders = "hn" // number of h_ attributes
	countPrefix = "c_"
	holdPrefix  = "h_"
)

func indexPK(i int) string { return fmt.Sprintf("gsi%dpk", i+1) }
func indexSK(i int) string { return fmt.Sprintf("gsi%dsk", i+1) }
func indexName(i int) string {
	return fmt.Sprintf("gsi%d", i)
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// key returns the primary key attributes of an item.
func key(it *store.Item) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{attrPK: s(it.PK)}
	if it.Table != store.CacheTable {
		k[attrSK] = s(it.SK)
	}
	return k
}

// toAttrs maps an item to its attributes.
func toAttrs(it *store.Item) map[string]types.AttributeValue {
	m := key(it)
	for i, ik := range it.Index {
		if ik.PK != "" {
			m[indexPK(i)], m[indexSK(i)] = s(ik.PK), s(ik.SK)
		}
	}
	if it.TTL != 0 {
		m[attrTTL] = n(it.TTL)
	}
	if it.Version != 0 {
		m[attrVersion] = n(it.Version)
	}
	if it.Owner != "" {
		m[attrOwner] = s(it.Owner)
	}
	if len(it.Doc) > 0 {
		m[attrDoc] = &types.AttributeValueMemberB{Value: it.Doc}
	}
	for f, v := range it.Counts {
		m[countPrefix+f] = n(v)
	}
	for h, exp := range it.Holders {
		m[holdPrefix+h] = n(exp)
	}
	if len(it.Holders) > 0 {
		m[attrHolders] = n(int64(len(it.Holders)))
	}
	return m
}

// fromAttrs maps attributes back to an item of table t.
func fromAttrs(t store.Table, m map[string]types.AttributeValue) (*store.Item, error) {
	it := &store.Item{Table: t}
	for name, av := range m {
		var err error
		switch {
		case name == attrPK:
			it.PK, err = str(av)
		case name == attrSK:
			it.SK, err = str(av)
		case name == attrTTL:
			it.TTL, err = num(av)
		case name == attrVersion:
			it.Version, err = num(av)
		case name == attrOwner:
			it.Owner, err = str(av)
		case name == attrDoc:
			b, ok := av.(*types.AttributeValueMemberB)
			if !ok {
				err = fmt.Errorf("not binary")
			} else {
				it.Doc = b.Value
			}
		case name == attrHolders:
		case strings.HasPrefix(name, countPrefix):
			var v int64
			if v, err = num(av); err == nil {
				if it.Counts == nil {
					it.Counts = map[string]int64{}
				}
				it.Counts[name[len(countPrefix):]] = v
			}
		case strings.HasPrefix(name, holdPrefix):
			var v int64
			if v, err = num(av); err == nil {
				if it.Holders == nil {
					it.Holders = map[string]int64{}
				}
				it.Holders[name[len(holdPrefix):]] = v
			}
		default:
			for i := range store.Indexes {
				switch name {
				case indexPK(i):
					it.Index[i].PK, err = str(av)
				case indexSK(i):
					it.Index[i].SK, err = str(av)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("decoding attribute %s of %s item: %w", name, t, err)
		}
	}
	return it, nil
}

func str(av types.AttributeValue) (string, error) {
	v, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("not a string")
	}
	return v.Value, nil
}

func num(av types.AttributeValue) (int64, error) {
	v, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("not a number")
	}
	return strconv.ParseInt(v.Value, 10, 64)
}
