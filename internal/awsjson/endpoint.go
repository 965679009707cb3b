package awsjson

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
// configured one (cfg.BaseEndpoint, then the service's own variable or
// services section unless only the global AWS_ENDPOINT_URL is set), else
// the service's public endpoint in the region's partition, FIPS and
// dual-stack as configured.
func resolveEndpoint(ctx context.Context, cfg aws.Config, svc Service) (string, error) {
	base := ""
	if cfg.BaseEndpoint != nil {
		base = *cfg.BaseEndpoint
	}
	envName := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(svc.SDKID, " ", "_"))
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
				v, found, err := p.GetServiceBaseEndpoint(ctx, svc.SDKID)
				if err != nil {
					return "", fmt.Errorf("%s endpoint: %w", svc.Name, err)
				}
				if found {
					base = v
					break
				}
			}
		}
	}
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%s endpoint %q: want http(s)://HOST[:PORT] (%s or AWS_ENDPOINT_URL)", svc.Name, base, envName)
		}
		return strings.TrimSuffix(base, "/"), nil
	}
	fips, dual := false, false
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
	return publicEndpoint(svc, cfg.Region, fips, dual, envName)
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

// publicEndpoint is https://PREFIX[-fips].REGION.SUFFIX, with the services'
// exceptions to that pattern (TestPublicEndpoints checks every combination
// against the SDK's endpoint rules).
func publicEndpoint(svc Service, region string, fips, dual bool, envName string) (string, error) {
	if !validRegion(region) {
		return "", fmt.Errorf("%s: region %q is not a valid region name", svc.Name, region)
	}
	for _, p := range partitions {
		if !strings.HasPrefix(region, p.prefix) {
			continue
		}
		if p.suffix == "" {
			return "", fmt.Errorf("%s: region %s is in a partition whose endpoints Tollgate does not know; set %s", svc.Name, region, envName)
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
	panic("unreachable: the last partition matches every region")
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
