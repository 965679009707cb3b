// Package dynamo is the DynamoDB store.Driver (aws-sdk-go-v2). It keeps
// Tollgate's items in three tables, state, spend and cache, whose layout,
// indexes, TTL attribute and per-request costs are documented in
// docs/data-model.md; package store owns the layout and this package maps
// items to attributes (item.go), conditions to condition expressions
// (write.go), queries (query.go) and AWS errors to store errors (errors.go).
//
// Multi-item writes are one TransactWriteItems; single-item writes are one
// PutItem, DeleteItem or UpdateItem. Because DynamoDB deletes expired
// items late, a write refused only by an expired item (a counter past its
// window, leases past their expiry) removes the stale state with a
// conditional write and is retried, so conditions treat expired items as
// absent exactly as the embedded store does. Transactions that collide
// with another transaction on the same item are retried with backoff.
//
// The endpoint follows the SDK (AWS_ENDPOINT_URL_DYNAMODB); New never
// loads AWS configuration itself.
package dynamo
