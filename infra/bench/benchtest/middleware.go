package benchtest

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// option adds the meter to a client's middleware: it asks for ReturnConsumedCapacity
// TOTAL on every call and records the units reported. It runs once per operation call, so
// SDK retries are not counted as calls.
func (m *meter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("benchtestMeter", m.handle), middleware.Before)
	})
}

func (m *meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	in.Parameters = withConsumedCapacity(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	units := 0.0
	if err == nil {
		units = consumed(out.Result)
	}
	m.record(awsmiddleware.GetOperationName(ctx), units)
	return out, md, err
}

// withConsumedCapacity returns a copy of the input asking for the total consumed capacity;
// the store's own input is left as it built it.
func withConsumedCapacity(params any) any {
	const total = types.ReturnConsumedCapacityTotal
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	case *dynamodb.BatchGetItemInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	case *dynamodb.PutItemInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	case *dynamodb.UpdateItemInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	case *dynamodb.DeleteItemInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	case *dynamodb.TransactWriteItemsInput:
		c := *p
		c.ReturnConsumedCapacity = total
		return &c
	}
	return params
}

// consumed sums the capacity units in an operation's output.
func consumed(result any) float64 {
	var list []types.ConsumedCapacity
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		list = one(r.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		list = r.ConsumedCapacity
	case *dynamodb.PutItemOutput:
		list = one(r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		list = one(r.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		list = one(r.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		list = r.ConsumedCapacity
	}
	units := 0.0
	for _, c := range list {
		if c.CapacityUnits != nil {
			units += *c.CapacityUnits
		}
	}
	return units
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}
