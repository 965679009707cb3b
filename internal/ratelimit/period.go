package ratelimit

import (
	"time"

	"github.com/tollgate-gw/tollgate/internal/period"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// forever is the lifetime of a total with no budget period; each write
// pushes it further.
const forever = 10 * 365 * 24 * time.Hour

// periodOf returns the budget period that holds now and the id that names
// it in counter keys. Periods are aligned to the Unix epoch (months to
// calendar months, UTC), so every instance computes the same period and a
// new one starts from zero without a reset job. No duration ("" or one
// that does not parse) is one period that never ends: "all".
func periodOf(duration string, now time.Time) (id string, w store.Window, bounded bool) {
	if duration == "" {
		return "all", store.Window{}, false
	}
	p, err := period.Parse(duration)
	if err != nil {
		return "all", store.Window{}, false
	}
	if d, ok := p.Fixed(); ok {
		w = store.FixedWindow(now, d)
		return w.ID(), w, true
	}
	u := now.UTC()
	idx := (u.Year()-1970)*12 + int(u.Month()) - 1
	idx -= idx % p.N
	start := time.Date(1970+idx/12, time.Month(idx%12+1), 1, 0, 0, 0, 0, time.UTC)
	w = store.Window{Start: start, End: start.AddDate(0, p.N, 0)}
	return w.ID(), w, true
}

// expiresOf is the TTL of a counter of that period.
func expiresOf(w store.Window, bounded bool, now time.Time) time.Time {
	if !bounded {
		return now.Add(forever)
	}
	return w.Expires()
}
