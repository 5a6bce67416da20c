// Package storetest gives tests a Store on DynamoDB Local with fresh tables declared as
// template.yaml declares them, and counts the round trips each request makes.
package storetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
	"github.com/jwtauth/jwtauth/shared/store"
)

// Env is a Store over its own pair of tables.
type Env struct {
	Store  *store.Store
	DB     *Counter
	Client *dynamodb.Client
	Users  string
	Black  string
}

// New creates the Users and Blacklist tables of template.yaml under unique names.
func New(tb testing.TB) *Env {
	tb.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tmpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	names := map[string]string{}
	for _, t := range tmpl.Tables {
		names[t.LogicalID] = dynamotest.CreateTable(tb, *t.CreateTableInput(t.LogicalID), t.TTLAttribute)
	}
	users, black := names["UsersTable"], names["BlacklistTable"]
	if users == "" || black == "" {
		tb.Fatalf("storetest: template.yaml lacks UsersTable or BlacklistTable")
	}
	client := dynamotest.Client(tb)
	counter := newCounter(client)
	return &Env{Store: store.New(counter, users, black), DB: counter, Client: client, Users: users, Black: black}
}

// Counter is a store.DB that counts calls by operation name, and the IAM actions they need.
type Counter struct {
	store.DB
	mu      sync.Mutex
	calls   map[string]int
	actions map[string]int
}

func newCounter(db store.DB) *Counter {
	c := &Counter{}
	c.DB = store.Counted(db, func(_ context.Context, op string) { c.count(op) })
	return c
}

func (c *Counter) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
	if op != "TransactWriteItems" { // its items are recorded by TransactWriteItems below
		c.action("dynamodb:" + op)
	}
}

// action records an IAM action; the caller holds mu.
func (c *Counter) action(a string) {
	if c.actions == nil {
		c.actions = map[string]int{}
	}
	c.actions[a]++
}

// TransactWriteItems records the IAM actions of the transaction's items: IAM has no
// TransactWriteItems action and authorizes each item as its own PutItem, UpdateItem,
// DeleteItem or ConditionCheckItem.
func (c *Counter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	for _, item := range in.TransactItems {
		switch {
		case item.Put != nil:
			c.action("dynamodb:PutItem")
		case item.Update != nil:
			c.action("dynamodb:UpdateItem")
		case item.Delete != nil:
			c.action("dynamodb:DeleteItem")
		case item.ConditionCheck != nil:
			c.action("dynamodb:ConditionCheckItem")
		}
	}
	c.mu.Unlock()
	return c.DB.TransactWriteItems(ctx, in, o...)
}

// Reset forgets the calls counted so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	c.actions = nil
}

// Calls returns the calls counted since the last Reset, by operation.
func (c *Counter) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Actions returns the IAM actions ("dynamodb:PutItem", ...) the calls since the last Reset
// needed, with how often each was needed.
func (c *Counter) Actions() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.actions))
	for k, v := range c.actions {
		out[k] = v
	}
	return out
}

// Total is the number of calls since the last Reset.
func (c *Counter) Total() int {
	n := 0
	for _, v := range c.Calls() {
		n += v
	}
	return n
}
