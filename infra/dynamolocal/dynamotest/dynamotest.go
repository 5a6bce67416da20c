// Package dynamotest gives a test binary one shared DynamoDB Local (in memory) and
// throwaway tables in it. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
)

var (
	mu       sync.Mutex
	server   *dynamolocal.Server
	startErr error // kept so every later test fails fast with the same reason
)

// Run is for TestMain: os.Exit(dynamotest.Run(m)). It stops the shared server after the tests.
func Run(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "dynamotest:", err)
		}
		server = nil
	}
	return code
}

// Endpoint returns the endpoint of one DynamoDB Local shared by the test binary, started on
// first use (in memory). If it cannot start it calls tb.Fatalf with the reason; it never
// skips, so a missing Java or jar fails CI instead of hiding the tests.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if server == nil && startErr == nil {
		// Long enough for a first-run fetch plus a slow JVM start; Start bounds each part itself.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		server, startErr = dynamolocal.Start(ctx, dynamolocal.Options{})
	}
	if startErr != nil {
		tb.Fatalf("dynamotest: DynamoDB Local did not start: %v", startErr)
	}
	return server.Endpoint()
}

// Client returns a client for Endpoint(tb).
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	c, err := dynamolocal.Client(context.Background(), Endpoint(tb))
	if err != nil {
		tb.Fatalf("dynamotest: %v", err)
	}
	return c
}

// CreateTable creates a table with a unique name (input's TableName, or the test's name,
// as prefix + random suffix) from input, waits until ACTIVE, applies ttlAttribute if non-empty
// (UpdateTimeToLive), and returns the name. Deletes it in tb.Cleanup. Input without
// BillingMode or ProvisionedThroughput gets PAY_PER_REQUEST.
func CreateTable(tb testing.TB, input dynamodb.CreateTableInput, ttlAttribute string) string {
	tb.Helper()
	client := Client(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	name := uniqueName(prefix(tb, input.TableName))
	input.TableName = aws.String(name)
	if input.BillingMode == "" && input.ProvisionedThroughput == nil {
		input.BillingMode = types.BillingModePayPerRequest
	}
	if _, err := client.CreateTable(ctx, &input); err != nil {
		tb.Fatalf("dynamotest: create table %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			tb.Errorf("dynamotest: delete table %s: %v", name, err)
		}
	})

	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second // defaults (20s) suit real AWS
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 25*time.Second); err != nil {
		tb.Fatalf("dynamotest: table %s not ACTIVE: %v", name, err)
	}
	if ttlAttribute != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(ttlAttribute),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			tb.Fatalf("dynamotest: enable TTL on %s.%s: %v", name, ttlAttribute, err)
		}
	}
	return name
}

// prefix is input's TableName if set, else the test's name, so leftover tables are traceable.
func prefix(tb testing.TB, p *string) string {
	if p != nil && *p != "" {
		return *p
	}
	name := []byte(tb.Name())
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			name[i] = '_'
		}
	}
	if len(name) > 200 { // table names are at most 255 characters
		name = name[:200]
	}
	return string(name)
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + "-" + hex.EncodeToString(b)
}
