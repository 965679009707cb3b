package app

import (
	"strings"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// NewPromptResolver returns the resolver of Bedrock managed-prompt ARNs for
// the data plane (httpapi.DataPlane.Prompts). A prompt runs with the
// credentials of one of the Bedrock deployments rt holds: one in the
// prompt's region whose aws_role_name is in the prompt's account, else one
// in that region whose account the configuration does not name (see
// bedrock.PickPromptHost). Deployments that could not be built are left
// out. cfg supplies each deployment's aws_role_name.
func NewPromptResolver(cfg *config.Config, rt *router.Router) httpapi.PromptResolver {
	roles := make(map[string]string, len(cfg.ModelList))
	for i := range cfg.ModelList {
		roles[cfg.ModelList[i].ID] = cfg.ModelList[i].Params.AWSRoleName
	}
	pr := &promptResolver{}
	for _, d := range rt.Deployments() {
		a, ok := d.Model.(*bedrock.Adapter)
		if !ok || d.Unavailable != nil {
			continue
		}
		pr.hosts = append(pr.hosts, bedrock.PromptHost{
			Name:    "model " + d.Group + " (deployment " + d.ID + ")",
			Region:  a.Region(),
			Account: roleAccount(roles[d.ID]),
			Adapter: a,
		})
		pr.deps = append(pr.deps, d)
	}
	return pr
}

// promptResolver holds the Bedrock deployments, in config order, and their
// prompt hosts, index for index.
type promptResolver struct {
	hosts []bedrock.PromptHost
	deps  []*router.Deployment
}

// ResolvePrompt returns a deployment that runs the prompt model names with
// the chosen host's credentials. It is named after the prompt; its id is
// the host's, so the served-deployment headers and the request log say
// whose credentials ran it.
func (p *promptResolver) ResolvePrompt(model string) (*router.Deployment, bool, error) {
	arn, ok := bedrock.ParsePromptARN(model)
	if !ok {
		return nil, false, nil
	}
	i, err := bedrock.PickPromptHost(p.hosts, arn)
	if err != nil {
		return nil, true, err
	}
	host := p.deps[i]
	return &router.Deployment{ID: host.ID, Group: model, Provider: host.Provider, ModelID: model,
		Model: p.hosts[i].Adapter.Prompt(arn)}, true, nil
}

// roleAccount returns the account of an IAM role ARN
// (arn:aws:iam::ACCOUNT:role/NAME), "" for anything else.
func roleAccount(roleARN string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	return parts[4]
}
