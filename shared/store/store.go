package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Domain errors. Every other failure wraps ErrUnavailable: DynamoDB could not answer, and
// the client may retry.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrEmailTaken  = errors.New("store: e-mail already taken")
	ErrConflict    = errors.New("store: concurrent change")
	ErrUnavailable = errors.New("store: unavailable")
)

// DB is the part of the DynamoDB client the store calls; tests wrap it to count round trips.
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Store reads and writes the Users and Blacklist tables.
type Store struct {
	db        DB
	users     string
	blacklist string
}

// New returns a Store over db with the two table names.
func New(db DB, usersTable, blacklistTable string) *Store {
	return &Store{db: Counted(db, countCall), users: usersTable, blacklist: blacklistTable}
}

// maxAttempts bounds SDK retries: a login must answer 503 in time, not hang.
const maxAttempts = 3

// NewClient builds the DynamoDB client once per process. endpoint overrides AWS's (for
// DynamoDB Local); without AWS credentials in the environment a local endpoint gets dummy
// ones, since DynamoDB Local accepts any.
func NewClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = 500 * time.Millisecond
				// No retry quota: after an outage drained it, passing errors would go
				// unretried for a while; MaxAttempts already bounds the work.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if endpoint != "" {
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// unavailable wraps an SDK failure the domain has no name for.
func unavailable(op string, err error) error {
	return fmt.Errorf("store: %s: %w: %w", op, ErrUnavailable, err)
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// cancellationReasons returns the per-item codes of a cancelled transaction, or nil.
func cancellationReasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for n, r := range tce.CancellationReasons {
		codes[n] = aws.ToString(r.Code)
	}
	return codes
}

func hasCode(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// transactionAttempts bounds retries of a transaction that lost a race with another one
// (TransactionConflict), which DynamoDB reports as a cancellation, not an SDK retry.
const transactionAttempts = 4

// transact runs a write transaction with a client request token, so an SDK retry after a
// lost response is recognised by DynamoDB as ours and succeeds instead of conflicting.
// It returns the cancellation codes when the transaction was cancelled for a condition.
func (s *Store) transact(ctx context.Context, op string, items []types.TransactWriteItem) ([]string, error) {
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems:      items,
			ClientRequestToken: aws.String(requestToken()),
		})
		if err == nil {
			return nil, nil
		}
		codes := cancellationReasons(err)
		switch {
		case codes == nil:
			return nil, unavailable(op, err)
		case hasCode(codes, "ConditionalCheckFailed"):
			return codes, nil
		case hasCode(codes, "TransactionConflict") && attempt < transactionAttempts:
			// the other transaction finishes in milliseconds; jitter keeps racers apart
			time.Sleep(time.Duration(attempt) * time.Duration(5+rand.IntN(20)) * time.Millisecond)
			continue
		default:
			return nil, unavailable(op, err)
		}
	}
}
