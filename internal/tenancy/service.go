package tenancy

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Invalidator drops cached key lookups after a change (an *auth.Keys), so
// this container refuses a revoked key at once.
type Invalidator interface {
	InvalidateKey(hash string)
	InvalidateUser(id string)
	InvalidateTeam(id string)
	InvalidateOrg(id string)
}

// Defaults are the admin-configured defaults for new internal users:
// litellm_settings.default_internal_user_params, with
// max_internal_user_budget and internal_user_budget_duration for the budget
// those params leave unset. They also bound what a user may give themselves
// through self sign-up, and hold a JWT caller who has no user record yet
// (auth.UserDefaults).
type Defaults struct {
	// Role is the default role; "" means internal_user.
	Role   string
	Limits store.Limits
}

// Budgeted reports whether the defaults bound spend: only then may a JWT
// caller without a user record call models.
func (d Defaults) Budgeted() bool { return d.Limits.MaxBudget != nil }

// DefaultsFromConfig reads the defaults from litellm_settings.
func DefaultsFromConfig(cfg *config.Config) Defaults {
	var d Defaults
	if cfg == nil {
		return d
	}
	l := &cfg.LiteLLM
	if p := l.DefaultInternalUserParams; p != nil {
		d.Role = p.UserRole
		d.Limits.Models = slices.Clone(p.Models)
		d.Limits.MaxBudget = p.MaxBudget
		if p.BudgetDuration != nil {
			d.Limits.BudgetDuration = p.BudgetDuration.String()
		}
		d.Limits.TPMLimit = int64Ptr(p.TPMLimit)
		d.Limits.RPMLimit = int64Ptr(p.RPMLimit)
		d.Limits.MaxParallelRequests = int64Ptr(p.MaxParallelRequests)
	}
	if d.Limits.MaxBudget == nil {
		d.Limits.MaxBudget = l.MaxInternalUserBudget
	}
	if p := l.InternalUserBudgetDuration; p != nil && d.Limits.BudgetDuration == "" {
		d.Limits.BudgetDuration = p.String()
	}
	return d
}

func int64Ptr(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

// Options are the service's optional settings.
type Options struct {
	// Invalidate is told about every key, user and team change; nil means
	// nothing is cached.
	Invalidate Invalidator
	// Defaults apply to new internal users.
	Defaults Defaults
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewKey makes key plaintexts; nil means auth.NewKey.
	NewKey func() string
	// ProxyBudget is the proxy-wide budget (litellm_settings.max_budget
	// and budget_duration), which /user/info shows as ProxyBudgetUser.
	ProxyBudget ProxyBudget
	// Stored is what /model/new, /model/update and /model/delete need
	// besides the store; nil means general_settings.store_model_in_db is
	// off.
	Stored *StoredModels
}

// ProxyBudget is the proxy-wide budget.
type ProxyBudget struct {
	MaxBudget      *float64
	BudgetDuration string
}

// ProxyBudgetFromConfig reads litellm_settings.max_budget and
// budget_duration.
func ProxyBudgetFromConfig(cfg *config.Config) ProxyBudget {
	if cfg == nil {
		return ProxyBudget{}
	}
	b := ProxyBudget{MaxBudget: cfg.LiteLLM.MaxBudget}
	if p := cfg.LiteLLM.BudgetDuration; p != nil {
		b.BudgetDuration = p.String()
	}
	return b
}

// Service is the management service. It is safe for concurrent use.
type Service struct {
	st       *store.Store
	models   *Models
	inv      Invalidator
	defaults Defaults
	proxy    ProxyBudget
	now      func() time.Time
	newKey   func() string
	stored   *StoredModels
}

// New returns a service over st; models describes the configured models
// (for model access and /model/info).
func New(st *store.Store, models *Models, opts *Options) *Service {
	s := &Service{st: st, models: models, inv: nopInvalidator{}, now: time.Now, newKey: auth.NewKey}
	if opts != nil {
		if opts.Invalidate != nil {
			s.inv = opts.Invalidate
		}
		s.defaults, s.proxy, s.stored = opts.Defaults, opts.ProxyBudget, opts.Stored
		if opts.Now != nil {
			s.now = opts.Now
		}
		if opts.NewKey != nil {
			s.newKey = opts.NewKey
		}
	}
	return s
}

type nopInvalidator struct{}

func (nopInvalidator) InvalidateKey(string)  {}
func (nopInvalidator) InvalidateUser(string) {}
func (nopInvalidator) InvalidateTeam(string) {}
func (nopInvalidator) InvalidateOrg(string)  {}

// Kinds of refusal. An *Error's Kind is one of these; the HTTP layer maps
// them to 403, 400, 404 and 409.
var (
	ErrForbidden = errors.New("forbidden")
	ErrInvalid   = errors.New("invalid request")
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
)

// Error is a refused management request. Its message is meant for the
// caller and names what was wrong.
type Error struct {
	Kind error
	// Field is the request field at fault, if one is.
	Field   string
	Message string
	Err     error
	// deny words a refusal by the role table for any name of the
	// operation refused (Named); nil for other errors.
	deny func(name string) string
}

// Named returns e with the operation the role table refused called name
// (httpapi names the route the caller called); e itself when e is no such
// refusal.
func (e *Error) Named(name string) *Error {
	if e.deny == nil {
		return e
	}
	c := *e
	c.Message = e.deny(name)
	return &c
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the Kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// denied is the role table's refusal of op, worded by say.
func denied(op Op, say func(name string) string) *Error {
	return &Error{Kind: ErrForbidden, Message: say(string(op)), deny: say}
}

func forbidden(field, format string, args ...any) *Error {
	return &Error{Kind: ErrForbidden, Field: field, Message: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFoundErr(format string, args ...any) *Error {
	return &Error{Kind: ErrNotFound, Message: fmt.Sprintf(format, args...)}
}

// storeErr classifies a store error once: validation failures are the
// caller's (400), missing records 404, version races 409; anything else
// passes through (the HTTP layer answers 503 or 500).
func storeErr(what string, err error) error {
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrTooLarge):
		return &Error{Kind: ErrInvalid, Message: err.Error(), Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: ErrNotFound, Message: what + ": not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: ErrConflict, Message: what + ": it already exists or changed meanwhile; retry", Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}
