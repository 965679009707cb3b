// Package store is Tollgate's persistence: virtual keys (by SHA-256 hash,
// never the plaintext), users, teams and memberships, chat sessions and
// their append-only messages, atomic counters and leases for budgets, rate
// limits and parallel requests, routing cooldowns, spend records and the
// response cache.
//
// Store is the portable type callers use; it holds the item layout, record
// encoding, validation, TTL rules and error classification once. A Driver
// is the small item store underneath: embedded (bbolt, one file, local
// mode) or dynamo (DynamoDB). Both pass storetest.Run. The layout, indexes
// and per-request costs are documented in docs/data-model.md.
//
// Every record with a TTL is treated as absent once now ≥ its ttl, on every
// read and in every condition, because neither DynamoDB nor its emulator
// deletes expired items on time.
package store
