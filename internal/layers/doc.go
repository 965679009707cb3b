// Package layers holds no code. Its test checks the import graph of
// ./internal/... against the layers ARCHITECTURE.md lists, reading them
// from ARCHITECTURE.md itself, so the document is the rule.
package layers
