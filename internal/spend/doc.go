// Package spend prices LLM calls: a model price table shipped with the
// gateway (prices.json, embedded), per-deployment overrides from model_info
// and base_model, an optional JSON file that refreshes the table without a
// code change, and the cost of a call from the usage the provider reported.
//
// Budgets, running totals and spend records are counted by
// internal/ratelimit in the shared store; this package holds no state.
package spend
