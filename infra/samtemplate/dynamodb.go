package samtemplate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateTableInput creates the table as the template declares it, on demand, under name
// (locally the logical id).
func (tb Table) CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{
			AttributeName: aws.String(tb.HashKey),
			AttributeType: types.ScalarAttributeType(tb.HashKeyType),
		}},
		KeySchema: []types.KeySchemaElement{{
			AttributeName: aws.String(tb.HashKey),
			KeyType:       types.KeyTypeHash,
		}},
	}
}

// UpdateTimeToLiveInput turns on the table's TTL, which CreateTable cannot; nil when the
// template declares none.
func (tb Table) UpdateTimeToLiveInput(name string) *dynamodb.UpdateTimeToLiveInput {
	if tb.TTLAttribute == "" {
		return nil
	}
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(tb.TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	}
}
