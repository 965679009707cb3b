package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
)

// validator collects cross-field problems, pointing at the key that holds
// the offending value when the config was loaded from a file.
type validator struct {
	c        *Config
	problems []*Problem
}

// Validate checks what a key-by-key decode cannot: unique deployment IDs,
// api_base where the provider needs one, complete AWS credentials, fallbacks
// and aliases that name existing model groups, and value ranges. Load runs
// it; call it again after changing a Config by hand.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.deployments()
	v.fallbacks()
	v.settings()
	if len(v.problems) == 0 {
		return nil
	}
	sortProblems(v.problems, c.Files)
	return &Error{Problems: v.problems}
}

// loc names a value for messages: key finds where it was given (see
// decoder.at), path is what to show when it was not given at all.
type loc struct {
	key, path string
	def       pos
}

func (l loc) sub(key string) loc {
	return loc{key: joinPath(l.key, key), path: joinPath(l.path, key), def: l.def}
}

// plain is the loc of a key outside any list, where key and path agree.
func plain(path string) loc { return loc{key: path, path: path} }

func (v *validator) fail(l loc, class error, format string, args ...any) {
	at, path := l.def, l.path
	if p, ok := v.c.pos[l.key]; ok {
		at, path = p.pos, p.path
	}
	v.problems = append(v.problems, problemf(at, path, class, format, args...))
}

// given reports whether the value at l was written in the file.
func (v *validator) given(l loc) bool {
	_, ok := v.c.pos[l.key]
	return ok
}

func (v *validator) deployments() {
	type first struct {
		path string
		at   pos
	}
	ids := map[string]first{}
	for i := range v.c.ModelList {
		d := &v.c.ModelList[i]
		dl := loc{key: d.key, path: d.path, def: pos{file: d.File, line: d.Line}}
		if dl.key == "" {
			dl.key = fmt.Sprintf("model_list[%d]", i)
		}
		if dl.path == "" {
			dl.path = dl.key
		}
		pl := dl.sub("litellm_params")
		if v.given(pl) {
			pl.def = v.c.pos[pl.key].pos
		}
		p := &d.Params

		if prev, dup := ids[d.ID]; dup && d.ID != "" {
			if d.Info.ID != "" {
				v.fail(dl.sub("model_info").sub("id"), ErrDuplicate, "id %q is already used by %s (%s:%d)", d.ID, prev.path, prev.at.file, prev.at.line)
			} else {
				v.fail(dl, ErrDuplicate, "identical to %s (%s:%d); give one a model_info.id if both are meant", prev.path, prev.at.file, prev.at.line)
			}
		} else {
			ids[d.ID] = first{path: dl.path, at: dl.def}
		}

		if prov, ok := catalog.Lookup(d.Provider); ok && prov.RequiresBase && p.APIBase == "" && !v.envSet(prov.BaseEnv) {
			hint := ""
			if prov.BaseEnv != "" {
				hint = " (or set " + prov.BaseEnv + ")"
			}
			v.fail(pl.sub("api_base"), ErrInvalid, "required for provider %s%s", d.Provider, hint)
		}

		key, secret, token := p.AWSAccessKeyID != "", p.AWSSecretAccessKey.IsSet(), p.AWSSessionToken.IsSet()
		switch {
		case key && !secret:
			v.fail(pl.sub("aws_access_key_id"), ErrInvalid, "aws_access_key_id is set without aws_secret_access_key")
		case secret && !key:
			v.fail(pl.sub("aws_secret_access_key"), ErrInvalid, "aws_secret_access_key is set without aws_access_key_id")
		case token && !key:
			v.fail(pl.sub("aws_session_token"), ErrInvalid, "aws_session_token needs aws_access_key_id and aws_secret_access_key")
		}
		if p.AWSRoleName == "" {
			if p.AWSSessionName != "" {
				v.fail(pl.sub("aws_session_name"), ErrInvalid, "aws_session_name is set without aws_role_name (the role to assume)")
			}
			if p.AWSExternalID != "" {
				v.fail(pl.sub("aws_external_id"), ErrInvalid, "aws_external_id is set without aws_role_name (the role to assume)")
			}
		}

		v.positiveDuration(pl.sub("timeout"), p.Timeout)
		v.positiveDuration(pl.sub("stream_timeout"), p.StreamTimeout)
		v.nonNegativeDuration(pl.sub("mock_latency"), p.MockLatency)
		v.nonNegativeDuration(pl.sub("mock_chunk_delay"), p.MockChunkDelay)
		v.nonNegativeDuration(pl.sub("cooldown_time"), p.CooldownTime)
		v.nonNegativeInt(pl.sub("rpm"), p.RPM)
		v.nonNegativeInt(pl.sub("tpm"), p.TPM)
		v.nonNegativeInt(pl.sub("max_retries"), p.MaxRetries)
		v.nonNegativeInt(pl.sub("num_retries"), p.NumRetries)
		v.nonNegativeInt(pl.sub("max_parallel_requests"), p.MaxParallelRequests)
		v.nonNegativeInt(pl.sub("mock_stream_chunks"), p.MockStreamChunks)
		v.nonNegativeInt(pl.sub("max_tokens"), p.MaxTokens)
		v.nonNegativeFloat(pl.sub("weight"), p.Weight)
		v.nonNegativeFloat(pl.sub("input_cost_per_token"), p.InputCostPerToken)
		v.nonNegativeFloat(pl.sub("output_cost_per_token"), p.OutputCostPerToken)

		il := dl.sub("model_info")
		if m := d.Info.Mode; m != "" && !slices.Contains(validModes, m) {
			msg := fmt.Sprintf("unknown mode %q", m)
			if s := suggest(m, validModes); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			v.fail(il.sub("mode"), ErrInvalid, "%s", msg)
		}
		v.nonNegativeInt(il.sub("max_input_tokens"), d.Info.MaxInputTokens)
		v.nonNegativeInt(il.sub("max_output_tokens"), d.Info.MaxOutputTokens)
		v.nonNegativeFloat(il.sub("input_cost_per_token"), d.Info.InputCostPerToken)
		v.nonNegativeFloat(il.sub("output_cost_per_token"), d.Info.OutputCostPerToken)
	}
}

// envSet reports whether a variable is set to a non-empty value.
func (v *validator) envSet(name string) bool {
	if name == "" {
		return false
	}
	val, ok := v.c.LookupEnv(name)
	return ok && val != ""
}

// fallbacks checks that every fallback list and alias names model groups
// that exist (or aliases of them).
func (v *validator) fallbacks() {
	groups := map[string]bool{}
	var names []string
	for _, d := range v.c.ModelList {
		if !groups[d.ModelName] {
			groups[d.ModelName] = true
			names = append(names, d.ModelName)
		}
	}
	for alias := range v.c.Router.ModelGroupAlias {
		groups[alias] = true
	}
	missing := func(l loc, group string) {
		msg := fmt.Sprintf("model group %q does not exist", group)
		if s := suggest(group, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		v.fail(l, ErrInvalid, "%s", msg)
	}
	check := func(prefix string, list Fallbacks) {
		for i, fb := range list {
			l := plain(fmt.Sprintf("%s[%d]", prefix, i))
			if fb.key != "" {
				l.key = fb.key
			}
			if fb.From != "*" && !groups[fb.From] {
				missing(l, fb.From)
			}
			for _, to := range fb.To {
				if !groups[to] {
					missing(l, to)
				}
			}
		}
	}
	checkList := func(prefix string, list []string) {
		for i, g := range list {
			if !groups[g] {
				missing(plain(fmt.Sprintf("%s[%d]", prefix, i)), g)
			}
		}
	}
	l, r := &v.c.LiteLLM, &v.c.Router
	check("litellm_settings.fallbacks", l.Fallbacks)
	check("litellm_settings.context_window_fallbacks", l.ContextWindowFallbacks)
	check("litellm_settings.content_policy_fallbacks", l.ContentPolicyFallbacks)
	checkList("litellm_settings.default_fallbacks", l.DefaultFallbacks)
	check("router_settings.fallbacks", r.Fallbacks)
	check("router_settings.context_window_fallbacks", r.ContextWindowFallbacks)
	check("router_settings.content_policy_fallbacks", r.ContentPolicyFallbacks)
	checkList("router_settings.default_fallbacks", r.DefaultFallbacks)
	aliases := make([]string, 0, len(r.ModelGroupAlias))
	for alias := range r.ModelGroupAlias {
		aliases = append(aliases, alias)
	}
	slices.Sort(aliases)
	for _, alias := range aliases {
		if target := r.ModelGroupAlias[alias].Model; target != "" && !groups[target] {
			missing(plain(joinPath("router_settings.model_group_alias", alias)), target)
		}
	}
}

func (v *validator) settings() {
	l, r, g := &v.c.LiteLLM, &v.c.Router, &v.c.General
	v.positiveDuration(plain("litellm_settings.request_timeout"), l.RequestTimeout)
	v.nonNegativeInt(plain("litellm_settings.num_retries"), l.NumRetries)
	v.nonNegativeFloat(plain("litellm_settings.max_budget"), l.MaxBudget)
	v.nonNegativeFloat(plain("litellm_settings.max_internal_user_budget"), l.MaxInternalUserBudget)
	v.nonNegativeFloat(plain("litellm_settings.max_end_user_budget"), l.MaxEndUserBudget)
	if d := l.DefaultInternalUserParams; d != nil {
		const at = "litellm_settings.default_internal_user_params"
		v.nonNegativeFloat(plain(at+".max_budget"), d.MaxBudget)
		v.nonNegativeInt(plain(at+".tpm_limit"), d.TPMLimit)
		v.nonNegativeInt(plain(at+".rpm_limit"), d.RPMLimit)
		v.nonNegativeInt(plain(at+".max_parallel_requests"), d.MaxParallelRequests)
		switch d.UserRole {
		case "", "internal_user", "internal_user_viewer":
		default:
			v.fail(plain(at+".user_role"), ErrInvalid, "must be internal_user or internal_user_viewer, got %q", d.UserRole)
		}
	}
	v.positiveDuration(plain("router_settings.timeout"), r.Timeout)
	v.positiveDuration(plain("router_settings.stream_timeout"), r.StreamTimeout)
	v.nonNegativeDuration(plain("router_settings.retry_after"), r.RetryAfter)
	v.nonNegativeDuration(plain("router_settings.cooldown_time"), r.CooldownTime)
	v.nonNegativeInt(plain("router_settings.num_retries"), r.NumRetries)
	v.nonNegativeInt(plain("router_settings.allowed_fails"), r.AllowedFails)
	v.nonNegativeInt(plain("router_settings.max_fallbacks"), r.MaxFallbacks)
	if m := g.MaxRequestSizeMB; m != nil && *m <= 0 {
		v.fail(plain("general_settings.max_request_size_mb"), ErrInvalid, "must be greater than 0, got %v", *m)
	}
}

// positiveDuration checks a timeout: if given it must be > 0. An unset
// duration is zero too; the recorded positions tell the two apart.
func (v *validator) positiveDuration(l loc, d time.Duration) {
	if (v.given(l) || d != 0) && d <= 0 {
		v.fail(l, ErrInvalid, "must be greater than 0 seconds, got %v", d.Seconds())
	}
}

func (v *validator) nonNegativeDuration(l loc, d time.Duration) {
	if d < 0 {
		v.fail(l, ErrInvalid, "must not be negative, got %v", d.Seconds())
	}
}

func (v *validator) nonNegativeInt(l loc, n *int) {
	if n != nil && *n < 0 {
		v.fail(l, ErrInvalid, "must not be negative, got %d", *n)
	}
}

func (v *validator) nonNegativeFloat(l loc, f *float64) {
	if f != nil && *f < 0 {
		v.fail(l, ErrInvalid, "must not be negative, got %v", *f)
	}
}
