// Package period is LiteLLM's budget period ("30d", "1mo", "daily"): its
// parser and its calendar. It is a leaf, so the config, the store and the
// services share one parser without importing one another.
package period

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the unit of a Period.
type Unit int

// Period units, as LiteLLM writes them: s, m, h, d, w, mo.
const (
	Second Unit = iota + 1
	Minute
	Hour
	Day
	Week
	Month
)

var unitSuffix = map[Unit]string{Second: "s", Minute: "m", Hour: "h", Day: "d", Week: "w", Month: "mo"}

// Period is a budget reset interval such as "30d" or "1mo" (LiteLLM's
// budget_duration format). Months are calendar months, so a Period is not a
// time.Duration; use Next to find when the following window starts.
type Period struct {
	N    int
	Unit Unit
}

// periodWords are the spelled-out forms newer LiteLLM versions accept, with
// the same meaning LiteLLM gives them.
var periodWords = map[string]string{"hourly": "1h", "daily": "24h", "weekly": "7d", "monthly": "30d"}

// Parse parses "<n>s", "<n>m", "<n>h", "<n>d", "<n>w", "<n>mo" with
// n > 0, or one of hourly, daily, weekly, monthly.
func Parse(s string) (Period, error) {
	t := strings.TrimSpace(s)
	if w, ok := periodWords[strings.ToLower(t)]; ok {
		t = w
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	digits, suffix := t[:i], t[i:]
	if digits == "" {
		return Period{}, fmt.Errorf("%q is not a duration: want a number and a unit, e.g. 30s, 30m, 30h, 30d, 1w, 1mo", s)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || n > 1_000_000 {
		return Period{}, fmt.Errorf("%q is not a duration: the number must be between 1 and 1000000", s)
	}
	for u, suf := range unitSuffix {
		if suffix == suf {
			return Period{N: n, Unit: u}, nil
		}
	}
	if suffix == "" {
		return Period{}, fmt.Errorf("%q is not a duration: it has no unit (s, m, h, d, w or mo)", s)
	}
	return Period{}, fmt.Errorf("%q is not a duration: unknown unit %q (want s, m, h, d, w or mo)", s, suffix)
}

// String formats the period as LiteLLM writes it ("30d", "1mo").
func (p Period) String() string {
	if p.N == 0 {
		return ""
	}
	return strconv.Itoa(p.N) + unitSuffix[p.Unit]
}

// IsZero reports whether the period is unset.
func (p Period) IsZero() bool { return p.N == 0 }

// Fixed returns the period as a duration when it has a fixed length
// (everything but months).
func (p Period) Fixed() (time.Duration, bool) {
	var u time.Duration
	switch p.Unit {
	case Second:
		u = time.Second
	case Minute:
		u = time.Minute
	case Hour:
		u = time.Hour
	case Day:
		u = 24 * time.Hour
	case Week:
		u = 7 * 24 * time.Hour
	default:
		return 0, false
	}
	return time.Duration(p.N) * u, true
}

// Next returns from plus one period; months add calendar months.
func (p Period) Next(from time.Time) time.Time {
	if p.Unit == Month {
		return from.AddDate(0, p.N, 0)
	}
	d, _ := p.Fixed()
	return from.Add(d)
}
