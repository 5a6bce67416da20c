package dynamolocal

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Client returns an aws-sdk-go-v2 DynamoDB client for endpoint with dummy static credentials
// and region us-east-1. It is built directly (not via config.LoadDefaultConfig) so no
// environment, shared-config or IMDS lookup can point it at real AWS.
func Client(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	_ = ctx // reserved: keeps the signature stable should building the client ever need I/O
	if endpoint == "" {
		return nil, errors.New("dynamolocal: empty endpoint")
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}), nil
}

// probeClient is Client without retries, so each readiness probe is one quick request.
func probeClient(endpoint string) (*dynamodb.Client, error) {
	c, err := Client(context.Background(), endpoint)
	if err != nil {
		return nil, err
	}
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	}), nil
}
