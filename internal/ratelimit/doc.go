// Package ratelimit enforces budgets, rate limits and parallel-request
// leases in the shared store, so that they hold across every Lambda
// instance at once, and settles each call's spend.
//
// A request makes at most one store round trip before the upstream call
// (Admit: every rpm/tpm window, budget check and lease of the key, its user
// and team, the end user and the proxy in one all-or-none store.Apply) and
// one after it (Ticket.Settle: actual tokens, cost on every running total,
// lease release and the spend record, in one Apply). See
// docs/data-model.md for the counter items and their cost.
package ratelimit
