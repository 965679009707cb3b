package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// Limits are the budget, rate and model limits that keys, users and teams
// all carry (LiteLLM's field names). A request is allowed only if the key,
// its user and its team all allow it. Pointers and nil maps mean "not set",
// which differs from zero (a zero budget admits the first call only).
type Limits struct {
	// Models the holder may call: names, access groups, wildcards such as
	// "bedrock/*". Empty means no restriction at this level.
	Models []string `json:"models,omitempty"`
	// MaxBudget is the spend cap in USD per BudgetDuration (or ever).
	MaxBudget *float64 `json:"max_budget,omitempty"`
	// BudgetDuration is the budget period ("30s", "30m", "30h", "30d",
	// "1mo", ...); "" means the budget never resets.
	BudgetDuration string `json:"budget_duration,omitempty"`
	// SoftBudget is a spend level that is flagged but not refused.
	SoftBudget *float64 `json:"soft_budget,omitempty"`
	// ModelMaxBudget caps spend per model.
	ModelMaxBudget map[string]ModelBudget `json:"model_max_budget,omitempty"`
	// TPMLimit and RPMLimit cap tokens and requests per minute.
	TPMLimit *int64 `json:"tpm_limit,omitempty"`
	RPMLimit *int64 `json:"rpm_limit,omitempty"`
	// MaxParallelRequests caps requests in flight at once.
	MaxParallelRequests *int64 `json:"max_parallel_requests,omitempty"`
	// ModelRPMLimit and ModelTPMLimit cap requests and tokens per minute
	// per model.
	ModelRPMLimit map[string]int64 `json:"model_rpm_limit,omitempty"`
	ModelTPMLimit map[string]int64 `json:"model_tpm_limit,omitempty"`
}

// ModelBudget is one model's budget in model_max_budget. LiteLLM accepts
// both {"budget_limit": 1.5, "time_period": "1d"} and a bare number; both
// decode, and it always encodes as the object.
type ModelBudget struct {
	BudgetLimit float64 `json:"budget_limit"`
	TimePeriod  string  `json:"time_period,omitempty"`
}

// UnmarshalJSON accepts the object form and the bare-number form.
func (m *ModelBudget) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("model budget: want a number or {\"budget_limit\", \"time_period\"}: %w", err)
		}
		*m = ModelBudget{BudgetLimit: f}
		return nil
	}
	type plain ModelBudget
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = ModelBudget(p)
	return nil
}

// Validate checks the limits: no negative or non-finite amounts, periods
// that parse, no empty model names.
func (l *Limits) Validate() error {
	for _, m := range l.Models {
		if m == "" {
			return invalid("models: empty model name")
		}
	}
	if err := checkMoney("max_budget", l.MaxBudget); err != nil {
		return err
	}
	if err := checkMoney("soft_budget", l.SoftBudget); err != nil {
		return err
	}
	if err := checkPeriod("budget_duration", l.BudgetDuration); err != nil {
		return err
	}
	for model, b := range l.ModelMaxBudget {
		if model == "" {
			return invalid("model_max_budget: empty model name")
		}
		v := b.BudgetLimit
		if err := checkMoney("model_max_budget."+model+".budget_limit", &v); err != nil {
			return err
		}
		if err := checkPeriod("model_max_budget."+model+".time_period", b.TimePeriod); err != nil {
			return err
		}
	}
	for name, v := range map[string]*int64{"tpm_limit": l.TPMLimit, "rpm_limit": l.RPMLimit, "max_parallel_requests": l.MaxParallelRequests} {
		if v != nil && *v < 0 {
			return invalid("%s is %d; it must be 0 or more", name, *v)
		}
	}
	for name, m := range map[string]map[string]int64{"model_rpm_limit": l.ModelRPMLimit, "model_tpm_limit": l.ModelTPMLimit} {
		for model, v := range m {
			if model == "" {
				return invalid("%s: empty model name", name)
			}
			if v < 0 {
				return invalid("%s.%s is %d; it must be 0 or more", name, model, v)
			}
		}
	}
	return nil
}

func checkMoney(name string, v *float64) error {
	if v == nil {
		return nil
	}
	if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 {
		return invalid("%s is %v; it must be a finite amount of 0 or more", name, *v)
	}
	return nil
}

func checkPeriod(name, p string) error {
	if p == "" {
		return nil
	}
	if _, err := period.Parse(p); err != nil {
		return invalid("%s: %v", name, err)
	}
	return nil
}
