package config

import (
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadOptions adjust Load and Parse. A nil *LoadOptions means defaults.
type LoadOptions struct {
	// LookupEnv resolves os.environ/NAME references after the config's own
	// environment_variables section; nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
}

// Config is a loaded, resolved and validated config.yaml (or several merged).
type Config struct {
	// Files are the files the config was read from, in merge order.
	Files []string
	// ModelList holds one entry per model_list item, in file order.
	ModelList  []Deployment
	LiteLLM    LiteLLMSettings
	Router     RouterSettings
	General    GeneralSettings
	Guardrails []Guardrail
	// Env is the environment_variables section. LiteLLM exports it at
	// start-up; Tollgate consults it before the process environment.
	Env map[string]string
	// Notices are the known options Tollgate does not act on (yet), sorted
	// by file and line.
	Notices []Notice

	lookupEnv func(string) (string, bool)
	// pos maps each key that was given a value to where it was given, so
	// Validate can point at file:line (see decoder.at for keys and paths).
	pos map[string]posAt
}

// Deployment is one model_list entry: a model group name served by one
// upstream model with its own credentials and limits.
type Deployment struct {
	// ModelName is the name clients ask for (the model group).
	ModelName string
	// Provider is the catalog name from the "provider/" prefix of
	// litellm_params.model (or custom_llm_provider).
	Provider string
	// Route is "converse" or "invoke" for bedrock/converse/<id> and
	// bedrock/invoke/<id>; empty otherwise.
	Route string
	// ModelID is the upstream model id, after the provider prefix and route.
	ModelID string
	Params  LiteLLMParams
	Info    ModelInfo
	// File and Line locate the entry.
	File string
	Line int
	// ID is model_info.id, or else a stable 16-hex-digit hash of model_name
	// and litellm_params (secrets excluded), so spend and limit records
	// survive restarts.
	ID string

	// path is the entry's key path within its own file ("model_list[3]");
	// key its unique position key across merged files.
	path string
	key  string
}

// Notice reports a known option that Tollgate reads but does not act on as
// LiteLLM would: not yet supported, replaced by a serverless equivalent, of
// no effect, or renamed.
type Notice struct {
	// Path is the key path, e.g. "router_settings.routing_strategy".
	Path string
	File string
	Line int
	Kind Status
	// Message says why and what happens instead.
	Message string
}

// String formats the notice as "file:line: path: kind: message".
func (n Notice) String() string {
	return fmt.Sprintf("%s:%d: %s: %s: %s", n.File, n.Line, n.Path, n.Kind, n.Message)
}

// Load reads the files in order, merges them the way the genai-gateway
// deploy script merges a base file with a region file (mappings deep-merged,
// later files winning; lists such as model_list concatenated), resolves
// os.environ/ references and validates the result. Every problem in every
// file is reported at once, in an *Error.
func Load(opts *LoadOptions, paths ...string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("loading config: no files given")
	}
	srcs := make([]source, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("loading config: %w", err)
		}
		srcs[i] = source{name: p, data: data}
	}
	return load(srcs, opts)
}

// Parse loads one in-memory file; name is used in messages.
func Parse(name string, data []byte, opts *LoadOptions) (*Config, error) {
	return load([]source{{name: name, data: data}}, opts)
}

// LookupEnv resolves a variable as os.environ/ references do: the
// environment_variables section first, then the environment Load was given.
// Adapters use it for catalog key variables (OPENAI_API_KEY, ...).
func (c *Config) LookupEnv(name string) (string, bool) {
	if v, ok := c.Env[name]; ok {
		return v, true
	}
	if c.lookupEnv != nil {
		return c.lookupEnv(name)
	}
	return os.LookupEnv(name)
}

// ModelGroups returns the distinct model names in model_list order.
func (c *Config) ModelGroups() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range c.ModelList {
		if !seen[d.ModelName] {
			seen[d.ModelName] = true
			out = append(out, d.ModelName)
		}
	}
	return out
}

type source struct {
	name string
	data []byte
}

// load is the pipeline: parse each file, merge, decode once with strict
// keys (resolving references on the way), validate, sort notices.
func load(srcs []source, opts *LoadOptions) (*Config, error) {
	lookup := os.LookupEnv
	if opts != nil && opts.LookupEnv != nil {
		lookup = opts.LookupEnv
	}
	files := make([]string, len(srcs))
	for i, s := range srcs {
		files[i] = s.name
	}
	t := newTree()
	var root *yaml.Node
	for _, s := range srcs {
		r := t.parse(s.name, s.data)
		root = t.merge(root, r)
	}
	// A file that could not be read as YAML leaves nothing sound to decode;
	// duplicate keys (reported, second one ignored) do not stop decoding.
	for _, p := range t.problems {
		if errors.Is(p, ErrSyntax) {
			sortProblems(t.problems, files)
			return nil, &Error{Problems: t.problems}
		}
	}
	d := newDecoder(t, lookup)
	cfg := d.decodeRoot(root)
	cfg.Files = files
	cfg.lookupEnv = lookup
	problems := append(t.problems, d.problems...)
	if err := cfg.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			problems = append(problems, e.Problems...)
		}
	}
	sortNotices(cfg.Notices, files)
	if len(problems) > 0 {
		sortProblems(problems, files)
		return nil, &Error{Problems: problems}
	}
	return cfg, nil
}
