package app

// Stored models (general_settings.store_model_in_db): /model/new,
// /model/update and /model/delete keep deployments in the store
// (tenancy.StoredModels), and every generation serves them next to the
// config file's model_list. The runtime lists them when it builds a
// generation and, with the config's reload checks, at most once per config
// TTL (one store query per interval), rebuilding when any was added,
// changed or removed; the instance that made a change rebuilds at once.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/configsource"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// modelsTTL is how often the stored models are listed: the config TTL.
func modelsTTL(srcTTL time.Duration) time.Duration {
	if srcTTL <= 0 {
		return configsource.DefaultTTL
	}
	return srcTTL
}

// listModels lists the stored models and notes when.
func (rt *runtime) listModels(ctx context.Context) ([]*store.Model, error) {
	if rt.identity == nil {
		return nil, fmt.Errorf("general_settings.store_model_in_db needs the key store")
	}
	models, err := rt.identity.store.ListModels(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the stored models (store_model_in_db): %w", err)
	}
	rt.modelsAt = rt.now()
	return models, nil
}

// sameModels reports whether two listings hold the same models at the same
// versions (listings are in id order).
func sameModels(a, b []*store.Model) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ModelID != b[i].ModelID || a[i].Version != b[i].Version {
			return false
		}
	}
	return true
}

// addStoredModels appends the stored models to cfg's model list when the
// config stores models, listing them unless in holds a listing, and
// returns the ids of the file's own deployments. A stored model the
// config no longer accepts (an environment variable it names was removed)
// or whose id a file model took since is left out, so that it cannot stop
// the file's models from loading; it is logged and returned in out, which
// /health/readiness reports, so it does not vanish without a trace.
func (rt *runtime) addStoredModels(ctx context.Context, cfg *config.Config, in *inputs) (fileIDs map[string]bool, out []httpapi.UnavailableDeployment, err error) {
	fileIDs = make(map[string]bool, len(cfg.ModelList))
	for _, d := range cfg.ModelList {
		fileIDs[d.ID] = true
	}
	if !cfg.General.StoresModels() {
		return fileIDs, nil, nil
	}
	if !in.listed {
		models, err := rt.listModels(ctx)
		if err != nil {
			return nil, nil, err
		}
		in.models, in.listed = models, true
	}
	for _, m := range in.models {
		if fileIDs[m.ModelID] {
			rt.logger.ErrorContext(ctx, "a stored model has the id of a config file model and is not served; delete it or give the file's model another id",
				slog.String("model_id", m.ModelID))
			out = append(out, httpapi.UnavailableDeployment{Model: m.ModelName, Deployment: m.ModelID,
				Reason: "stored model not served: a config file model has its id; delete it or give the file's model another id"})
			continue
		}
		d, err := cfg.ParseDeployment("model "+m.ModelID, tenancy.DeploymentDoc(m))
		if err != nil {
			rt.logger.ErrorContext(ctx, "a stored model is not served: the config refuses it", slog.String("model_id", m.ModelID), slog.String("error", err.Error()))
			out = append(out, httpapi.UnavailableDeployment{Model: m.ModelName, Deployment: m.ModelID,
				Reason: "stored model not served: the config refuses it: " + err.Error()})
			continue
		}
		cfg.ModelList = append(cfg.ModelList, d)
	}
	return fileIDs, out, nil
}

// refreshModels lists the stored models now and rebuilds the generation:
// the model routes call it after a change, so this instance serves the
// change at once (others within their config TTL).
func (rt *runtime) refreshModels(ctx context.Context) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
	defer cancel()
	models, err := rt.listModels(ctx)
	if err != nil {
		rt.logger.WarnContext(ctx, "listing the stored models after a change failed; the next check lists them", slog.String("error", err.Error()))
		rt.modelsAt = time.Time{}
		return
	}
	rt.last.models, rt.last.listed = models, true
	rt.rebuild(ctx, &rt.last)
}
