package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableSpec is one table's key schema: pk (S), optionally sk (S), and
// global secondary indexes gsiN on gsiNpk/gsiNsk (S), each projecting the
// keys and the attributes its queries read (project). It matches what
// infra/tables.go provisions.
type tableSpec struct {
	name    string
	sortKey bool
	indexes int
	project []string
}

// Index queries read the record (doc) and its expiry; listings of keys,
// users and teams also the version, and session listings the owner. A
// spend record's other index keys and a counter's fields stay out of the
// indexes: an index write costs a write unit per KB of what it projects.
var (
	stateProjection = []string{attrDoc, attrTTL, attrVersion, attrOwner}
	spendProjection = []string{attrDoc, attrTTL}
)

func (t Tables) specs() []tableSpec {
	return []tableSpec{
		{name: t.State, sortKey: true, indexes: 1, project: stateProjection},
		{name: t.Spend, sortKey: true, indexes: 3, project: spendProjection},
		{name: t.Cache},
	}
}

// CreateTables creates the three tables (on demand, TTL on "ttl") and
// waits until they are active: for tests and local use against DynamoDB
// Local. Production tables come from the CDK app.
func CreateTables(ctx context.Context, client *dynamodb.Client, t Tables) error {
	for _, sp := range t.specs() {
		attrs := []types.AttributeDefinition{{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS}}
		schema := []types.KeySchemaElement{{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash}}
		if sp.sortKey {
			attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS})
			schema = append(schema, types.KeySchemaElement{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange})
		}
		var gsis []types.GlobalSecondaryIndex
		for i := range sp.indexes {
			attrs = append(attrs,
				types.AttributeDefinition{AttributeName: aws.String(indexPK(i)), AttributeType: types.ScalarAttributeTypeS},
				types.AttributeDefinition{AttributeName: aws.String(indexSK(i)), AttributeType: types.ScalarAttributeTypeS})
			gsis = append(gsis, types.GlobalSecondaryIndex{
				IndexName: aws.String(indexName(i + 1)),
				KeySchema: []types.KeySchemaElement{
					{AttributeName: aws.String(indexPK(i)), KeyType: types.KeyTypeHash},
					{AttributeName: aws.String(indexSK(i)), KeyType: types.KeyTypeRange},
				},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: sp.project},
			})
		}
		_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String(sp.name), AttributeDefinitions: attrs, KeySchema: schema,
			GlobalSecondaryIndexes: gsis, BillingMode: types.BillingModePayPerRequest,
		})
		if err != nil {
			return fmt.Errorf("creating table %s: %w", sp.name, err)
		}
		waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = time.Second
		})
		if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(sp.name)}, 2*time.Minute); err != nil {
			return fmt.Errorf("waiting for table %s: %w", sp.name, err)
		}
		_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(sp.name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enabling TTL on %s: %w", sp.name, err)
		}
	}
	return nil
}

// DeleteTables deletes the three tables (tests).
func DeleteTables(ctx context.Context, client *dynamodb.Client, t Tables) error {
	for _, sp := range t.specs() {
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(sp.name)}); err != nil {
			return fmt.Errorf("deleting table %s: %w", sp.name, err)
		}
	}
	return nil
}
