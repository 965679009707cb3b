package tenancy

import (
	"github.com/tollgate-gw/tollgate/internal/store"
)

// bound is a set of limits a request may not exceed, with whose they are
// ("your user", "team t1", "the admin's default for new users").
type bound struct {
	who string
	l   store.Limits
}

// checkBounds refuses limits that reach beyond any bound: a model outside
// the bound's models, or a budget or limit above the bound's. A field the
// request leaves unset is fine: the bound still applies at request time.
func (s *Service) checkBounds(l *store.Limits, bounds ...bound) error {
	for _, b := range bounds {
		c := b.l
		if e, ok := s.models.within(l.Models, c.Models); !ok {
			return forbidden("models", "model %s is beyond %s models %v", quote(e), b.who, c.Models)
		}
		for _, f := range []struct {
			name      string
			v, ceilng *float64
		}{{"max_budget", l.MaxBudget, c.MaxBudget}, {"soft_budget", l.SoftBudget, c.MaxBudget}} {
			if f.v != nil && f.ceilng != nil && *f.v > *f.ceilng {
				return forbidden(f.name, "%s %s exceeds %s max_budget %s", f.name, money(*f.v), b.who, money(*f.ceilng))
			}
		}
		for _, f := range []struct {
			name      string
			v, ceilng *int64
		}{{"tpm_limit", l.TPMLimit, c.TPMLimit}, {"rpm_limit", l.RPMLimit, c.RPMLimit},
			{"max_parallel_requests", l.MaxParallelRequests, c.MaxParallelRequests}} {
			if f.v != nil && f.ceilng != nil && *f.v > *f.ceilng {
				return forbidden(f.name, "%s %d exceeds %s %s %d", f.name, *f.v, b.who, f.name, *f.ceilng)
			}
		}
		for _, f := range []struct {
			name    string
			per     map[string]int64
			perCeil map[string]int64
			all     *int64
			allName string
		}{{"model_rpm_limit", l.ModelRPMLimit, c.ModelRPMLimit, c.RPMLimit, "rpm_limit"},
			{"model_tpm_limit", l.ModelTPMLimit, c.ModelTPMLimit, c.TPMLimit, "tpm_limit"}} {
			for model, v := range f.per {
				if ceil, ok := f.perCeil[model]; ok && v > ceil {
					return forbidden(f.name, "%s for %s is %d, above %s %s of %d", f.name, quote(model), v, b.who, f.name, ceil)
				}
				if f.all != nil && v > *f.all {
					return forbidden(f.name, "%s for %s is %d, above %s %s of %d", f.name, quote(model), v, b.who, f.allName, *f.all)
				}
			}
		}
		for model, mb := range l.ModelMaxBudget {
			if cb, ok := c.ModelMaxBudget[model]; ok && mb.BudgetLimit > cb.BudgetLimit {
				return forbidden("model_max_budget", "model_max_budget for %s is %s, above %s %s", quote(model), money(mb.BudgetLimit), b.who, money(cb.BudgetLimit))
			}
			if c.MaxBudget != nil && mb.BudgetLimit > *c.MaxBudget {
				return forbidden("model_max_budget", "model_max_budget for %s is %s, above %s max_budget %s", quote(model), money(mb.BudgetLimit), b.who, money(*c.MaxBudget))
			}
		}
	}
	return nil
}
