package awscall

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The interfaces the SDK's configuration sources (config.EnvConfig,
// config.SharedConfig in aws.Config.ConfigSources) implement; the SDK's
// service clients find the configured endpoint and endpoint flags through
// the same ones (its internal/configsources package).
type (
	serviceEndpointSource interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	ignoreEndpointsSource interface {
		GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
	}
	fipsSource interface {
		GetUseFIPSEndpoint(ctx context.Context) (aws.FIPSEndpointState, bool, error)
	}
	dualStackSource interface {
		GetUseDualStackEndpoint(ctx context.Context) (aws.DualStackEndpointState, bool, error)
	}
)

// resolveEndpoint finds the endpoint as the SDK's service clients do: a
// configured one, else the service's public endpoint in the region's
// partition, FIPS and dual-stack as configured.
func resolveEndpoint(ctx context.Context, cfg aws.Config, svc Service) (string, error) {
	base, found, err := configuredEndpoint(ctx, cfg, svc.Name, svc.SDKID)
	if err != nil || found {
		return base, err
	}
	fips, dual := endpointFlags(ctx, cfg)
	return publicEndpoint(svc, cfg.Region, fips, dual, endpointVar(svc.SDKID))
}

// endpointVar is the variable that sets the endpoint of the service sdkID.
func endpointVar(sdkID string) string {
	return "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_"))
}

// configuredEndpoint is the endpoint configured for the service sdkID, as
// the SDK's clients find it: cfg.BaseEndpoint, then the service's own
// variable or services section unless only the global AWS_ENDPOINT_URL is
// set, none at all when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says so.
func configuredEndpoint(ctx context.Context, cfg aws.Config, name, sdkID string) (string, bool, error) {
	base := ""
	if cfg.BaseEndpoint != nil {
		base = *cfg.BaseEndpoint
	}
	envName := endpointVar(sdkID)
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, own := os.LookupEnv(envName)
	if !global || own {
		ignore := false
		for _, s := range cfg.ConfigSources {
			if p, ok := s.(ignoreEndpointsSource); ok {
				if v, found, err := p.GetIgnoreConfiguredEndpoints(ctx); err == nil && found {
					ignore = v
					break
				}
			}
		}
		for _, s := range cfg.ConfigSources {
			if ignore {
				break
			}
			if p, ok := s.(serviceEndpointSource); ok {
				v, found, err := p.GetServiceBaseEndpoint(ctx, sdkID)
				if err != nil {
					return "", false, fmt.Errorf("%s endpoint: %w", name, err)
				}
				if found {
					base = v
					break
				}
			}
		}
	}
	if base == "" {
		return "", false, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false, fmt.Errorf("%s endpoint %q: want http(s)://HOST[:PORT] (%s or AWS_ENDPOINT_URL)", name, base, envName)
	}
	return strings.TrimSuffix(base, "/"), true, nil
}

// endpointFlags are the FIPS and dual-stack choices of cfg's sources.
func endpointFlags(ctx context.Context, cfg aws.Config) (fips, dual bool) {
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(fipsSource); ok {
			if v, found, err := p.GetUseFIPSEndpoint(ctx); err == nil && found {
				fips = v == aws.FIPSEndpointStateEnabled
				break
			}
		}
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(dualStackSource); ok {
			if v, found, err := p.GetUseDualStackEndpoint(ctx); err == nil && found {
				dual = v == aws.DualStackEndpointStateEnabled
				break
			}
		}
	}
	return fips, dual
}

// partition is the DNS of one AWS partition.
type partition struct {
	prefix            string // region prefix; "" matches every region not matched before
	suffix, dualStack string
}

// partitions are the partitions whose public endpoints Tollgate knows, in
// match order (the SDK's partitions.json). Regions elsewhere (the isolated
// partitions) need the endpoint variable.
var partitions = []partition{
	{prefix: "cn-", suffix: "amazonaws.com.cn", dualStack: "api.amazonwebservices.com.cn"},
	{prefix: "us-gov-", suffix: "amazonaws.com", dualStack: "api.aws"},
	{prefix: "us-iso"}, {prefix: "eu-isoe-"}, {prefix: "eusc-"},
	{prefix: "", suffix: "amazonaws.com", dualStack: "api.aws"},
}

// partitionOf is the partition of region, or an error naming envName, the
// variable that would set the endpoint, for the partitions Tollgate does
// not know.
func partitionOf(name, region, envName string) (partition, error) {
	if !validRegion(region) {
		return partition{}, fmt.Errorf("%s: region %q is not a valid region name", name, region)
	}
	for _, p := range partitions {
		if !strings.HasPrefix(region, p.prefix) {
			continue
		}
		if p.suffix == "" {
			return partition{}, fmt.Errorf("%s: region %s is in a partition whose endpoints Tollgate does not know; set %s", name, region, envName)
		}
		return p, nil
	}
	panic("unreachable: the last partition matches every region")
}

// publicEndpoint is https://PREFIX[-fips].REGION.SUFFIX, with the services'
// exceptions to that pattern (TestPublicEndpoints checks every combination
// against the SDK's endpoint rules).
func publicEndpoint(svc Service, region string, fips, dual bool, envName string) (string, error) {
	p, err := partitionOf(svc.Name, region, envName)
	if err != nil {
		return "", err
	}
	host, suffix := svc.EndpointPrefix, p.suffix
	if fips && !(svc.GovFIPSPlain && p.prefix == "us-gov-" && !dual) {
		host += "-fips"
	}
	if dual && (!svc.DualStackPlain || fips && p.prefix == "cn-") {
		suffix = p.dualStack
	}
	return "https://" + host + "." + region + "." + suffix, nil
}

// validRegion reports whether region is a DNS label, as the SDK's endpoint
// rules require.
func validRegion(region string) bool {
	if region == "" || len(region) > 63 || region[0] == '-' || region[len(region)-1] == '-' {
		return false
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
