package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Throttle counts an e-mail's consecutive failed logins (known or unknown e-mail alike).
type Throttle struct {
	Failures    int
	LastFailure time.Time
}

type throttleRecord struct {
	PK          string `dynamodbav:"pk"`
	Failures    int    `dynamodbav:"failures"`
	LastFailure int64  `dynamodbav:"last_failure"` // unix milliseconds
	ExpiresAt   int64  `dynamodbav:"expires_at"`
	// LastRequest marks the last write, so an SDK retry of it is recognised as ours.
	LastRequest string `dynamodbav:"last_request,omitempty"`
}

// notOurs is the condition that the item's last write was not the request rid: a retried
// write must neither count twice nor lose to itself.
func notOurs(rid string) expression.ConditionBuilder {
	last := expression.Name("last_request")
	return expression.Or(expression.AttributeNotExists(last), expression.NotEqual(last, expression.Value(rid)))
}

// ours decodes the item a failed condition returned, and reports whether its last write
// was the request rid.
func ours(item map[string]types.AttributeValue, rid string) (throttleRecord, bool) {
	var r throttleRecord
	if item == nil || attributevalue.UnmarshalMap(item, &r) != nil {
		return throttleRecord{}, false
	}
	return r, r.LastRequest == rid
}

func throttleKey(email string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: "THROTTLE#" + email}}
}

func decodeThrottle(item map[string]types.AttributeValue, now time.Time) (Throttle, error) {
	if item == nil {
		return Throttle{}, nil
	}
	var r throttleRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return Throttle{}, unavailable("decode throttle", err)
	}
	if r.ExpiresAt < now.Unix() { // TTL deletion lags: an expired item counts as absent
		return Throttle{}, nil
	}
	return Throttle{Failures: r.Failures, LastFailure: time.UnixMilli(r.LastFailure)}, nil
}

// Login is what a login reads first, in one round trip: whose e-mail it is, and how
// throttled it is.
type Login struct {
	UserID   string // "" when no account has the e-mail
	Throttle Throttle
}

// LoginState reads the e-mail marker and the throttle state of email together.
func (s *Store) LoginState(ctx context.Context, email string, now time.Time) (Login, error) {
	marker, throttle, err := s.batchGet(ctx, "login state", emailKey(email), throttleKey(email))
	if err != nil {
		return Login{}, err
	}
	var l Login
	if marker != nil {
		var r emailRecord
		if err := attributevalue.UnmarshalMap(marker, &r); err != nil {
			return Login{}, unavailable("decode e-mail", err)
		}
		l.UserID = r.UserID
	}
	l.Throttle, err = decodeThrottle(throttle, now)
	return l, err
}

// RecordFailure counts one failed login with a single conditional write and returns the
// new state. The state is forgotten once keep has passed since the last failure.
func (s *Store) RecordFailure(ctx context.Context, email string, now time.Time, keep time.Duration) (Throttle, error) {
	expiry := now.Add(keep).Unix()
	rid := requestToken()
	fresh := expression.Or(notExists, expression.GreaterThanEqual(expression.Name(TTLAttribute), expression.Value(now.Unix())))
	upd := expression.
		Add(expression.Name("failures"), expression.Value(1)).
		Set(expression.Name("last_failure"), expression.Value(now.UnixMilli())).
		Set(expression.Name("last_request"), expression.Value(rid)).
		Set(expression.Name(TTLAttribute), expression.Value(expiry))
	expr, err := expression.NewBuilder().WithCondition(expression.And(fresh, notOurs(rid))).WithUpdate(upd).Build()
	if err != nil {
		return Throttle{}, unavailable("record failure", err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.blacklist,
		Key:                                 throttleKey(email),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if r, own := ours(ccf.Item, rid); own { // our retried write: it counted once already
			return Throttle{Failures: r.Failures, LastFailure: time.UnixMilli(r.LastFailure)}, nil
		}
		// an expired state DynamoDB has not deleted yet: start counting again
		return s.restartThrottle(ctx, email, now, expiry)
	}
	if err != nil {
		return Throttle{}, unavailable("record failure", err)
	}
	return decodeThrottle(out.Attributes, now)
}

func (s *Store) restartThrottle(ctx context.Context, email string, now time.Time, expiry int64) (Throttle, error) {
	item, err := attributevalue.MarshalMap(throttleRecord{PK: "THROTTLE#" + email, Failures: 1, LastFailure: now.UnixMilli(), ExpiresAt: expiry})
	if err != nil {
		return Throttle{}, unavailable("encode throttle", err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.blacklist, Item: item}); err != nil {
		return Throttle{}, unavailable("restart throttle", err)
	}
	return Throttle{Failures: 1, LastFailure: now}, nil
}

// ResetThrottle forgets the failures after a successful login.
func (s *Store) ResetThrottle(ctx context.Context, email string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.blacklist, Key: throttleKey(email)}); err != nil {
		return unavailable("reset throttle", err)
	}
	return nil
}

// ClaimAttempt lets one request try a password for a throttled e-mail whose wait is over:
// it moves the last failure to now only if the state is still the one seen, so of any
// number of parallel attempts exactly one wins and the others stay throttled.
func (s *Store) ClaimAttempt(ctx context.Context, email string, seen Throttle, now time.Time) (bool, error) {
	rid := requestToken()
	cond := expression.And(
		expression.Equal(expression.Name("failures"), expression.Value(seen.Failures)),
		expression.Equal(expression.Name("last_failure"), expression.Value(seen.LastFailure.UnixMilli())),
	)
	upd := expression.
		Set(expression.Name("last_failure"), expression.Value(now.UnixMilli())).
		Set(expression.Name("last_request"), expression.Value(rid))
	expr, err := expression.NewBuilder().WithCondition(expression.And(cond, notOurs(rid))).WithUpdate(upd).Build()
	if err != nil {
		return false, unavailable("claim attempt", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.blacklist,
		Key:                                 throttleKey(email),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		_, own := ours(ccf.Item, rid) // our retried write won the first time
		return own, nil
	case err != nil:
		return false, unavailable("claim attempt", err)
	}
	return true, nil
}

// ThrottleState reads the throttle state of email alone (the users endpoints check a
// current password against it).
func (s *Store) ThrottleState(ctx context.Context, email string, now time.Time) (Throttle, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.blacklist, Key: throttleKey(email), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Throttle{}, unavailable("get throttle", err)
	}
	return decodeThrottle(out.Item, now)
}
