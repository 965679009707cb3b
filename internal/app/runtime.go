package app

// The runtime is what New adds around one assembled handler tree (a
// generation) when the deployment keeps things outside the bundle:
//
//   - the config, from TOLLGATE_CONFIG: a path list as in local mode, or one
//     s3://BUCKET/KEY or ssm:/NAME location (internal/configsource);
//   - secrets from Secrets Manager (internal/secrets), each read only when
//     its variable is set: TOLLGATE_MASTER_KEY_SECRET_ARN (the master key;
//     it wins over TOLLGATE_MASTER_KEY and general_settings.master_key),
//     TOLLGATE_PROVIDER_KEYS_SECRET_ARN (a JSON object of variable name to
//     value, consulted before the process environment by os.environ/NAME
//     references and the catalog's default key variables, never exported to
//     the environment) and TOLLGATE_ORIGIN_SECRET_ARN with
//     TOLLGATE_ORIGIN_HEADER (the CloudFront origin secret,
//     httpapi.RequireOrigin).
//
// Everything is read once at cold start; nothing is fetched when nothing is
// configured. After that, the request path checks for changes: the config
// source at most once per TOLLGATE_CONFIG_TTL (default 30 s: one conditional
// GET per container per TTL, a 304 when nothing changed) and each secret at
// most once per secrets.DefaultTTL (5 min). Only one request checks at a
// time and the others do not wait for it. When anything changed, that
// request loads and validates the new config and assembles a new
// generation, then swaps it in atomically. Requests already running finish
// on the generation they started on; its HTTP transport's idle connections
// and its credential caches are released when the last of them ends, so no
// stream is cut. A config that does not load is logged with every problem
// (file:line, the file being the s3:// or ssm: location) and the previous
// generation keeps serving; it is not tried again until it changes.
//
// Local files are checked only when TOLLGATE_CONFIG_TTL is set, so that
// `make run` stays a plain read-once server; with the variable set, editing
// the file reloads the gateway within the TTL. TOLLGATE_CONFIG_TTL=off (or
// 0) turns config checks off everywhere; secrets are still refreshed.
//
// There is no goroutine: Lambda freezes the container between invocations,
// so every check happens on a request.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/tollgate-gw/tollgate/internal/awscall"
	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/configsource"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/secrets"
	"github.com/tollgate-gw/tollgate/internal/store"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// Environment variables the runtime reads (through internal/env), named in
// its errors.
const (
	envConfigTTL    = "TOLLGATE_CONFIG_TTL"
	envOriginHeader = "TOLLGATE_ORIGIN_HEADER"
	envOriginARN    = "TOLLGATE_ORIGIN_SECRET_ARN"
)

// checkTimeout bounds one check for changes on the request path.
const checkTimeout = 5 * time.Second

// assembly is what assemble needs besides the config: what New was given
// and, per generation, the secrets.
type assembly struct {
	// lookup is the environment for the config and the adapters: the
	// provider keys secret, then the process environment.
	lookup func(string) (string, bool)
	// env is the functions' own environment, read once at start.
	env    env.Env
	logger *slog.Logger
	// terminal is Options.Terminal.
	terminal io.Writer
	groups   Groups
	// masterKey is the master key from Secrets Manager; empty when
	// TOLLGATE_MASTER_KEY_SECRET_ARN is not set.
	masterKey string
	// previousMasterKey is accepted as well during a master-key rotation
	// (secrets.PreviousMasterKey).
	previousMasterKey string
	// identity is the process-wide key store, key cache and JWT verifier
	// (identity.go); every generation shares it.
	identity *identity
	// fileIDs are the deployment ids of the config file's models, which
	// the model routes may not add, change or delete (stored.go).
	fileIDs map[string]bool
	// storedOut are the stored models left out of this generation, and why:
	// /health/readiness lists them with the deployments that cannot serve.
	storedOut []httpapi.UnavailableDeployment
	// modelsChanged rebuilds the generation after a stored model changed.
	modelsChanged func(context.Context)
}

// generation is one assembled handler tree and what it holds.
type generation struct {
	handler http.Handler
	cfg     *config.Config
	router  *router.Router
	client  *http.Client
	aws     *awscred.Resolver
	// masterKeyFrom says where the master key came from (App.MasterKeyFrom).
	masterKeyFrom string
	// refs counts the requests in flight on this generation, plus one while
	// it is the current one. At zero it is closed and cannot be acquired.
	refs atomic.Int64
}

func newGeneration(h http.Handler, cfg *config.Config, rt *router.Router, client *http.Client, res *awscred.Resolver) *generation {
	g := &generation{handler: h, cfg: cfg, router: rt, client: client, aws: res}
	g.refs.Store(1)
	return g
}

// acquire counts a request in, unless the generation is already closed.
func (g *generation) acquire() bool {
	for {
		n := g.refs.Load()
		if n <= 0 {
			return false
		}
		if g.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release counts a request (or the current-generation reference) out and
// closes the generation after the last one.
func (g *generation) release() {
	if g.refs.Add(-1) == 0 {
		g.close()
	}
}

// close releases the generation's resources. Nothing is in flight on it by
// now, so every connection in its pool is idle.
func (g *generation) close() {
	g.client.CloseIdleConnections()
	if g.aws != nil {
		_ = g.aws.Close() // clears caches; cannot fail
	}
}

// inputs are what a generation is built from.
type inputs struct {
	files        []configsource.File
	masterKey    secrets.Value
	providerKeys secrets.Value
	// models are the stored models (store_model_in_db) as last listed;
	// listed says whether they were.
	models []*store.Model
	listed bool
}

// runtime serves the current generation and replaces it when its inputs
// change. It is App.Handler's core.
type runtime struct {
	lookup   func(string) (string, bool) // the process environment, for the config's references
	env      env.Env
	logger   *slog.Logger
	terminal io.Writer
	groups   Groups
	source   *configsource.Source
	secrets  *secrets.Cache // nil when no secret is configured
	// masterARN and keysARN are the secrets the generations are built with.
	masterARN, keysARN string
	// reload is whether anything can change without a redeploy.
	reload bool
	// identity outlives generations (identity.go).
	identity *identity
	// now and modelsTTL pace the listing of stored models: once per
	// modelsTTL (the config TTL) at most; modelsAt is the last listing.
	now       func() time.Time
	modelsTTL time.Duration
	modelsAt  time.Time

	mu      sync.Mutex // held by the one request that checks
	last    inputs     // the inputs of the last build attempted
	current atomic.Pointer[generation]
}

// start is New with the clock passed in, for tests. It reads the
// environment, opens the config source and the secrets, builds the first
// generation (any failure is fatal at cold start) and puts the origin check
// in front.
func start(ctx context.Context, opts Options, now func() time.Time) (*App, error) {
	opts = withDefaults(opts)
	var e env.Env
	if opts.Env != nil {
		e = *opts.Env
	} else {
		e = env.Read(opts.LookupEnv)
	}
	paths, err := configPaths(opts.ConfigPaths, e.Config)
	if err != nil {
		return nil, err
	}
	locs, err := configLocations(paths)
	if err != nil {
		return nil, err
	}
	ttl, ttlSet, err := configTTL(e.ConfigTTL)
	if err != nil {
		return nil, err
	}
	if (e.OriginHeader == "") != (e.OriginSecretARN == "") {
		// Half a CloudFront setup would leave the function URL open.
		return nil, fmt.Errorf("set both %s and %s to require the CloudFront origin secret, or neither", envOriginHeader, envOriginARN)
	}
	clients, cache, err := awsClients(ctx, locs, e, now, opts.Logger)
	if err != nil {
		return nil, err
	}
	srcTTL := ttl // explicit: as set (negative is off)
	if !ttlSet && !anyRemote(locs) {
		srcTTL = -1 // local files without TOLLGATE_CONFIG_TTL: read once
	}
	src, err := configsource.New(locs, clients, &configsource.Options{TTL: srcTTL, Now: now})
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(e, opts.Logger)
	if err != nil {
		return nil, err
	}
	if opts.LongLived && id != nil {
		id.later = newLater(opts.Logger)
	}
	masterARN, keysARN := e.MasterKeySecretARN, e.ProviderKeysSecretARN
	rt := &runtime{
		lookup: opts.LookupEnv, env: e, logger: opts.Logger, terminal: opts.Terminal, groups: opts.Groups, source: src, secrets: cache,
		masterARN: masterARN, keysARN: keysARN, reload: srcTTL >= 0 || masterARN != "" || keysARN != "",
		identity: id, now: now, modelsTTL: modelsTTL(srcTTL),
	}

	// Cold start: every input is read now, and any failure is fatal.
	in, _, err := rt.poll(ctx)
	if err != nil {
		return nil, err
	}
	rt.last = in
	g, err := rt.build(ctx, &rt.last)
	if err != nil {
		return nil, err
	}
	rt.current.Store(g)
	if g.cfg.General.StoresModels() {
		// Models stored through another instance (the admin function)
		// reach this one through the reload checks, whatever the source.
		rt.reload = true
	}

	h, err := requireOrigin(ctx, rt, e, cache)
	if err != nil {
		return nil, err
	}
	if rt.reload {
		logReload(opts.Logger, in, srcTTL, countSet(masterARN, keysARN))
	}
	return &App{Handler: h, Config: g.cfg, Router: g.router, rt: rt}, nil
}

// withDefaults fills in the Options New documents as defaults (Env is
// read from LookupEnv by start).
func withDefaults(opts Options) Options {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opts.Groups == 0 {
		opts.Groups = GroupAll
	}
	return opts
}

// configLocations parses TOLLGATE_CONFIG's paths. A config read from S3 or
// SSM must be the only one.
func configLocations(paths []string) ([]configsource.Location, error) {
	locs := make([]configsource.Location, len(paths))
	for i, p := range paths {
		var err error
		if locs[i], err = configsource.ParseLocation(p); err != nil {
			return nil, fmt.Errorf("TOLLGATE_CONFIG: %w", err)
		}
	}
	if anyRemote(locs) && len(locs) > 1 {
		// config.Load merges files it reads itself, and Parse takes one.
		return nil, errors.New("TOLLGATE_CONFIG: a config read from S3 or SSM must be the only location; merge the files before uploading")
	}
	return locs, nil
}

func anyRemote(locs []configsource.Location) bool {
	return slices.ContainsFunc(locs, configsource.Location.Remote)
}

func anyOfKind(locs []configsource.Location, k configsource.Kind) bool {
	return slices.ContainsFunc(locs, func(l configsource.Location) bool { return l.Kind == k })
}

// awsClients builds AWS clients only for what is configured: no AWS
// configuration is loaded, and no call is made, for a local config without
// secrets. cache is nil when no secret is named.
func awsClients(ctx context.Context, locs []configsource.Location, e env.Env, now func() time.Time, logger *slog.Logger) (clients configsource.Clients, cache *secrets.Cache, err error) {
	needSecrets := e.MasterKeySecretARN != "" || e.ProviderKeysSecretARN != "" || e.OriginSecretARN != ""
	if !anyRemote(locs) && !needSecrets {
		return clients, nil, nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return clients, nil, fmt.Errorf("loading the ambient AWS configuration: %w", err)
	}
	// S3, SSM and Secrets Manager through awscall, not their SDK clients:
	// one call each, and their SDK packages' start-up cost every cold
	// start (internal/awscall says how much).
	if anyOfKind(locs, configsource.KindS3) {
		if clients.S3, err = awscall.NewS3(ctx, awsCfg); err != nil {
			return clients, nil, fmt.Errorf("TOLLGATE_CONFIG: %w", err)
		}
	}
	if anyOfKind(locs, configsource.KindSSM) {
		if clients.SSM, err = awscall.New(ctx, awsCfg, awscall.SSM); err != nil {
			return clients, nil, fmt.Errorf("TOLLGATE_CONFIG: %w", err)
		}
	}
	if needSecrets {
		sm, err := awscall.New(ctx, awsCfg, awscall.SecretsManager)
		if err != nil {
			return clients, nil, fmt.Errorf("reading secrets: %w", err)
		}
		cache = secrets.NewCache(sm, &secrets.Options{Now: now, Logger: logger})
	}
	return clients, cache, nil
}

// requireOrigin puts the CloudFront origin-secret check in front of rt
// when the environment names the secret (read now, so a secret that
// cannot be read fails the start).
func requireOrigin(ctx context.Context, rt *runtime, e env.Env, cache *secrets.Cache) (http.Handler, error) {
	arn := e.OriginSecretARN
	if arn == "" {
		return rt, nil
	}
	if _, err := cache.Get(ctx, arn); err != nil {
		return nil, err
	}
	secret := func(ctx context.Context) ([]string, error) {
		v, err := cache.Get(ctx, arn)
		if err != nil {
			return nil, err
		}
		return secrets.OriginSecrets(v)
	}
	return httpapi.RequireOrigin(rt, e.OriginHeader, secret, &httpapi.OriginOptions{Exempt: fromRESTAPI, Logger: rt.logger}), nil
}

// logReload says, once at start, what is checked for changes and how often.
func logReload(logger *slog.Logger, in inputs, srcTTL time.Duration, secretsN int) {
	attrs := []any{slog.Any("config", fileVersions(in.files)), slog.Int("secrets", secretsN)}
	switch {
	case srcTTL < 0:
		attrs = append(attrs, slog.String("config_ttl", "off"))
	case srcTTL == 0:
		attrs = append(attrs, slog.Duration("config_ttl", configsource.DefaultTTL))
	default:
		attrs = append(attrs, slog.Duration("config_ttl", srcTTL))
	}
	logger.Info("config and secrets are checked for changes on the request path", attrs...)
}

// Current returns the configuration and router serving now: the ones New
// loaded, or those of the latest reload.
func (a *App) Current() (*config.Config, *router.Router) {
	if g := a.rt.current.Load(); g != nil {
		return g.cfg, g.router
	}
	return a.Config, a.Router
}

// ServeHTTP checks for changed inputs (when anything can change) and serves
// r on the current generation.
func (rt *runtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rt.reload {
		rt.check(r.Context())
	}
	for {
		g := rt.current.Load()
		if g == nil {
			oai.WriteError(w, http.StatusServiceUnavailable, "service_unavailable", "", "", "the gateway is shutting down")
			return
		}
		if g.acquire() { // else it was replaced and released meanwhile: load the new one
			defer g.release()
			g.handler.ServeHTTP(w, r)
			return
		}
	}
}

// close drops the current generation; it closes once its requests end.
func (rt *runtime) close() {
	if g := rt.current.Swap(nil); g != nil {
		g.release()
	}
}

// check is the request path's look for changes. One request checks at a
// time; the others go on at once. The check is bounded by checkTimeout and
// not by the request, so a client that hangs up does not leave it half done.
func (rt *runtime) check(ctx context.Context) {
	if !rt.mu.TryLock() {
		return
	}
	defer rt.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
	defer cancel()
	in, changed, err := rt.poll(ctx)
	if err != nil {
		rt.logger.WarnContext(ctx, "checking the config and secrets for changes failed; the current ones keep serving",
			slog.String("error", err.Error()))
	}
	if !changed {
		return
	}
	rt.last = in // a bad input is not retried until it changes again
	rt.rebuild(ctx, &rt.last)
}

// rebuild builds a generation from in and swaps it in; a failure is
// logged and the current generation keeps serving. rt.mu is held.
func (rt *runtime) rebuild(ctx context.Context, in *inputs) {
	g, err := rt.build(ctx, in)
	if err != nil {
		attrs := []any{slog.Any("config", fileVersions(in.files)), slog.String("error", err.Error())}
		var ce *config.Error
		if errors.As(err, &ce) {
			problems := make([]string, len(ce.Problems))
			for i, p := range ce.Problems {
				problems[i] = p.Error()
			}
			attrs = append(attrs, slog.Any("problems", problems))
		}
		rt.logger.ErrorContext(ctx, "the new config was not loaded; the previous one keeps serving", attrs...)
		return
	}
	old := rt.current.Swap(g)
	if old != nil {
		old.release()
	}
	rt.logger.InfoContext(ctx, "config reloaded", slog.Any("config", fileVersions(in.files)),
		slog.Int("models", len(g.router.Models())), slog.Int("deployments", len(g.cfg.ModelList)))
}

// poll reads the inputs (the config source and the secrets, each within its
// own TTL) and reports whether they differ from the last build's. On errors
// it keeps the last inputs for whatever failed and returns the errors
// joined.
func (rt *runtime) poll(ctx context.Context) (inputs, bool, error) {
	in := rt.last
	files, changed, err := rt.source.Current(ctx)
	errs := []error{err}
	if files != nil {
		in.files = files
	}
	if g := rt.current.Load(); g != nil && g.cfg.General.StoresModels() && rt.now().Sub(rt.modelsAt) >= rt.modelsTTL {
		models, err := rt.listModels(ctx)
		errs = append(errs, err)
		if err == nil {
			if !sameModels(models, in.models) {
				changed = true
			}
			in.models, in.listed = models, true
		}
	}
	for _, s := range []struct {
		arn string
		v   *secrets.Value
	}{{rt.masterARN, &in.masterKey}, {rt.keysARN, &in.providerKeys}} {
		if s.arn == "" {
			continue
		}
		v, err := rt.secrets.Get(ctx, s.arn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !s.v.IsSet() || !v.Equal(*s.v) {
			*s.v, changed = v, true
		}
	}
	return in, changed, errors.Join(errs...)
}

// build loads the config from in and assembles a generation with its
// secrets.
func (rt *runtime) build(ctx context.Context, in *inputs) (*generation, error) {
	asm := assembly{lookup: rt.lookup, env: rt.env, logger: rt.logger, terminal: rt.terminal, groups: rt.groups, identity: rt.identity,
		modelsChanged: rt.refreshModels}
	if rt.keysARN != "" {
		keys, err := secrets.Env(in.providerKeys)
		if err != nil {
			return nil, err
		}
		asm.lookup = func(name string) (string, bool) {
			if v, ok := keys(name); ok {
				return v, true
			}
			return rt.lookup(name)
		}
	}
	if rt.masterARN != "" {
		mk, err := secrets.MasterKey(in.masterKey)
		if err != nil {
			return nil, err
		}
		asm.masterKey = mk.Reveal()
		if asm.previousMasterKey, err = secrets.PreviousMasterKey(in.masterKey); err != nil {
			return nil, err
		}
	}
	opts := &config.LoadOptions{LookupEnv: asm.lookup}
	var cfg *config.Config
	var err error
	if len(in.files) == 1 {
		cfg, err = config.Parse(in.files[0].Name, in.files[0].Data, opts)
	} else {
		// Only local files come in lists (start refuses remote ones), and
		// merging is Load's: it reads them again, which is cheap.
		names := make([]string, len(in.files))
		for i, f := range in.files {
			names[i] = f.Name
		}
		cfg, err = config.Load(opts, names...)
	}
	if err != nil {
		return nil, err
	}
	if asm.fileIDs, asm.storedOut, err = rt.addStoredModels(ctx, cfg, in); err != nil {
		return nil, err
	}
	return assemble(ctx, cfg, asm)
}

// configTTL reads TOLLGATE_CONFIG_TTL: a Go duration ("30s", "5m") or whole
// seconds ("30"); "off" or "0" turns config checks off, returned as a
// negative TTL. set reports whether the variable was given.
func configTTL(v string) (ttl time.Duration, set bool, err error) {
	if v == "" {
		return 0, false, nil
	}
	if strings.EqualFold(v, "off") || v == "0" {
		return -1, true, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false, fmt.Errorf("%s=%q: want a duration such as 30s or 5m, a number of seconds, or off", envConfigTTL, v)
	}
	if d == 0 {
		return -1, true, nil
	}
	return d, true, nil
}

// fromRESTAPI reports whether r came through API Gateway's REST API, which
// has its own WAF and which CloudFront does not front: the origin secret
// protects the function URL only.
func fromRESTAPI(r *http.Request) bool {
	ev, ok := lambdafront.EventFromContext(r.Context())
	return ok && (ev.Kind == lambdafront.KindREST || ev.Kind == lambdafront.KindRESTStream)
}

// fileVersions describes config files for logs: name and version only.
func fileVersions(files []configsource.File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
		if f.Version != "" {
			out[i] += " (version " + strings.Trim(f.Version, `"`) + ")"
		}
	}
	return out
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// closeAll releases what a generation under construction had acquired when
// assembling it fails.
func closeAll(client *http.Client, res *awscred.Resolver) {
	client.CloseIdleConnections()
	if res != nil {
		_ = res.Close()
	}
}

var _ http.Handler = (*runtime)(nil)

// Compile-time check that the AWS clients satisfy the interfaces the
// consumers declare.
var (
	_ secrets.Caller            = (*awscall.Client)(nil)
	_ configsource.ObjectGetter = (*awscall.S3)(nil)
	_ configsource.Caller       = (*awscall.Client)(nil)
)
