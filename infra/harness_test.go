package main

// Test harness. Each configuration is synthesized once per test binary and
// shared by every test that asserts on it (a synth costs seconds through the
// jsii runtime). The function artifacts are placeholder zips (one "bootstrap"
// file each) created in a temporary directory by TestMain, so the tests run on
// a fresh machine without `make build`; the real config/config.yaml is used.
// The jsii runtime needs node on PATH: TestMain puts infra/.node (installed by
// `make -C infra node`) first when it exists.

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

var artifactDir string

func TestMain(m *testing.M) {
	if abs, err := filepath.Abs(".node/node_modules/.bin"); err == nil {
		if _, err := os.Stat(filepath.Join(abs, "node")); err == nil {
			os.Setenv("PATH", abs+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
	}
	dir, err := os.MkdirTemp("", "tollgate-infra-artifacts")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, fn := range []string{"gateway", "admin", "fakellm"} {
		for _, arch := range []string{"arm64", "amd64"} {
			if err := placeholderZip(filepath.Join(dir, fn+"-"+arch+".zip")); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	artifactDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// placeholderZip writes a zip holding an empty executable "bootstrap".
func placeholderZip(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\necho placeholder\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// synthesized is one configuration's app, stacks and templates.
type synthesized struct {
	opts   Options
	app    awscdk.App
	stacks Stacks
	main   assertions.Template
	dept   assertions.Template
	// mainJSON is the main template as plain data, for walks the
	// assertions API cannot express (paths, policies).
	mainJSON map[string]any
}

// defaultOptions are LoadOptions' defaults with no context and no
// environment, so the machine's environment cannot leak into the tests.
func defaultOptions(t testing.TB) Options {
	t.Helper()
	o, err := LoadOptions(func(string) (any, bool) { return nil, false }, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	o.ArtifactDir = artifactDir
	return o
}

// configurations are the option sets under test.
var configurations = map[string]func(*Options){
	// The defaults: public regional API, WAF, function URL, S3 config, arm64.
	"default": func(*Options) {},
	// Every optional feature on.
	"full": func(o *Options) {
		o.Account, o.Region = "123456789012", "us-east-1"
		o.CloudFront = true
		o.FakeLLM = true
		o.Tracing = true
		o.TableKMS = "customer-managed"
		o.RecordName, o.HostedZoneName, o.HostedZoneID = "llm.example.com", "example.com", "Z0123456789ABCDEFGHIJ"
		o.WAFAllowList = []string{"203.0.113.0/24", "2001:db8::/32"}
		o.DepartmentRoleARNs = []string{"arn:aws:iam::111122223333:role/TollgateBedrockAccess", "arn:aws:iam::444455556666:role/TollgateBedrockAccess"}
		o.BedrockRegions = []string{"us-east-1", "us-west-2"}
		o.GatewayReservedConcurrency, o.GatewayProvisionedConcurrency = 10, 2
		o.ProviderKeys = map[string]string{"OPENAI_API_KEY": "sk-test-deploy-time-key"}
		o.OktaIssuer = "https://dev-12345.okta.com/oauth2/default"
		o.OktaAudience = "api://tollgate"
	},
	// Locked down: private API, no WAF (suppressed), no function URL, SSM
	// config, x86_64, no admin UI or OpenAPI page.
	"private": func(o *Options) {
		o.PublicAPI = false
		o.VpcID, o.SubnetIDs, o.PrivateAPIIngressCIDR = "vpc-0123456789abcdef0", []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, "10.0.0.0/16"
		o.WAF = false
		o.FunctionURL = false
		o.ConfigStore = "ssm"
		o.Architecture = "x86_64"
		o.DisableAdminUI, o.DisableSwaggerPage = true, true
	},
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// synth returns the named configuration, synthesizing it on first use.
func synth(t *testing.T, name string) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[name]; ok {
		return s
	}
	o := defaultOptions(t)
	configurations[name](&o)
	app := awscdk.NewApp(nil)
	stacks, err := BuildStacks(app, o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s := &synthesized{opts: o, app: app, stacks: stacks}
	s.main = assertions.Template_FromStack(stacks.Main.Stack, nil)
	s.dept = assertions.Template_FromStack(stacks.Department, nil)
	s.mainJSON = (*s.main.ToJSON())
	synthCache[name] = s
	return s
}
