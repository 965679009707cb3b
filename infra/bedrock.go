package main

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// geographyRegions are the region patterns a cross-region inference
// profile's geography prefix (us.anthropic..., eu.amazon...) may route to.
var geographyRegions = map[string]string{
	"us": "us-*", "us-gov": "us-gov-*", "eu": "eu-*", "apac": "ap-*", "jp": "ap-northeast-*", "au": "ap-southeast-*",
	"ca": "ca-*", "global": "*",
}

// bedrockRegionsOf reads a LiteLLM config and returns the region patterns its
// Bedrock deployments invoke models in: each deployment's aws_region_name
// (stackRegion when unset, which is the function's AWS_REGION), the region
// of a model given by ARN, and the geography of a cross-region inference
// profile. Deployments that assume a department role (aws_role_name) are
// left out: that role's own policy governs them. unknown names the
// deployments whose region comes from the environment (os.environ/...),
// which synth cannot know.
func bedrockRegionsOf(config []byte, stackRegion string) (regions, unknown []string, err error) {
	var doc struct {
		ModelList []struct {
			ModelName string         `yaml:"model_name"`
			Params    map[string]any `yaml:"litellm_params"`
		} `yaml:"model_list"`
	}
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, nil, err
	}
	add := func(r string) {
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	for _, d := range doc.ModelList {
		str := func(k string) string { v, _ := d.Params[k].(string); return strings.TrimSpace(v) }
		model := str("model")
		if !strings.HasPrefix(model, "bedrock/") || str("aws_role_name") != "" {
			continue
		}
		region := str("aws_region_name")
		switch {
		case strings.HasPrefix(region, "os.environ/"):
			unknown = append(unknown, fmt.Sprintf("%s (%s)", d.ModelName, region))
			continue
		case region == "":
			region = stackRegion
		}
		add(region)
		id := strings.TrimPrefix(model, "bedrock/")
		for _, route := range []string{"converse/", "invoke/", "converse_like/"} {
			id = strings.TrimPrefix(id, route)
		}
		if strings.HasPrefix(id, "arn:") {
			if parts := strings.Split(id, ":"); len(parts) > 3 && parts[3] != "" {
				add(parts[3])
			}
			continue
		}
		if geo, _, found := strings.Cut(id, "."); found {
			if pattern, ok := geographyRegions[geo]; ok {
				add(pattern)
			}
		}
	}
	slices.Sort(regions)
	return regions, unknown, nil
}
