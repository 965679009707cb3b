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
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
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
	// The defaults: public regional API, WAF, no function URL, S3 config,
	// arm64, Bedrock regions from config/config.yaml. Synthesized to a
	// cloud assembly with provider keys in the environment (see synth).
	"default": func(*Options) {},
	// The one opt-in door around the WAF: a bare public function URL.
	"bareurl": func(o *Options) { o.FunctionURL = true },
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
		o.ManagementAllowList = []string{"198.51.100.0/24"}
		o.AlarmEmail = "oncall@example.com"
		o.Tags = map[string]string{"cost-center": "ml-platform"}
		o.VpcID, o.LambdaSubnetIDs, o.VpcRouteTableIDs = "vpc-0123456789abcdef0", []string{"subnet-0123456789abcdef0"}, []string{"rtb-0123456789abcdef0"}
		o.OktaIssuer = "https://dev-12345.okta.com/oauth2/default"
		o.OktaAudience = "api://tollgate"
	},
	// Locked down: private API, no WAF (suppressed), no function URL, SSM
	// config, x86_64, management from one VPC range, retained tables
	// adopted by name.
	"private": func(o *Options) {
		o.PublicAPI = false
		o.VpcID, o.SubnetIDs, o.PrivateAPIIngressCIDR = "vpc-0123456789abcdef0", []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, "10.0.0.0/16"
		o.WAF = false
		o.FunctionURL = false
		o.ConfigStore = "ssm"
		o.Architecture = "x86_64"
		o.ManagementAllowList = []string{"10.1.0.0/24"}
		o.ExistingStateTable, o.ExistingSpendTable, o.ExistingCacheTable = "tollgate-state", "tollgate-spend", "tollgate-cache"
	},
}

// deployerEnv is a deployer's shell: provider keys that must never reach a
// template or an asset.
var deployerEnv = map[string]string{
	"OPENAI_API_KEY":    "sk-live-0penai-must-not-leak-5f2c",
	"ANTHROPIC_API_KEY": "sk-ant-live-must-not-leak-91ab",
	"GROQ_API_KEY":      "gsk_live_must_not_leak_77d0",
}

// assemblyDir is where the "default" configuration's cloud assembly is
// written (a temporary directory of the test that first synthesizes it).
var assemblyDir string

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
	props := &awscdk.AppProps{Context: cdkContext(t)}
	if name == "default" {
		// As `cdk synth` would, with a deployer's keys in the environment:
		// none may reach any file of the assembly (TestNoSecretInAssembly).
		var err error
		o, err = LoadOptions(func(string) (any, bool) { return nil, false }, func(k string) (string, bool) {
			v, ok := deployerEnv[k]
			return v, ok
		})
		if err != nil {
			t.Fatal(err)
		}
		o.ArtifactDir = artifactDir
		props.Outdir = jsii.String(filepath.Join(artifactDir, "cdk.out"))
		assemblyDir = *props.Outdir
	}
	configurations[name](&o)
	app := awscdk.NewApp(props)
	stacks, err := BuildStacks(app, o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if props.Outdir != nil {
		app.Synth(nil)
	}
	s := &synthesized{opts: o, app: app, stacks: stacks}
	s.main = assertions.Template_FromStack(stacks.Main.Stack, nil)
	s.dept = assertions.Template_FromStack(stacks.Department, nil)
	s.mainJSON = (*s.main.ToJSON())
	synthCache[name] = s
	return s
}

var (
	binMu sync.Mutex
	bins  = map[string]string{}
)

// functionOutput builds functions/<fn> from the repository (once per test
// binary) and returns the lines it prints when run with flag.
func functionOutput(t *testing.T, fn, flag string) []string {
	t.Helper()
	binMu.Lock()
	bin, ok := bins[fn]
	if !ok {
		bin = filepath.Join(artifactDir, "bin-"+fn)
		cmd := exec.Command("go", "build", "-o", bin, "./functions/"+fn)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			binMu.Unlock()
			t.Fatalf("building %s: %v\n%s", fn, err, out)
		}
		bins[fn] = bin
	}
	binMu.Unlock()
	out, err := exec.Command(bin, flag).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", fn, flag, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// cdkContext is cdk.json's context (the recommended feature flags), which
// `cdk synth` gives the app and the tests must too.
func cdkContext(t *testing.T) *map[string]any {
	t.Helper()
	b, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c.Context
}
