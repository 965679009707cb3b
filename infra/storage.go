package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// OriginHeader is the header CloudFront adds to every origin request when
// cloudFront=true; the gateway compares it with the origin secret.
const OriginHeader = "X-Tollgate-Origin-Secret"

// ConfigObjectKey is the config's key in the config bucket.
const ConfigObjectKey = "config.yaml"

// secrets are the stack's Secrets Manager secrets.
type secrets struct {
	MasterKey, ProviderKeys awssecretsmanager.Secret
	Origin                  awssecretsmanager.Secret // nil unless cloudFront=true
}

// newSecrets creates the secrets, with generated or empty values only: no
// key from the deployer's shell or the options ever enters the template or
// the assets. The master key (the seeds' LiteLLMMasterSalt) is generated and
// retained when the stack is deleted, like the tables whose keys it
// administers. The provider keys start as an empty JSON object, filled by
// `make -C infra put-provider-keys` (or the console): the template's value
// never changes, so a redeploy never overwrites keys set since. With
// CloudFront, the origin secret is {"current": generated, "previous": ""},
// the shape the gateway reads for rotations without downtime. Functions
// fetch them at run time by ARN; no value is put in an environment.
func newSecrets(scope constructs.Construct, o Options) secrets {
	s := secrets{}
	s.MasterKey = awssecretsmanager.NewSecret(scope, jsii.String("MasterKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Tollgate master key: admin API key. The SecretString is the key (during a rotation, " +
			`{"master_key": new, "previous_master_key": old}).`),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.ProviderKeys = awssecretsmanager.NewSecret(scope, jsii.String("ProviderKeys"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Tollgate provider API keys: a JSON object of environment-variable name to key, read " +
			"for os.environ/NAME in config.yaml; set with make -C infra put-provider-keys"),
		// Not a secret: the constant empty object every deployment starts with.
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(jsii.String("{}")),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	if o.CloudFront {
		s.Origin = awssecretsmanager.NewSecret(scope, jsii.String("OriginSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String(`Tollgate CloudFront origin secret: {"current": the ` + OriginHeader +
				` header CloudFront sends, "previous": also accepted during a rotation}`),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				SecretStringTemplate: jsii.String(`{"previous":""}`),
				GenerateStringKey:    jsii.String("current"),
				PasswordLength:       jsii.Number(40),
				ExcludePunctuation:   jsii.Bool(true),
				IncludeSpace:         jsii.Bool(false),
			},
		})
	}
	return s
}

// newLogsBucket creates the logs bucket for S3 server access logs.
// Encrypted, SSL only, no public access, ACLs disabled (the logging service
// writes through the bucket policy), versioned, moved to Infrequent Access
// after 30 days and expired after 400.
func newLogsBucket(scope constructs.Construct) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String("LogsBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("age-out"),
			Transitions: &[]*awss3.Transition{{
				StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
				TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
			}},
			Expiration:                          awscdk.Duration_Days(jsii.Number(400)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
}

// configSource is where the functions read config.yaml from.
type configSource struct {
	URI    string // TOLLGATE_CONFIG: s3://bucket/key or ssm:/name
	Bucket awss3.Bucket
	Param  awsssm.StringParameter
	// Name is the bucket name or parameter name (a stack output for
	// `make update-config`).
	Name string
}

// grantRead lets a role read the config object or parameter, nothing else.
func (c configSource) grantRead(role awsiam.IRole) {
	if c.Bucket != nil {
		// Not Bucket.GrantRead: that grants s3:GetObject*, s3:GetBucket*
		// and s3:List*; the loader needs one action on one object.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadConfig"),
			Actions:   jsii.Strings("s3:GetObject", "s3:GetObjectVersion"),
			Resources: jsii.Strings(*c.Bucket.ArnForObjects(jsii.String(ConfigObjectKey))),
		}))
	} else {
		c.Param.GrantRead(role)
	}
}

// newConfigSource uploads o.ConfigFile to a versioned config bucket (default)
// or an SSM parameter; `make update-config` replaces it without a redeploy.
// A redeploy uploads the repository's config/config.yaml again.
func newConfigSource(scope constructs.Construct, o Options, logs awss3.Bucket) (configSource, error) {
	body, err := os.ReadFile(o.ConfigFile)
	if err != nil {
		return configSource{}, fmt.Errorf("config file: %w (set configFile)", err)
	}
	if o.ConfigStore == "ssm" {
		tier := awsssm.ParameterTier_STANDARD
		switch {
		case len(body) > 8192:
			return configSource{}, fmt.Errorf("config file %s is %d bytes: SSM parameters hold at most 8192; use configStore=s3", o.ConfigFile, len(body))
		case len(body) > 4096:
			tier = awsssm.ParameterTier_ADVANCED
		}
		name := "/tollgate/" + o.StackName + "/config.yaml"
		p := awsssm.NewStringParameter(scope, jsii.String("ConfigParameter"), &awsssm.StringParameterProps{
			ParameterName: jsii.String(name),
			Description:   jsii.String("Tollgate config.yaml (LiteLLM format)"),
			StringValue:   jsii.String(string(body)),
			Tier:          tier,
		})
		return configSource{URI: "ssm:" + name, Param: p, Name: name}, nil
	}
	b := awss3.NewBucket(scope, jsii.String("ConfigBucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Versioned:              jsii.Bool(true), // every config ever deployed can be restored
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("s3-access/config/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("old-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(365)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	awss3deployment.NewBucketDeployment(scope, jsii.String("ConfigUpload"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: b,
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Data(jsii.String(ConfigObjectKey), jsii.String(string(body)), nil)},
		Prune:             jsii.Bool(false),
		RetainOnDelete:    jsii.Bool(true),
		ContentType:       jsii.String("application/yaml"),
		// CDK's provider function logs here, kept as long as the others.
		LogGroup: awslogs.NewLogGroup(scope, jsii.String("ConfigUploadLogs"), &awslogs.LogGroupProps{
			Retention: retention(o), RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}),
	})
	return configSource{URI: "s3://" + *b.BucketName() + "/" + ConfigObjectKey, Bucket: b, Name: *b.BucketName()}, nil
}
