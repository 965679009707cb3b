// Package config reads LiteLLM proxy config files (config.yaml) so that
// LiteLLM users can bring theirs unchanged, and refuses anything it would
// otherwise have to ignore.
//
// The load pipeline, run by Load and Parse:
//
//  1. Parse each file into a YAML node tree (go.yaml.in/yaml/v3), resolving
//     aliases and "<<" merge keys and rejecting duplicate keys, alias bombs
//     and multi-document files. Every node remembers its file and line.
//  2. Merge the files in order, as the genai-gateway deploy script does:
//     mappings deep-merge with later files winning, lists (model_list,
//     fallbacks, callbacks) are concatenated, and a null never erases.
//  3. Decode once, with strict keys, into typed structs. Each key is looked
//     up in the support table (support.go), the one list of every key
//     Tollgate knows and its status: Honoured, NotYet, Replaced, NoEffect or
//     Renamed. A key not in the table is an unknown key and comes back with
//     file:line, key path and a "did you mean" suggestion; a value of the
//     wrong type is an error too. Nothing is silently dropped.
//  4. Resolve os.environ/NAME references while decoding: the config's own
//     environment_variables first (LiteLLM exports them at start-up), then
//     LoadOptions.LookupEnv. A missing variable is an error only under keys
//     Tollgate acts on; references under Replaced or NoEffect keys (Redis,
//     Postgres) are not resolved at all, so such configs load without them.
//  5. Validate cross-field rules (Config.Validate): unique deployment IDs,
//     api_base where the provider requires one, complete AWS credentials,
//     fallbacks that name existing model groups, value ranges.
//  6. Report: all problems at once in an *Error (each a *Problem that
//     errors.Is matches against ErrUnknownKey, ErrMissingEnv, ...), or a
//     Config whose Notices list every known option that is not honoured,
//     sorted by file and line.
//
// Secrets (API keys, AWS secret keys, the master key, Redis passwords) are of
// type Secret, which prints "[redacted]" everywhere and yields its value
// only through Reveal.
package config
