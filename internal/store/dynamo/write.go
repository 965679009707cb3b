package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// expr collects the placeholders of one write's expressions.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
	conds  []string
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name returns the placeholder of an attribute name.
func (e *expr) name(attr string) string {
	for ph, a := range e.names {
		if a == attr {
			return ph
		}
	}
	ph := fmt.Sprintf("#n%d", len(e.names))
	e.names[ph] = attr
	return ph
}

// value returns a placeholder for a value.
func (e *expr) value(av types.AttributeValue) string {
	ph := fmt.Sprintf(":v%d", len(e.values))
	e.values[ph] = av
	return ph
}

func (e *expr) cond(format string, args ...any) {
	e.conds = append(e.conds, fmt.Sprintf(format, args...))
}

func (e *expr) condition() *string {
	if len(e.conds) == 0 {
		return nil
	}
	return aws.String(strings.Join(e.conds, " AND "))
}

func (e *expr) attrNames() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

func (e *expr) attrValues() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}

// live is the condition "the item is absent or has not expired".
func (e *expr) live(now int64) string {
	t := e.name(attrTTL)
	return fmt.Sprintf("(attribute_not_exists(%s) OR %s > %s)", t, t, e.value(n(now)))
}

// spec is one store.Write as DynamoDB request parts.
type spec struct {
	w      *store.Write
	e      *expr
	update string // for WriteAdd, WriteAcquire, WriteRelease
}

// build expresses w's conditions and changes; store.Write.Check is the
// same rule set, evaluated in Go by the embedded driver.
func build(w *store.Write, now int64) *spec {
	e := newExpr()
	sp := &spec{w: w, e: e}
	switch w.Cond.Kind {
	case store.CondAbsent:
		t := e.name(attrTTL)
		e.cond("(attribute_not_exists(%s) OR %s <= %s)", e.name(attrPK), t, e.value(n(now)))
	case store.CondLive:
		e.cond("attribute_exists(%s) AND %s", e.name(attrPK), e.live(now))
	case store.CondVersion:
		e.cond("%s = %s AND %s", e.name(attrVersion), e.value(n(w.Cond.Version)), e.live(now))
	}
	if w.Cond.Owner != "" && (w.Cond.Kind == store.CondLive || w.Cond.Kind == store.CondVersion) {
		e.cond("%s = %s", e.name(attrOwner), e.value(s(w.Cond.Owner)))
	}
	switch w.Kind {
	case store.WriteAdd:
		if w.Cond.Kind == store.CondNone {
			e.cond("%s", e.live(now))
		}
		var adds []string
		for _, a := range w.Adds {
			c := e.name(countPrefix + a.Field)
			adds = append(adds, c+" "+e.value(n(a.Delta)))
			switch {
			case a.AtMost == nil:
			case *a.AtMost >= 0:
				// A missing field reads as 0, which the bound allows.
				e.cond("(attribute_not_exists(%s) OR %s <= %s)", c, c, e.value(n(*a.AtMost)))
			default:
				// A missing field is 0 > AtMost: refused. A comparison
				// with a missing attribute is false, so this alone says
				// it (rpm_limit 0; a reservation above the budget).
				e.cond("%s <= %s", c, e.value(n(*a.AtMost)))
			}
		}
		sp.update = "ADD " + strings.Join(adds, ", ")
		if w.Expires != 0 {
			sp.update += fmt.Sprintf(" SET %s = %s", e.name(attrTTL), e.value(n(w.Expires)))
		}
	case store.WriteAcquire:
		h, hn := e.name(holdPrefix+w.Holder), e.name(attrHolders)
		if w.Cond.Kind == store.CondNone {
			e.cond("%s", e.live(now))
		}
		e.cond("(attribute_not_exists(%s) OR %s < %s)", hn, hn, e.value(n(w.MaxHolders)))
		e.cond("attribute_not_exists(%s)", h)
		sp.update = fmt.Sprintf("SET %s = %s, %s = %s ADD %s %s",
			h, e.value(n(w.Expires)), e.name(attrTTL), e.value(n(w.Expires)), hn, e.value(n(1)))
	case store.WriteRelease:
		h := e.name(holdPrefix + w.Holder)
		e.cond("attribute_exists(%s)", h)
		sp.update = fmt.Sprintf("REMOVE %s ADD %s %s", h, e.name(attrHolders), e.value(n(-1)))
	}
	return sp
}

func (d *Driver) transactItem(sp *spec) types.TransactWriteItem {
	w, e := sp.w, sp.e
	table := d.tables.name(w.Item.Table)
	old := types.ReturnValuesOnConditionCheckFailureAllOld
	switch w.Kind {
	case store.WritePut:
		return types.TransactWriteItem{Put: &types.Put{TableName: table, Item: toAttrs(w.Item),
			ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
			ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old}}
	case store.WriteDelete:
		return types.TransactWriteItem{Delete: &types.Delete{TableName: table, Key: key(w.Item),
			ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
			ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old}}
	case store.WriteCheck:
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: table, Key: key(w.Item),
			ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
			ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old}}
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: table, Key: key(w.Item),
		UpdateExpression: aws.String(sp.update), ConditionExpression: e.condition(),
		ExpressionAttributeNames: e.attrNames(), ExpressionAttributeValues: e.attrValues(),
		ReturnValuesOnConditionCheckFailure: old}}
}

// send makes one request for the writes at idx: a single-item call when
// there is one, else TransactWriteItems. For an update it returns the new
// item when want is set.
func (d *Driver) send(ctx context.Context, now int64, ws []*store.Write, idx []int, want bool) (map[string]types.AttributeValue, error) {
	if len(idx) == 1 && ws[idx[0]].Kind != store.WriteCheck {
		sp := build(ws[idx[0]], now)
		w, e := sp.w, sp.e
		table := d.tables.name(w.Item.Table)
		old := types.ReturnValuesOnConditionCheckFailureAllOld
		switch w.Kind {
		case store.WritePut:
			_, err := d.c.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: toAttrs(w.Item),
				ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
				ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old})
			return nil, classify("PutItem", err)
		case store.WriteDelete:
			_, err := d.c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key(w.Item),
				ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
				ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old})
			return nil, classify("DeleteItem", err)
		}
		in := &dynamodb.UpdateItemInput{TableName: table, Key: key(w.Item), UpdateExpression: aws.String(sp.update),
			ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(),
			ExpressionAttributeValues: e.attrValues(), ReturnValuesOnConditionCheckFailure: old}
		if want {
			in.ReturnValues = types.ReturnValueAllNew
		}
		out, err := d.c.UpdateItem(ctx, in)
		if err != nil {
			return nil, classify("UpdateItem", err)
		}
		return out.Attributes, nil
	}
	items := make([]types.TransactWriteItem, len(idx))
	for j, i := range idx {
		items[j] = d.transactItem(build(ws[i], now))
	}
	// The token makes the SDK's own retries of this request (after a
	// timeout) idempotent: the transaction is applied at most once.
	_, err := d.c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items, ClientRequestToken: aws.String(store.NewID())})
	return nil, classify("TransactWriteItems", err)
}

// Write implements store.Driver.
func (d *Driver) Write(ctx context.Context, now int64, ws []*store.Write) error {
	_, err := d.write(ctx, now, ws, false)
	return err
}

// WriteValues implements store.ValueWriter. A single counter or lease
// write is one UpdateItem, which returns the new item (ReturnValues
// ALL_NEW) in the same round trip; TransactWriteItems returns no values, so
// the items of a multi-item write are reported as unknown (nil) rather than
// read back, which would cost a second round trip.
func (d *Driver) WriteValues(ctx context.Context, now int64, ws []*store.Write) ([]*store.Item, error) {
	out := make([]*store.Item, len(ws))
	if len(ws) != 1 || (ws[0].Kind != store.WriteAdd && ws[0].Kind != store.WriteAcquire && ws[0].Kind != store.WriteRelease) {
		return out, d.Write(ctx, now, ws)
	}
	attrs, err := d.write(ctx, now, ws, true)
	if err != nil || len(attrs) == 0 {
		return out, err
	}
	it, err := fromAttrs(ws[0].Item.Table, attrs)
	if err != nil {
		return nil, err
	}
	out[0] = it
	return out, nil
}

// Update implements store.Driver.
func (d *Driver) Update(ctx context.Context, now int64, w *store.Write) (*store.Item, error) {
	if w.Kind != store.WriteAdd {
		return nil, fmt.Errorf("dynamodb: Update takes a WriteAdd, not kind %d", w.Kind)
	}
	attrs, err := d.write(ctx, now, []*store.Write{w}, true)
	if err != nil {
		return nil, err
	}
	return fromAttrs(w.Item.Table, attrs)
}

func (d *Driver) write(ctx context.Context, now int64, ws []*store.Write, want bool) (map[string]types.AttributeValue, error) {
	for i, w := range ws {
		if w.Kind == store.WriteAcquire && w.MaxHolders < 1 {
			return nil, &store.CondFailed{Index: i}
		}
	}
	skip := make([]bool, len(ws))
	for attempt := 1; ; attempt++ {
		var idx []int
		for i, w := range ws {
			if !skip[i] && !(w.Kind == store.WriteCheck && w.Cond.Kind == store.CondNone) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return nil, nil
		}
		attrs, err := d.send(ctx, now, ws, idx, want)
		var cf *condFailure
		if !errors.As(err, &cf) {
			return attrs, err
		}
		if code, ok := cf.otherFailure(); ok {
			if throttledReasons[code] {
				return nil, fmt.Errorf("dynamodb: transaction canceled (%s): %w", code, store.ErrUnavailable)
			}
			return nil, fmt.Errorf("dynamodb: %w", cf)
		}
		if attempt >= d.maxAttempts {
			return nil, fmt.Errorf("dynamodb: %w after %d attempts: %w", errTooManyAttempts, attempt, store.ErrUnavailable)
		}
		if cf.conflicted() {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		retry, err := d.resolve(ctx, now, ws, idx, cf, skip)
		if err != nil || !retry {
			return nil, err
		}
	}
}

// resolve handles the first failed condition of a canceled write: a release
// of a lease that is not held is dropped, expired state is cleared, and
// either way the write is retried; any other failure is the caller's
// CondFailed.
func (d *Driver) resolve(ctx context.Context, now int64, ws []*store.Write, idx []int, cf *condFailure, skip []bool) (bool, error) {
	for j, r := range cf.reasons {
		if r.code != "ConditionalCheckFailed" {
			continue
		}
		i := idx[j]
		w := ws[i]
		var old *store.Item
		if len(r.item) > 0 {
			var err error
			if old, err = fromAttrs(w.Item.Table, r.item); err != nil {
				return false, err
			}
		}
		if w.Kind == store.WriteRelease {
			skip[i] = true
			return true, nil
		}
		reaped, err := d.reap(ctx, now, w, old)
		if err != nil || reaped {
			return reaped, err
		}
		return false, &store.CondFailed{Index: i, Item: old}
	}
	return false, fmt.Errorf("dynamodb: %w", cf)
}

// reap clears the expired state that refused w, if that is why: a counter
// or lease item past its ttl is deleted, expired leases are removed. Each
// clearing write is conditional on the state it saw, so it never removes
// anything live; losing that race just means the retry sees the new state.
func (d *Driver) reap(ctx context.Context, now int64, w *store.Write, old *store.Item) (bool, error) {
	if old == nil || (w.Kind != store.WriteAdd && w.Kind != store.WriteAcquire) || w.Cond.Kind != store.CondNone {
		return false, nil
	}
	e := newExpr()
	table := d.tables.name(w.Item.Table)
	if !old.Live(now) {
		e.cond("%s <= %s", e.name(attrTTL), e.value(n(now)))
		_, err := d.c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key(w.Item),
			ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(), ExpressionAttributeValues: e.attrValues()})
		return ignoreCondFailed(classify("DeleteItem", err))
	}
	if w.Kind != store.WriteAcquire {
		return false, nil
	}
	var expired []string
	for h, exp := range old.Holders {
		if exp <= now {
			expired = append(expired, h)
		}
	}
	if len(expired) == 0 {
		return false, nil
	}
	sort.Strings(expired)
	var removes []string
	for _, h := range expired {
		ph := e.name(holdPrefix + h)
		removes = append(removes, ph)
		e.cond("%s = %s", ph, e.value(n(old.Holders[h])))
	}
	update := fmt.Sprintf("REMOVE %s ADD %s %s", strings.Join(removes, ", "), e.name(attrHolders), e.value(n(-int64(len(expired)))))
	_, err := d.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key(w.Item), UpdateExpression: aws.String(update),
		ConditionExpression: e.condition(), ExpressionAttributeNames: e.attrNames(), ExpressionAttributeValues: e.attrValues()})
	return ignoreCondFailed(classify("UpdateItem", err))
}

// ignoreCondFailed treats a lost clearing race as done: the caller retries
// and sees whatever won.
func ignoreCondFailed(err error) (bool, error) {
	var cf *condFailure
	if err == nil || errors.As(err, &cf) {
		return true, nil
	}
	return false, err
}

// WriteEach implements store.EachWriter: each write is its own single-item
// request (PutItem, UpdateItem), all sent at once, at 1 write unit per KB
// instead of a transaction item's 2.
func (d *Driver) WriteEach(ctx context.Context, now int64, ws []*store.Write) []error {
	errs := make([]error, len(ws))
	if len(ws) == 1 {
		errs[0] = d.Write(ctx, now, ws)
		return errs
	}
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = d.Write(ctx, now, []*store.Write{w}) })
	}
	wg.Wait()
	return errs
}
