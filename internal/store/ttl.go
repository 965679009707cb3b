package store

import "time"

// TTL maths, shared by every aggregate. DynamoDB's ttl attribute is in
// epoch seconds; an item is live while now < ttl. Neither DynamoDB (which
// deletes expired items up to days late) nor an emulator removes items on
// time, so Store filters expired items on every read.

// ttlOf converts an expiry instant to a ttl attribute (0: never expires).
// Instants that fall inside a second round up, so an item never expires
// before the instant its owner asked for.
func ttlOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// timeOfTTL converts a ttl attribute back to an instant (zero for 0).
func timeOfTTL(ttl int64) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return time.Unix(ttl, 0).UTC()
}

// Window is one fixed window of a rate or budget counter.
type Window struct {
	Start, End time.Time
}

// FixedWindow returns the window of the given size (e.g. a minute) that
// holds t. Windows are aligned to the Unix epoch, so every instance of the
// gateway computes the same windows.
func FixedWindow(t time.Time, size time.Duration) Window {
	start := t.UTC().Truncate(size)
	return Window{Start: start, End: start.Add(size)}
}

// ID names the window in counter keys (its start in epoch seconds).
func (w Window) ID() string { return formatInt(w.Start.Unix()) }

// CounterGrace is how long a counter outlives its window, so that a
// request that straddles the window's end can still settle into it.
const CounterGrace = 15 * time.Minute

// Expires is the TTL to give a counter of this window.
func (w Window) Expires() time.Time { return w.End.Add(CounterGrace) }
