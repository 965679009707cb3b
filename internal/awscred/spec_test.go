package awscred_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tollgate-gw/tollgate/internal/awscred"
)

func TestConfigRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec awscred.Spec
		want string // substring of the message
	}{
		{"secret without id", awscred.Spec{SecretAccessKey: "s"}, "aws_access_key_id is missing"},
		{"id without secret", awscred.Spec{AccessKeyID: "AKIAX"}, "aws_secret_access_key is missing"},
		{"token alone", awscred.Spec{SessionToken: "t"}, "aws_session_token is set without"},
		{"role not an ARN", awscred.Spec{RoleARN: "BedrockAccess"}, "not an IAM role ARN"},
		{"user ARN as role", awscred.Spec{RoleARN: "arn:aws:iam::111111111111:user/bob"}, "not an IAM role ARN"},
		{"web identity without role", awscred.Spec{WebIdentityToken: "tok"}, "needs aws_role_name"},
		{"external id without role", awscred.Spec{ExternalID: "abc"}, "aws_external_id is set without"},
		{"external id too short", awscred.Spec{RoleARN: deptARole, ExternalID: "a"}, "2 to 1224"},
		{"session name without role", awscred.Spec{SessionName: "abc"}, "aws_session_name is set without"},
		{"session name with space", awscred.Spec{RoleARN: deptARole, SessionName: "dept a"}, "2 to 64"},
		{"session name too long", awscred.Spec{RoleARN: deptARole, SessionName: strings.Repeat("a", 65)}, "2 to 64"},
		{"relative sts endpoint", awscred.Spec{STSEndpoint: "sts.local"}, "aws_sts_endpoint"},
		{"bad bedrock endpoint", awscred.Spec{BedrockRuntimeEndpoint: "ftp://x"}, "aws_bedrock_runtime_endpoint"},
	}
	r := awscred.NewResolver(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Config(context.Background(), tt.spec)
			if !errors.Is(err, awscred.ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrInvalidSpec mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("no region anywhere", func(t *testing.T) {
		r := awscred.NewResolver(aws.Config{Credentials: aws.AnonymousCredentials{}}, nil)
		if _, err := r.Config(context.Background(), awscred.Spec{}); !errors.Is(err, awscred.ErrInvalidSpec) {
			t.Fatalf("error %v, want ErrInvalidSpec", err)
		}
	})
	t.Run("no credentials anywhere", func(t *testing.T) {
		r := awscred.NewResolver(aws.Config{Region: "us-east-1"}, &awscred.Options{Getenv: func(string) string { return "" }})
		if _, err := r.Config(context.Background(), awscred.Spec{}); !errors.Is(err, awscred.ErrInvalidSpec) {
			t.Fatalf("error %v, want ErrInvalidSpec", err)
		}
	})
}

func TestConfigRegion(t *testing.T) {
	r := awscred.NewResolver(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, nil)
	for _, tt := range []struct{ spec, want string }{{"", "us-east-1"}, {"eu-central-1", "eu-central-1"}} {
		cfg, err := r.Config(context.Background(), awscred.Spec{Region: tt.spec})
		if err != nil || cfg.Region != tt.want {
			t.Errorf("Spec.Region %q: region %q, %v; want %q", tt.spec, cfg.Region, err, tt.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tollgate", "tollgate"},
		{"Tollgate Prod!", "Tollgate-Prod"},
		{"dept_a+b=c,d.e@f-g", "dept_a+b=c,d.e@f-g"},
		{"", "tollgate"},
		{"x", "tollgatex"},
		{"ünïcode gateway", "n-code-gateway"},
		{strings.Repeat("g", 80), strings.Repeat("g", 64)},
	}
	for _, tt := range tests {
		got := awscred.SessionName(tt.in)
		if got != tt.want {
			t.Errorf("SessionName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSameRole(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"arn:aws:iam::111111111111:role/A", "arn:aws:iam::111111111111:role/A", true},
		{"arn:aws:iam::111111111111:role/path/to/A", "arn:aws:sts::111111111111:assumed-role/A/session", true},
		{"arn:aws:sts::111111111111:assumed-role/A/s1", "arn:aws:sts::111111111111:assumed-role/A/s2", true},
		{"arn:aws:iam::111111111111:role/A", "arn:aws:iam::222222222222:role/A", false},
		{"arn:aws:iam::111111111111:role/A", "arn:aws:iam::111111111111:role/AB", false},
		{"arn:aws:iam::111111111111:role/A", "arn:aws-cn:iam::111111111111:role/A", false},
		{"arn:aws:iam::111111111111:user/A", "arn:aws:iam::111111111111:role/A", false},
		{"arn:aws:sts::111111111111:assumed-role/A", "arn:aws:iam::111111111111:role/A", false},
		{"", "", false},
		{"not-an-arn", "not-an-arn", false},
	}
	for _, tt := range tests {
		if got := awscred.SameRole(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRole(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
