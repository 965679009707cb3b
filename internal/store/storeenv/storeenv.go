// Package storeenv opens the store that the environment selects:
// TOLLGATE_STORE=embedded (the default; one file under TOLLGATE_DATA_DIR,
// default .tollgate) or dynamodb (tables from TOLLGATE_STATE_TABLE,
// TOLLGATE_SPEND_TABLE and TOLLGATE_CACHE_TABLE; endpoint and credentials
// from the AWS SDK's own settings, AWS_ENDPOINT_URL_DYNAMODB included).
package storeenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// Environment variables.
const (
	EnvStore   = "TOLLGATE_STORE"
	EnvDataDir = "TOLLGATE_DATA_DIR"
)

// DefaultDataDir is the embedded store's directory when TOLLGATE_DATA_DIR
// is not set.
const DefaultDataDir = ".tollgate"

// Open opens the selected store. awsConfig is called only for the
// DynamoDB store (main owns AWS configuration loading).
func Open(ctx context.Context, getenv func(string) string, awsConfig func(context.Context) (aws.Config, error), opts *store.Options) (*store.Store, error) {
	switch kind := getenv(EnvStore); kind {
	case "", "embedded":
		dir := getenv(EnvDataDir)
		if dir == "" {
			dir = DefaultDataDir
		}
		return embedded.Open(dir, &embedded.Options{Store: opts})
	case "dynamodb":
		tables, err := dynamo.TablesFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		cfg, err := awsConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading AWS configuration for DynamoDB: %w", err)
		}
		return dynamo.New(dynamodb.NewFromConfig(cfg), tables, &dynamo.Options{Store: opts}), nil
	default:
		return nil, fmt.Errorf("%s=%q: want embedded or dynamodb", EnvStore, kind)
	}
}
