package localstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// ensureTables creates each table the template declares, named by its logical id (what
// !Ref gives locally), unless it exists; an existing one must have the declared key, and
// gets the declared TTL if it lacks it.
func ensureTables(ctx context.Context, endpoint string, tables []samtemplate.Table) error {
	client, err := dynamolocal.Client(ctx, endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, tb := range tables {
		name := tb.LogicalID
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		switch {
		case errors.As(err, &notFound):
			if err := createTable(ctx, client, tb); err != nil {
				return err
			}
			continue
		case err != nil:
			return fmt.Errorf("table %s on %s: %w", name, endpoint, err)
		}
		if err := checkKey(out.Table, tb); err != nil {
			return err
		}
		if err := ensureTTL(ctx, client, tb); err != nil {
			return err
		}
	}
	return nil
}

func createTable(ctx context.Context, client *dynamodb.Client, tb samtemplate.Table) error {
	name := tb.LogicalID
	if _, err := client.CreateTable(ctx, tb.CreateTableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second // the defaults (20s) suit real AWS
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		return fmt.Errorf("table %s not active: %w", name, err)
	}
	if in := tb.UpdateTimeToLiveInput(name); in != nil {
		if _, err := client.UpdateTimeToLive(ctx, in); err != nil {
			return fmt.Errorf("enable TTL on %s.%s: %w", name, tb.TTLAttribute, err)
		}
	}
	return nil
}

// checkKey refuses a table kept from an older template with another key.
func checkKey(desc *types.TableDescription, tb samtemplate.Table) error {
	var hash, typ string
	if len(desc.KeySchema) == 1 && desc.KeySchema[0].KeyType == types.KeyTypeHash {
		hash = aws.ToString(desc.KeySchema[0].AttributeName)
	}
	for _, a := range desc.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == hash {
			typ = string(a.AttributeType)
		}
	}
	if hash != tb.HashKey || typ != tb.HashKeyType {
		return fmt.Errorf("table %s exists with another key than template.yaml's %s (%s): delete DATA_DIR's dynamodb-data or run with FRESH=1", tb.LogicalID, tb.HashKey, tb.HashKeyType)
	}
	return nil
}

func ensureTTL(ctx context.Context, client *dynamodb.Client, tb samtemplate.Table) error {
	in := tb.UpdateTimeToLiveInput(tb.LogicalID)
	if in == nil {
		return nil
	}
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tb.LogicalID)})
	if err != nil {
		return fmt.Errorf("table %s: describe TTL: %w", tb.LogicalID, err)
	}
	d := out.TimeToLiveDescription
	if d != nil && d.TimeToLiveStatus == types.TimeToLiveStatusEnabled {
		if got := aws.ToString(d.AttributeName); got != tb.TTLAttribute {
			return fmt.Errorf("table %s has TTL on %s, template.yaml declares %s: delete DATA_DIR's dynamodb-data or run with FRESH=1", tb.LogicalID, got, tb.TTLAttribute)
		}
		return nil
	}
	if _, err := client.UpdateTimeToLive(ctx, in); err != nil {
		return fmt.Errorf("enable TTL on %s.%s: %w", tb.LogicalID, tb.TTLAttribute, err)
	}
	return nil
}
