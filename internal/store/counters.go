package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Counters are the shared state behind budgets, rate limits, parallel
// request leases and routing usage. The hot path makes one Apply call before
// the upstream call (every limit and budget admission together, all or
// none) and one after it (settle: actual tokens and cost, lease release and
// the spend record, also all or none). In DynamoDB each Apply is one
// TransactWriteItems (or one UpdateItem when it touches one item).
//
// A counter is named by a key (see CounterKey). Window-based counters put
// the window in the key (Window.ID), so a new window starts from zero
// without a reset job, and give the item a TTL past the window's end.

// Op is one change of an Apply call: an Add, Acquire, Release or PutSpend.
type Op interface{ op() }

// Add adds Delta to a field of a counter, optionally only while the field's
// current value is at most AtMost: a rate limit of N admits with
// Delta 1, AtMost N-1; a budget admits while spend ≤ max_budget with
// Delta 0, AtMost max (LiteLLM's semantics: a zero budget admits one call);
// a strict budget reserves with Delta reserve, AtMost max-reserve.
// Several Adds of one Apply on the same counter become one item write.
type Add struct {
	Counter string
	// Field is the counter field ("requests", "tokens", "spend_nanos", …):
	// lowercase letters, digits and '_', at most 32.
	Field  string
	Delta  int64
	AtMost *int64
	// Expires is the counter's TTL; required, so that no counter lives
	// forever. The latest Apply's value wins.
	Expires time.Time
}

// Acquire takes a lease (a parallel-request slot) on a counter: refused
// when Max unexpired leases are held. The lease ends at Expires, when
// released, whichever comes first, so a crashed instance cannot leak a
// slot beyond Expires. Holder must be unique per lease (NewID or the
// request id).
type Acquire struct {
	Counter string
	Holder  string
	Max     int64
	Expires time.Time
}

// Release ends a lease. Releasing a lease that is not held is a no-op.
type Release struct {
	Counter string
	Holder  string
}

// PutSpend writes a spend record as part of a settle Apply. Its id (day,
// time and request id) makes the settle idempotent: applying it twice fails
// with ErrConflict on this op and changes nothing.
type PutSpend struct {
	Record *SpendRecord
}

func (Add) op()      {}
func (Acquire) op()  {}
func (Release) op()  {}
func (PutSpend) op() {}

// maxWrites is the most items one Driver.Write may touch (DynamoDB's
// TransactWriteItems limit).
const maxWrites = 100

// validField reports whether f matches [a-z][a-z0-9_]{0,31}; by hand, as a
// package-level regexp would be compiled at every process start.
func validField(f string) bool {
	if len(f) == 0 || len(f) > 32 || f[0] < 'a' || f[0] > 'z' {
		return false
	}
	for i := 1; i < len(f); i++ {
		if c := f[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// CounterKey joins parts into a counter key ("key", hash, "rpm", window).
func CounterKey(parts ...string) string { return strings.Join(parts, "#") }

func checkCounter(key string) error {
	if key == "" {
		return invalid("counter key is empty")
	}
	if len(key) > 1024 {
		return invalid("counter key is %d bytes, the limit is 1024", len(key))
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return invalid("counter key %q contains a control character", key)
		}
	}
	return nil
}

// applyPlan is an Apply call turned into driver writes, remembering which
// ops each write came from.
type applyPlan struct {
	writes []*Write
	ops    [][]int // ops[i]: the op indexes of writes[i]
	// While planning: the write index of each counter added to or leased.
	adds, leases map[string]int
}

// plan turns ops into driver writes: the Adds of one counter merge into
// one write, every lease and spend record is a write of its own.
func (s *Store) plan(ops []Op) (*applyPlan, error) {
	p := &applyPlan{adds: map[string]int{}, leases: map[string]int{}}
	for i, op := range ops {
		var err error
		switch o := op.(type) {
		case Add:
			err = p.planAdd(i, o)
		case Acquire:
			err = p.planAcquire(i, o)
		case Release:
			err = p.planLease(i, o.Counter, &Write{Kind: WriteRelease, Holder: o.Holder})
		case PutSpend:
			var it *Item
			if it, err = spendItem(o.Record); err == nil {
				p.add(i, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}})
			}
		default:
			err = invalid("unknown op %T", op)
		}
		if err != nil {
			return nil, fmt.Errorf("op %d: %w", i, err)
		}
	}
	if len(p.writes) > maxWrites {
		return nil, invalid("%d items in one apply; the limit is %d", len(p.writes), maxWrites)
	}
	return p, nil
}

// planAdd checks op i, an Add, and merges it into its counter's write.
func (p *applyPlan) planAdd(i int, o Add) error {
	if err := checkCounter(o.Counter); err != nil {
		return err
	}
	if !validField(o.Field) {
		return invalid("counter field %q: want [a-z][a-z0-9_]{0,31}", o.Field)
	}
	if o.Expires.IsZero() {
		return invalid("counter %s has no expiry", o.Counter)
	}
	if _, ok := p.leases[o.Counter]; ok {
		return invalid("counter %s is both added to and leased", o.Counter)
	}
	fa := FieldAdd{Field: o.Field, Delta: o.Delta}
	if o.AtMost != nil {
		v := *o.AtMost
		fa.AtMost = &v
	}
	w, ok := p.adds[o.Counter]
	if !ok {
		p.adds[o.Counter] = len(p.writes)
		p.add(i, &Write{Kind: WriteAdd, Item: &Item{Table: StateTable, PK: pkCounter(o.Counter), SK: skCounter},
			Adds: []FieldAdd{fa}, Expires: ttlOf(o.Expires)})
		return nil
	}
	for _, prev := range p.writes[w].Adds {
		if prev.Field == o.Field {
			return invalid("counter %s field %s appears twice", o.Counter, o.Field)
		}
	}
	p.writes[w].Adds = append(p.writes[w].Adds, fa)
	p.writes[w].Expires = max(p.writes[w].Expires, ttlOf(o.Expires))
	p.ops[w] = append(p.ops[w], i)
	return nil
}

// planAcquire checks op i, an Acquire, and plans its lease write.
func (p *applyPlan) planAcquire(i int, a Acquire) error {
	if a.Max < 0 {
		return invalid("lease %s: max %d is negative", a.Counter, a.Max)
	}
	if a.Expires.IsZero() {
		return invalid("lease %s has no expiry", a.Counter)
	}
	return p.planLease(i, a.Counter, &Write{Kind: WriteAcquire, Holder: a.Holder, MaxHolders: a.Max, Expires: ttlOf(a.Expires)})
}

// planLease checks op i, an Acquire or Release of counter, and plans w,
// its write: one per lease, never beside an Add of the same counter.
func (p *applyPlan) planLease(i int, counter string, w *Write) error {
	if err := checkCounter(counter); err != nil {
		return err
	}
	if err := checkID("lease holder", w.Holder); err != nil {
		return err
	}
	if _, ok := p.adds[counter]; ok {
		return invalid("counter %s is both added to and leased", counter)
	}
	if _, ok := p.leases[counter]; ok {
		return invalid("lease %s appears twice", counter)
	}
	p.leases[counter] = len(p.writes)
	w.Item = &Item{Table: StateTable, PK: pkLease(counter), SK: skLease}
	p.add(i, w)
	return nil
}

func (p *applyPlan) add(op int, w *Write) {
	p.writes = append(p.writes, w)
	p.ops = append(p.ops, []int{op})
}

// Apply applies ops all or none, in one store round trip. When an Add's
// bound or an Acquire's limit refuses, nothing changes and the error is a
// *LimitError (matching ErrLimitExceeded) naming the first refused op; when
// a PutSpend record already exists the error matches ErrConflict.
func (s *Store) Apply(ctx context.Context, ops ...Op) error {
	_, err := s.apply(ctx, ops, false)
	return err
}

// ValueWriter is a Driver that can also return the items a Write left
// behind, in the same round trip. Items it cannot report are nil: DynamoDB
// reports the item of a single-item write (UpdateItem with ReturnValues
// ALL_NEW) but TransactWriteItems returns no values at all.
type ValueWriter interface {
	WriteValues(ctx context.Context, now int64, ws []*Write) ([]*Item, error)
}

// Applied is what an ApplyValues call left behind, as far as the backend
// reported it in the same round trip.
type Applied struct {
	ops   []Op
	plan  *applyPlan
	items []*Item // by write; nil when unknown
	now   int64
}

// Value returns the value after the apply of op's field (an Add) or the
// number of live leases held after it (an Acquire). ok is false when the
// backend did not report it (a DynamoDB transaction; see ValueWriter) or
// op is neither.
func (a *Applied) Value(op int) (v int64, ok bool) {
	if a == nil || op < 0 || op >= len(a.ops) {
		return 0, false
	}
	for w, idx := range a.plan.ops {
		for _, i := range idx {
			if i != op {
				continue
			}
			if w >= len(a.items) || a.items[w] == nil {
				return 0, false
			}
			it := a.items[w]
			switch o := a.ops[op].(type) {
			case Add:
				return it.Counts[o.Field], true
			case Acquire:
				return it.LiveHolders(a.now), true
			}
			return 0, false
		}
	}
	return 0, false
}

// ApplyValues is Apply, also returning the values the apply left behind
// where the backend reports them without another round trip: always on the
// embedded store, for a single-item apply on DynamoDB. Callers must treat a
// value that is not reported as unknown.
func (s *Store) ApplyValues(ctx context.Context, ops ...Op) (*Applied, error) {
	return s.apply(ctx, ops, true)
}

func (s *Store) apply(ctx context.Context, ops []Op, values bool) (*Applied, error) {
	if len(ops) == 0 {
		return &Applied{plan: &applyPlan{}}, nil
	}
	p, err := s.plan(ops)
	if err != nil {
		return nil, fmt.Errorf("applying counters: %w", err)
	}
	now := s.unix()
	a := &Applied{ops: ops, plan: p, now: now}
	if vw, ok := s.d.(ValueWriter); ok && values {
		a.items, err = vw.WriteValues(ctx, now, p.writes)
	} else {
		err = s.d.Write(ctx, now, p.writes)
	}
	cf, ok := asCondFailed(err)
	if !ok {
		if err != nil {
			return nil, fmt.Errorf("applying counters: %w", err)
		}
		return a, nil
	}
	return nil, p.refusal(ops, cf, now)
}

// refusal explains a failed condition as the op that caused it.
func (p *applyPlan) refusal(ops []Op, cf *CondFailed, now int64) error {
	w := p.writes[cf.Index]
	cur := cf.Item
	if cur != nil && !cur.Live(now) {
		cur = nil
	}
	switch w.Kind {
	case WriteAdd:
		first := -1
		for j, a := range w.Adds {
			if a.AtMost == nil {
				continue
			}
			if first < 0 {
				first = j
			}
			var v int64
			if cur != nil {
				v = cur.Counts[a.Field]
			}
			if v > *a.AtMost {
				first = j
				break
			}
		}
		if first >= 0 {
			a := w.Adds[first]
			var v int64
			if cur != nil {
				v = cur.Counts[a.Field]
			}
			op := p.ops[cf.Index][first]
			return &LimitError{Op: op, Counter: ops[op].(Add).Counter, Field: a.Field, Value: v, Limit: *a.AtMost}
		}
	case WriteAcquire:
		var held int64
		if cur != nil {
			held = cur.LiveHolders(now)
		}
		op := p.ops[cf.Index][0]
		return &LimitError{Op: op, Counter: ops[op].(Acquire).Counter, Value: held, Limit: w.MaxHolders}
	}
	op := p.ops[cf.Index][0]
	return fmt.Errorf("applying counters: op %d (%s): %w", op, describe(w.Item), ErrConflict)
}

// Counter is a counter's current state.
type Counter struct {
	Key string
	// Values are the fields' values (empty when the counter is absent or
	// expired).
	Values map[string]int64
	// Expires is the counter's TTL (zero when absent).
	Expires time.Time
}

// GetCounter reads a counter; an absent or expired counter reads as zero.
func (s *Store) GetCounter(ctx context.Context, key string) (*Counter, error) {
	if err := checkCounter(key); err != nil {
		return nil, fmt.Errorf("reading counter: %w", err)
	}
	c := &Counter{Key: key, Values: map[string]int64{}}
	it, err := s.get(ctx, StateTable, pkCounter(key), skCounter)
	if notFound(err) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading counter %s: %w", key, err)
	}
	for f, v := range it.Counts {
		c.Values[f] = v
	}
	c.Expires = timeOfTTL(it.TTL)
	return c, nil
}

// Leases returns the number of unexpired leases held on a counter.
func (s *Store) Leases(ctx context.Context, key string) (int64, error) {
	if err := checkCounter(key); err != nil {
		return 0, fmt.Errorf("reading leases: %w", err)
	}
	it, err := s.get(ctx, StateTable, pkLease(key), skLease)
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading leases %s: %w", key, err)
	}
	return it.LiveHolders(s.unix()), nil
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// EachWriter is a Driver that can apply writes each on its own in one
// round trip: every write succeeds or fails alone (a failed condition is a
// *CondFailed for that write), and none is applied twice.
type EachWriter interface {
	WriteEach(ctx context.Context, now int64, ws []*Write) []error
}

// writeEach writes each of ws on its own through d: its EachWriter, or one
// Write per item.
func writeEach(ctx context.Context, d Driver, now int64, ws []*Write) []error {
	if ew, ok := d.(EachWriter); ok {
		return ew.WriteEach(ctx, now, ws)
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = d.Write(ctx, now, []*Write{w})
	}
	return errs
}

// ApplyEach applies ops each on its own, at most once: an op that fails
// leaves the others applied. It is the settle's write: unlike Apply it
// needs no transaction, so on DynamoDB each item is a plain single-item
// request (all sent at once: one round trip of latency), which costs half
// the write units of a transaction item and never conflicts with another
// settle of a hot counter. It takes Adds without a bound, Releases and
// PutSpends; a bounded Add or an Acquire needs Apply's all-or-none.
//
// The result has one error per op (nil when the op was applied), or is nil
// when every op was applied. A PutSpend whose record exists fails with
// ErrConflict; an op the store refuses as invalid fails alone.
func (s *Store) ApplyEach(ctx context.Context, ops ...Op) []error {
	var errs []error
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(ops))
		}
		errs[i] = fmt.Errorf("applying op %d: %w", i, err)
	}
	valid := make([]Op, 0, len(ops))
	idx := make([]int, 0, len(ops)) // valid[j] is ops[idx[j]]
	for i, op := range ops {
		var err error
		switch o := op.(type) {
		case Add:
			if o.AtMost != nil {
				err = invalid("counter %s: a bounded add needs Apply", o.Counter)
			}
		case Acquire:
			err = invalid("lease %s: an acquire needs Apply", o.Counter)
		}
		if err == nil {
			_, err = s.plan([]Op{op})
		}
		if err != nil {
			fail(i, err)
			continue
		}
		valid = append(valid, op)
		idx = append(idx, i)
	}
	if len(valid) == 0 {
		return errs
	}
	p, err := s.plan(valid)
	if err != nil { // two ops on one item that plan cannot merge
		for _, i := range idx {
			fail(i, err)
		}
		return errs
	}
	now := s.unix()
	for w, err := range writeEach(ctx, s.d, now, p.writes) {
		if err == nil {
			continue
		}
		if _, ok := asCondFailed(err); ok {
			err = fmt.Errorf("%s exists: %w", describe(p.writes[w].Item), ErrConflict)
		}
		for _, j := range p.ops[w] {
			fail(idx[j], err)
		}
	}
	return errs
}
