package main

// This file is the one place the DynamoDB tables are defined; docs/data-model.md
// documents their items and access patterns. Change a key, an index or a table
// here and there, in the same commit.

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TTLAttribute is the epoch-seconds attribute DynamoDB expires items by (rate
// windows, leases, cache entries, cooldowns, old spend records).
const TTLAttribute = "ttl"

// tableSpec describes one table: its environment variable for the functions,
// its keys and its global secondary indexes (each on <name>pk / <name>sk).
type tableSpec struct {
	id      string   // construct id
	env     string   // environment variable holding the table name
	sortKey bool     // sk (S) besides pk (S)
	indexes []string // GSI names; keys are <name>pk and <name>sk, both S
	// project are the non-key attributes the indexes project (INCLUDE):
	// what their queries read, as internal/store/dynamo/tables.go creates
	// them for DynamoDB Local. An index write costs a write unit per KB
	// of what it projects.
	project []string
}

// tableSpecs are Tollgate's tables.
var tableSpecs = []tableSpec{
	// Keys, users, teams, sessions, chat messages, rate and budget counters,
	// parallel-request leases, cooldowns.
	// Listings read the record, its expiry, version and (sessions) owner.
	{id: "StateTable", env: "TOLLGATE_STATE_TABLE", sortKey: true, indexes: []string{"gsi1"},
		project: []string{"doc", "ttl", "v", "owner"}},
	// Spend records by key (gsi1), user (gsi2) and team (gsi3) over time;
	// the queries read the record and its expiry.
	{id: "SpendTable", env: "TOLLGATE_SPEND_TABLE", sortKey: true, indexes: []string{"gsi1", "gsi2", "gsi3"},
		project: []string{"doc", "ttl"}},
	// The response cache: one item per cache key.
	{id: "CacheTable", env: "TOLLGATE_CACHE_TABLE"},
}

// Tables are the deployed tables, in tableSpecs order: created by this
// stack, or adopted by name (existing*Table) after a destroy and redeploy
// left them retained.
type Tables struct {
	State, Spend, Cache awsdynamodb.ITable
	// Key is the customer managed key when tableKms=customer-managed.
	Key awskms.IKey
}

// All returns the tables with the environment variable naming each.
func (t Tables) All() []struct {
	Env   string
	Table awsdynamodb.ITable
} {
	return []struct {
		Env   string
		Table awsdynamodb.ITable
	}{{tableSpecs[0].env, t.State}, {tableSpecs[1].env, t.Spend}, {tableSpecs[2].env, t.Cache}}
}

// newTables creates the tables: on-demand, point-in-time recovery, encrypted
// with the AWS managed key (or a customer managed key), TTL on "ttl",
// deletion protection, and retained when the stack is deleted: spend history
// and keys outlive any one deployment.
func newTables(scope constructs.Construct, o Options) Tables {
	var key awskms.IKey
	encryption := awsdynamodb.TableEncryption_AWS_MANAGED
	if o.TableKMS == "customer-managed" {
		encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
		if o.TableKMSKeyARN != "" {
			key = awskms.Key_FromKeyArn(scope, jsii.String("TableKey"), jsii.String(o.TableKMSKeyARN))
		} else {
			key = awskms.NewKey(scope, jsii.String("TableKey"), &awskms.KeyProps{
				Description:       jsii.String("Tollgate DynamoDB tables"),
				EnableKeyRotation: jsii.Bool(true),
				RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			})
		}
	}
	made := make([]awsdynamodb.ITable, len(tableSpecs))
	if o.ExistingStateTable != "" {
		// Adopted: the stack grants on them and alarms on them, and never
		// changes or deletes them (their keys and indexes are tableSpecs').
		for i, name := range []string{o.ExistingStateTable, o.ExistingSpendTable, o.ExistingCacheTable} {
			var idx []*string
			for _, g := range tableSpecs[i].indexes {
				idx = append(idx, jsii.String(g))
			}
			made[i] = awsdynamodb.Table_FromTableAttributes(scope, jsii.String(tableSpecs[i].id), &awsdynamodb.TableAttributes{
				TableName: jsii.String(name), GlobalIndexes: &idx, EncryptionKey: key,
			})
		}
		return Tables{State: made[0], Spend: made[1], Cache: made[2], Key: key}
	}
	for i, s := range tableSpecs {
		props := &awsdynamodb.TableProps{
			PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			Encryption:          encryption,
			EncryptionKey:       key,
			TimeToLiveAttribute: jsii.String(TTLAttribute),
			DeletionProtection:  jsii.Bool(true),
			RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
		}
		if s.sortKey {
			props.SortKey = &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING}
		}
		t := awsdynamodb.NewTable(scope, jsii.String(s.id), props)
		for _, gsi := range s.indexes {
			t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:        jsii.String(gsi),
				PartitionKey:     &awsdynamodb.Attribute{Name: jsii.String(gsi + "pk"), Type: awsdynamodb.AttributeType_STRING},
				SortKey:          &awsdynamodb.Attribute{Name: jsii.String(gsi + "sk"), Type: awsdynamodb.AttributeType_STRING},
				ProjectionType:   awsdynamodb.ProjectionType_INCLUDE,
				NonKeyAttributes: jsii.Strings(s.project...),
			})
		}
		made[i] = t
	}
	return Tables{State: made[0], Spend: made[1], Cache: made[2], Key: key}
}
