package dynamo

import (
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func TestItemRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		it   *store.Item
	}{
		{"key with index", &store.Item{Table: store.StateTable, PK: "KEY#ab", SK: "KEY", Version: 3, Doc: []byte(`{"token":"ab"}`),
			Index: [store.Indexes]store.IndexKey{{PK: "KEYS", SK: "OWNER#u#ab"}}}},
		{"counter", &store.Item{Table: store.StateTable, PK: "CTR#c", SK: "CTR", TTL: 1795262460,
			Counts: map[string]int64{"requests": 3, "tokens": -20}}},
		{"lease", &store.Item{Table: store.StateTable, PK: "LEASE#c", SK: "LEASE", TTL: 99,
			Holders: map[string]int64{"r1": 99, "r-2": 98}}},
		{"session", &store.Item{Table: store.StateTable, PK: "SESSION#s", SK: "SESSION", Owner: "k", TTL: 5, Doc: []byte("{}")}},
		{"spend in three indexes", &store.Item{Table: store.SpendTable, PK: "DAY#2026-11-21", SK: "t#r", Doc: []byte("{}"),
			Index: [store.Indexes]store.IndexKey{{PK: "KEY#k", SK: "t#r"}, {PK: "USER#u", SK: "t#r"}, {PK: "TEAM#t", SK: "t#r"}}}},
		{"cache has no sort key", &store.Item{Table: store.CacheTable, PK: "CACHE#x", Doc: []byte{0, 1, 2}, TTL: 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			attrs := toAttrs(c.it)
			if _, ok := attrs[attrSK]; ok == (c.it.Table == store.CacheTable) {
				t.Fatalf("sk attribute present = %v on %s table", ok, c.it.Table)
			}
			got, err := fromAttrs(c.it.Table, attrs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.it) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.it)
			}
		})
	}
}
