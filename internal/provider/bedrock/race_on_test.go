//go:build race

package bedrock_test

// raceEnabled: the race detector instruments the SDK's byte-by-byte copy of
// a response into its error snapshot, which makes reading 64 MiB take tens
// of seconds.
const raceEnabled = true
