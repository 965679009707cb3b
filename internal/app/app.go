// Package app assembles Tollgate from its configuration: it loads the config,
// builds the deployments and their adapters, and mounts the route groups a
// front asks for on one handler tree. Every main package calls New; nothing
// else wires dependencies.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// Version is reported by /health/readiness; set at build time with
// -ldflags "-X github.com/tollgate-gw/tollgate/internal/app.Version=...".
var Version = "dev"

// DefaultLocalConfig is the config make run uses when there is no
// config.yaml: fake models, no AWS account needed.
const DefaultLocalConfig = "testdata/config/local.yaml"

// Options select what New builds. Zero values mean defaults.
type Options struct {
	// ConfigPaths are the config files, merged in order. Empty means the
	// TOLLGATE_CONFIG variable (comma-separated), else ./config.yaml, else
	// DefaultLocalConfig.
	ConfigPaths []string
	// Env is the functions' own environment (internal/env); nil means
	// env.Read(LookupEnv).
	Env *env.Env
	// LookupEnv resolves the config's os.environ/NAME references (after
	// the provider-keys secret); nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Logger receives start-up messages and the request log; nil means
	// JSON to stderr.
	Logger *slog.Logger
	// Terminal is where a secret meant for the developer's eyes alone is
	// shown once, as plain text: the local master key generated at the
	// first start. It never goes to Logger, whose records are shipped and
	// kept. Nil means os.Stderr.
	Terminal io.Writer
	// Groups selects the route groups to mount; zero means all of them
	// (local mode serves every group on one port).
	Groups Groups
	// LongLived says the process serves until told to stop (local mode, a
	// container) and calls Close before it exits. The settle of a call that
	// gates no later admission (no budget, token limit or lease) then runs
	// after the handler returns, off the client's connection, and Close
	// waits for it. Under Lambda, which freezes an instance as soon as the
	// handler returns, leave it false.
	LongLived bool
}

// Groups is a set of route groups.
type Groups uint8

// Route groups, as the architecture's table names them.
const (
	GroupDataPlane Groups = 1 << iota
	GroupManagement
	GroupAll Groups = GroupDataPlane | GroupManagement
)

// App is an assembled gateway.
type App struct {
	// Handler serves the selected route groups. When the config or a secret
	// can change without a redeploy, it checks for changes on the request
	// path and swaps in a newly assembled tree (runtime.go).
	Handler http.Handler
	// Config is the configuration loaded at start; Current returns the one
	// serving now.
	Config *config.Config
	// Router holds the deployments of Config.
	Router *router.Router

	rt *runtime // the current tree and how it is replaced (runtime.go)
}

// New builds the application: it reads the config (files, an S3 object or an
// SSM parameter) and the secrets the environment names, and assembles the
// handler tree (runtime.go).
func New(ctx context.Context, opts Options) (*App, error) {
	return start(ctx, opts, time.Now)
}

// assemble builds one handler tree from a loaded config. start builds the
// first at cold start, and the runtime another for each change of the config
// or the secrets (runtime.go).
func assemble(ctx context.Context, cfg *config.Config, asm assembly) (*generation, error) {
	lookup, logger, groups := asm.lookup, asm.logger, asm.groups
	for _, n := range cfg.Notices {
		logger.Warn("config option not honoured as written",
			slog.String("path", n.Path), slog.String("file", n.File), slog.Int("line", n.Line),
			slog.String("kind", n.Kind.String()), slog.String("detail", n.Message))
	}

	// httpclient.New refuses redirects. The adapters send through its
	// transport today, but nothing that uses the client may follow one.
	client := httpclient.New(nil)
	b := &builder{cfg: cfg, http: client, lookup: lookup, logger: logger}
	deps := b.deployments(ctx)
	rt := router.New(deps, routerOptions(ctx, cfg, b, asm.identity, logger)) // routing.go
	ready := httpapi.Readiness{Version: Version, Models: len(rt.Models())}
	if asm.identity != nil {
		ready.Store = asm.identity.storeKind
	}
	for _, n := range cfg.Notices {
		ready.Notices = append(ready.Notices, httpapi.Notice{Path: n.Path, File: n.File, Line: n.Line, Kind: n.Kind.String(), Message: n.Message})
	}
	for _, d := range deps {
		if d.Unavailable != nil {
			logger.Warn("deployment unavailable", slog.String("model", d.Group), slog.String("deployment", d.Label()),
				slog.String("reason", d.Unavailable.Error()))
			ready.Unavailable = append(ready.Unavailable, httpapi.UnavailableDeployment{Model: d.Group, Deployment: d.Label(), Reason: d.Unavailable.Error()})
		}
	}
	ready.Unavailable = append(ready.Unavailable, asm.storedOut...)
	readinessReasons(&ready, cfg, deps, len(asm.storedOut))

	masterKey, masterKeyFrom, err := resolveMasterKey(cfg, asm.masterKey, asm.env, logger, asm.terminal)
	if err != nil {
		closeAll(client, b.aws) // nothing was served through them
		return nil, err
	}
	var maxBody int64
	if mb := cfg.General.MaxRequestSizeMB; mb != nil {
		maxBody = int64(*mb * (1 << 20))
	}

	master := auth.NewMasterKey(masterKey, asm.previousMasterKey)
	opts := &httpapi.DataPlaneOptions{MaxBodyBytes: maxBody, Created: time.Now(), Modes: deploymentModes(cfg),
		Prompts: NewPromptResolver(cfg, rt), Cache: responseCache(cfg, asm.identity, logger)} // routing.go
	var authn httpapi.Authenticator = master
	var mgmt *management
	if id := asm.identity; id != nil {
		var stored *tenancy.StoredModels
		if cfg.General.StoresModels() {
			stored = &tenancy.StoredModels{Parse: cfg.ParseDeployment, FileIDs: asm.fileIDs, Changed: asm.modelsChanged}
		}
		parts, err := id.wire(cfg, master, maxBody, stored)
		if err == nil {
			opts.History, err = newHistory(id)
		}
		if err != nil {
			closeAll(client, b.aws)
			return nil, err
		}
		authn, opts.Access, opts.Limits, mgmt = parts.authn, parts.models, parts.limits, parts.mgmt
		if id.later != nil {
			opts.Later = id.later
		}
	}
	dp := httpapi.NewDataPlane(rt, authn, opts)
	mux := http.NewServeMux()
	mount(mux, groups, ready, dp, mgmt)
	logger.Info("tollgate ready", slog.Any("config", cfg.Files), slog.Int("models", len(rt.Models())),
		slog.Int("deployments", len(deps)), slog.Int("config_notices", len(cfg.Notices)))
	g := newGeneration(httpapi.Wrap(mux, logger), cfg, rt, client, b.aws)
	g.masterKeyFrom = masterKeyFrom
	return g, nil
}

// readinessReasons counts the deployments that can serve and says, a line
// each, why the gateway is not fully healthy: deployments that cannot serve
// (not built, or a provider whose adapter has not shipped) and options not
// honoured yet. Options replaced by a serverless equivalent, or of no
// effect, are listed in the notices but do not degrade it.
func readinessReasons(ready *httpapi.Readiness, cfg *config.Config, deps []*router.Deployment, storedOut int) {
	ready.Deployments = len(deps) + storedOut
	pendingN := 0
	for _, d := range deps {
		_, isPending := d.Model.(pending)
		switch {
		case isPending:
			pendingN++
		case d.Unavailable == nil:
			ready.Serving++
		}
	}
	if n := len(ready.Unavailable); n > 0 {
		ready.Reasons = append(ready.Reasons, fmt.Sprintf("%d of %d deployments cannot serve (unavailable_deployments says why)", n, ready.Deployments))
	}
	if pendingN > 0 {
		ready.Reasons = append(ready.Reasons, fmt.Sprintf("%d of %d deployments use a provider that is not available yet; their calls answer 501", pendingN, len(deps)))
	}
	notYet := 0
	for _, n := range cfg.Notices {
		if n.Kind == config.NotYet {
			notYet++
		}
	}
	if notYet > 0 {
		ready.Reasons = append(ready.Reasons, fmt.Sprintf("%d config options are not honoured yet (config_notices lists them)", notYet))
	}
	if len(deps) == 0 {
		ready.Reasons = append(ready.Reasons, "model_list is empty: no model can be called")
	}
}

// management is the management route group of one generation.
type management struct {
	api   *httpapi.Management
	spend *httpapi.SpendRoutes
}

// mount registers the route groups on mux: health always; the management
// API when asked for and there is a store (mgmt set), else the management
// reads the data plane's front serves (/v1/model/info); the data plane, or
// for the management function only the model list, which the admin UI
// needs. Routes mounts the same on a RouteList.
func mount(mux httpapi.Mux, groups Groups, ready httpapi.Readiness, dp *httpapi.DataPlane, mgmt *management) {
	httpapi.Health(mux, ready)
	if mgmt != nil {
		switch {
		case groups&GroupManagement != 0:
			mgmt.api.Register(mux)
			mgmt.spend.Register(mux)
			httpapi.RegisterRoutes(mux, mgmt.api.Auth, func() []string { return Routes(GroupAll) })
		case groups&GroupDataPlane != 0:
			mgmt.api.RegisterDataPlaneReads(mux)
		}
	}
	switch {
	case groups&GroupDataPlane != 0:
		dp.Register(mux)
	case groups&GroupManagement != 0:
		dp.RegisterModels(mux)
	}
}

// deploymentModes maps each deployment id to its model_info.mode.
func deploymentModes(cfg *config.Config) map[string]string {
	out := make(map[string]string, len(cfg.ModelList))
	for _, d := range cfg.ModelList {
		if d.Info.Mode != "" {
			out[d.ID] = d.Info.Mode
		}
	}
	return out
}

// Routes returns the method and path patterns a process mounting groups
// serves, as `gateway -routes` and `admin -routes` print them (the CDK
// app's tests route each one to the function serving it). Nothing is
// called: the handlers are only registered.
func Routes(groups Groups) []string {
	var l httpapi.RouteList
	mount(&l, groups, httpapi.Readiness{}, httpapi.NewDataPlane(nil, nil, nil), &management{
		api:   &httpapi.Management{Service: (*tenancy.Service)(nil)},
		spend: &httpapi.SpendRoutes{Service: (*tenancy.Service)(nil)},
	})
	return l.Patterns
}

// MasterKeyFrom says where the master key serving now came from: a file
// path (the key generated in local mode), or the variable, config key or
// secret that held it. It never holds the key.
func (a *App) MasterKeyFrom() string {
	if g := a.rt.current.Load(); g != nil {
		return g.masterKeyFrom
	}
	return ""
}

// ConfigPaths returns the config files New reads when Options.ConfigPaths
// is empty, given TOLLGATE_CONFIG's value: its comma-separated files, else
// ./config.yaml, else DefaultLocalConfig.
func ConfigPaths(tollgateConfig string) ([]string, error) {
	return configPaths(nil, tollgateConfig)
}

// Close releases what New acquired, once the requests in flight end.
func (a *App) Close() error {
	a.rt.close()
	return a.rt.identity.close()
}

func configPaths(given []string, v string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	if v != "" {
		var paths []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
		return paths, nil
	}
	for _, p := range []string{"config.yaml", DefaultLocalConfig} {
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
	}
	return nil, errors.New("no config: set TOLLGATE_CONFIG to your config.yaml (LiteLLM format), or put config.yaml in the working directory")
}

// resolveMasterKey takes the key read from Secrets Manager (fromSecret, set
// when TOLLGATE_MASTER_KEY_SECRET_ARN is), else TOLLGATE_MASTER_KEY, else
// general_settings.master_key, else (local mode) a key generated once and
// kept under TOLLGATE_DATA_DIR and shown once on terminal (never in the
// structured log) so the developer can use it.
// from says where the key came from (MasterKeyFrom), never the key.
func resolveMasterKey(cfg *config.Config, fromSecret string, e env.Env, logger *slog.Logger, terminal io.Writer) (key, from string, err error) {
	if fromSecret != "" {
		return fromSecret, "the Secrets Manager secret TOLLGATE_MASTER_KEY_SECRET_ARN names", nil
	}
	if e.MasterKey != "" {
		return e.MasterKey, "the TOLLGATE_MASTER_KEY variable", nil
	}
	if k := cfg.General.MasterKey.Reveal(); k != "" {
		return k, "general_settings.master_key in the config", nil
	}
	if e.InLambda {
		return "", "", errors.New("no master key: set TOLLGATE_MASTER_KEY_SECRET_ARN, TOLLGATE_MASTER_KEY or general_settings.master_key")
	}
	dir := e.DataDir
	if dir == "" {
		dir = ".tollgate"
	}
	path := filepath.Join(dir, "master_key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		key := strings.TrimSpace(string(b))
		logger.Info("using the local master key saved in " + path)
		return key, path, nil
	} else if !errors.Is(err, fs.ErrNotExist) && err != nil {
		return "", "", fmt.Errorf("reading local master key: %w", err)
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	key = "sk-" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("saving local master key: %w", err)
	}
	logger.Info("generated a local master key; it is shown once on the terminal, not here",
		slog.String("saved_in", path))
	if terminal == nil {
		terminal = os.Stderr
	}
	fmt.Fprintf(terminal, "\nTollgate generated a local master key (saved in %s; set TOLLGATE_MASTER_KEY to choose your own):\n\n    %s\n\n", path, key)
	return key, path, nil
}
