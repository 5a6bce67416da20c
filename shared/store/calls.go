package store

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

type callCountKey struct{}

// WithCallCount returns a context under which the Store counts its DynamoDB round trips,
// for the request log.
func WithCallCount(ctx context.Context) (context.Context, *atomic.Int64) {
	n := &atomic.Int64{}
	return context.WithValue(ctx, callCountKey{}, n), n
}

func countCall(ctx context.Context, _ string) {
	if n, ok := ctx.Value(callCountKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// Counted wraps db so that count sees every call first, with the operation's name.
func Counted(db DB, count func(ctx context.Context, op string)) DB {
	return countingDB{DB: db, count: count}
}

type countingDB struct {
	DB
	count func(ctx context.Context, op string)
}

func (c countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count(ctx, "GetItem")
	return c.DB.GetItem(ctx, in, o...)
}

func (c countingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.count(ctx, "BatchGetItem")
	return c.DB.BatchGetItem(ctx, in, o...)
}

func (c countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count(ctx, "PutItem")
	return c.DB.PutItem(ctx, in, o...)
}

func (c countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count(ctx, "UpdateItem")
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c countingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.count(ctx, "DeleteItem")
	return c.DB.DeleteItem(ctx, in, o...)
}

func (c countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.count(ctx, "TransactWriteItems")
	return c.DB.TransactWriteItems(ctx, in, o...)
}
