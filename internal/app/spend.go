package app

// Spend, budgets and rate limits: the limiter over the shared store.
//
// Environment:
//   - TOLLGATE_PRICE_TABLE: a JSON price file (LiteLLM's
//     model_prices_and_context_window.json format) laid over the shipped
//     table; it is read again with each config generation, so prices
//     change without a code change.
//   - TOLLGATE_BUDGET_MODE: "strict" reserves each request's maximum cost
//     before the call, so no budget is ever exceeded (default: LiteLLM's
//     semantics, overshoot bounded by the requests in flight).
//   - TOLLGATE_LIMITS_ON_STORE_FAILURE: "fail_closed" (default: 503) or
//     "fail_open" (admit and log) when the store cannot be reached.
//   - TOLLGATE_PRIORITY_HEADROOM: a fraction (0 to 1) of every rpm, tpm and
//     max_parallel_requests limit kept for more important requests
//     (priority shedding; default 0, off). See ratelimit.Options.

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/period"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/spend"
)

// Environment variables spend reads (through internal/env), named in its
// errors.
const (
	envPriceTable   = "TOLLGATE_PRICE_TABLE"
	envBudgetMode   = "TOLLGATE_BUDGET_MODE"
	envStoreFailure = "TOLLGATE_LIMITS_ON_STORE_FAILURE"
	envHeadroom     = "TOLLGATE_PRIORITY_HEADROOM"
)

// limiter builds the data plane's limiter for one config generation.
func (id *identity) limiter(cfg *config.Config) (*ratelimit.Limiter, error) {
	table := spend.Shipped()
	if path := id.env.PriceTable; path != "" {
		t, err := table.RefreshedFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envPriceTable, err)
		}
		table = t
	}
	opts := &ratelimit.Options{Logger: id.logger,
		ProxyBudget: cfg.LiteLLM.MaxBudget, EndUserBudget: cfg.LiteLLM.MaxEndUserBudget,
		NoSpendLogs: cfg.General.DisableSpendLogs != nil && *cfg.General.DisableSpendLogs}
	if p := cfg.General.SpendLogsRetention; p != nil {
		opts.SpendRetention = retention(*p)
	}
	if p := cfg.LiteLLM.BudgetDuration; p != nil {
		opts.ProxyBudgetDuration = p.String()
	}
	switch v := id.env.BudgetMode; v {
	case "", "default":
	case "strict":
		opts.Strict = true
	default:
		return nil, fmt.Errorf("%s=%q: want strict or default", envBudgetMode, v)
	}
	switch v := id.env.LimitsOnStoreFailure; v {
	case "", "fail_closed":
	case "fail_open":
		opts.FailOpen = true
	default:
		return nil, fmt.Errorf("%s=%q: want fail_closed or fail_open", envStoreFailure, v)
	}
	if v := id.env.PriorityHeadroom; v != "" {
		h, err := strconv.ParseFloat(v, 64)
		if err != nil || !(h >= 0 && h <= 1) {
			return nil, fmt.Errorf("%s=%q: want a fraction from 0 to 1", envHeadroom, v)
		}
		opts.PriorityHeadroom = h
	}
	id.logger.Debug("limits on", slog.Bool("strict", opts.Strict), slog.Bool("fail_open", opts.FailOpen))
	return ratelimit.New(id.store, spend.NewPricer(table, priceOverrides(cfg)), opts), nil
}

// priceOverrides are the deployments' own prices: model_info first, then
// litellm_params, as LiteLLM reads them.
func priceOverrides(cfg *config.Config) map[string]spend.Override {
	out := map[string]spend.Override{}
	for _, d := range cfg.ModelList {
		o := spend.Override{BaseModel: d.Info.BaseModel, InputPerToken: d.Info.InputCostPerToken, OutputPerToken: d.Info.OutputCostPerToken,
			MaxOutputTokens: d.Info.MaxOutputTokens}
		if o.BaseModel == "" {
			o.BaseModel = d.Params.BaseModel
		}
		if o.InputPerToken == nil {
			o.InputPerToken = d.Params.InputCostPerToken
		}
		if o.OutputPerToken == nil {
			o.OutputPerToken = d.Params.OutputCostPerToken
		}
		if o != (spend.Override{}) {
			out[d.ID] = o
		}
	}
	return out
}

// retention is a retention period as a duration; a month counts as 30 days
// (a record's expiry is fixed when it is written, not moved by calendars).
func retention(p period.Period) time.Duration {
	if d, ok := p.Fixed(); ok {
		return d
	}
	return time.Duration(p.N) * 30 * 24 * time.Hour
}
