package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Session is a refresh-token family. Its item is written at the first rotation or
// revocation; a session without an item is still at its first token (jti = session id).
type Session struct {
	Revoked     bool
	Current     Minted // the current token, to re-sign it byte for byte
	PreviousJTI string // the token the current one replaced
	// PreviousRotatedAt is when the token before PreviousJTI was rotated out: every token
	// older than PreviousJTI left the chain then or earlier. Zero at the first rotation.
	PreviousRotatedAt time.Time
}

// Minted is what it takes to sign a rotated refresh token again: the rest of its claims
// come from the token it replaced.
type Minted struct {
	JTI       string
	IssuedAt  int64
	ExpiresAt int64
}

type sessionRecord struct {
	PK          string `dynamodbav:"pk"`
	UserID      string `dynamodbav:"user_id"`
	Revoked     bool   `dynamodbav:"revoked,omitempty"`
	CurrentJTI  string `dynamodbav:"current_jti,omitempty"`
	CurrentIat  int64  `dynamodbav:"current_iat,omitempty"`
	CurrentExp  int64  `dynamodbav:"current_exp,omitempty"`
	PreviousJTI string `dynamodbav:"previous_jti,omitempty"`
	// When PreviousJTI, and before it its predecessor, were rotated out (unix milliseconds).
	RotatedAt         int64 `dynamodbav:"rotated_at,omitempty"`
	PreviousRotatedAt int64 `dynamodbav:"previous_rotated_at,omitempty"`
	ExpiresAt         int64 `dynamodbav:"expires_at"`
}

func sessionKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: "SESSION#" + id}}
}

// decodeSession returns nil for a missing item, and ignores an item whose TTL has passed
// but which DynamoDB has not deleted yet.
func decodeSession(item map[string]types.AttributeValue, now time.Time) (*Session, error) {
	if item == nil {
		return nil, nil
	}
	var r sessionRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return nil, unavailable("decode session", err)
	}
	if r.ExpiresAt != 0 && r.ExpiresAt < now.Unix() {
		return nil, nil
	}
	s := &Session{
		Revoked:     r.Revoked,
		Current:     Minted{JTI: r.CurrentJTI, IssuedAt: r.CurrentIat, ExpiresAt: r.CurrentExp},
		PreviousJTI: r.PreviousJTI,
	}
	if r.PreviousRotatedAt != 0 {
		s.PreviousRotatedAt = time.UnixMilli(r.PreviousRotatedAt)
	}
	return s, nil
}

// Rotation moves a session from the presented token to its successor.
type Rotation struct {
	SessionID string
	UserID    string
	From      string // jti presented
	// Origin: From is the session's first token, so the session may have no item yet.
	Origin bool
	To     Minted
	Now    time.Time
	// KeepUntil is the item's TTL: as long as any token of the session may live.
	KeepUntil time.Time
}

// Rotate performs r with one conditional write: exactly one of any number of concurrent
// rotations of the same token wins. When it does not win, it returns the session as it
// found it (nil if it has no item) so the caller can tell a late retry from reuse.
func (s *Store) Rotate(ctx context.Context, r Rotation) (rotated bool, found *Session, err error) {
	current := expression.Name("current_jti")
	from := expression.Equal(current, expression.Value(r.From))
	if r.Origin {
		from = expression.Or(from, notExists)
	}
	cond := expression.And(from, expression.AttributeNotExists(expression.Name("revoked")))
	upd := expression.
		Set(expression.Name("user_id"), expression.Value(r.UserID)).
		Set(current, expression.Value(r.To.JTI)).
		Set(expression.Name("current_iat"), expression.Value(r.To.IssuedAt)).
		Set(expression.Name("current_exp"), expression.Value(r.To.ExpiresAt)).
		Set(expression.Name("previous_jti"), expression.Value(r.From)).
		// Operands read the item as it was, so this keeps the rotation being superseded.
		Set(expression.Name("previous_rotated_at"), expression.IfNotExists(expression.Name("rotated_at"), expression.Value(0))).
		Set(expression.Name("rotated_at"), expression.Value(r.Now.UnixMilli())).
		Set(expression.Name(TTLAttribute), expression.Value(r.KeepUntil.Unix()))
	expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return false, nil, unavailable("rotate", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.blacklist,
		Key:                                 sessionKey(r.SessionID),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return true, nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return false, nil, unavailable("rotate", err)
	}
	found, err = decodeSession(ccf.Item, r.Now)
	if err != nil {
		return false, nil, err
	}
	if found != nil && !found.Revoked && found.Current.JTI == r.To.JTI {
		// An SDK retry of our own write, whose first response was lost: it did happen.
		return true, nil, nil
	}
	return false, found, nil
}

// RevokeSession ends a session: its refresh tokens are refused from now on and its access
// tokens on the users endpoints. Revoking twice is fine.
func (s *Store) RevokeSession(ctx context.Context, sessionID, userID string, keepUntil time.Time) error {
	uid := expression.Name("user_id")
	upd := expression.
		Set(expression.Name("revoked"), expression.Value(true)).
		Set(uid, expression.IfNotExists(uid, expression.Value(userID))).
		Set(expression.Name(TTLAttribute), expression.Value(keepUntil.Unix()))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return unavailable("revoke session", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.blacklist,
		Key:                       sessionKey(sessionID),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return unavailable("revoke session", err)
	}
	return nil
}

// UserAndSession reads a user and one of its sessions in one round trip (sessionID "" reads
// the user alone). The session is nil when it has no item.
func (s *Store) UserAndSession(ctx context.Context, userID, sessionID string, now time.Time) (User, *Session, error) {
	if sessionID == "" {
		u, err := s.User(ctx, userID)
		return u, nil, err
	}
	userItem, sessionItem, err := s.batchGet(ctx, "get user and session", userKey(userID), sessionKey(sessionID))
	if err != nil {
		return User{}, nil, err
	}
	u, err := decodeUser(userItem)
	if err != nil {
		return User{}, nil, err
	}
	sess, err := decodeSession(sessionItem, now)
	return u, sess, err
}

// batchAttempts bounds retries of keys DynamoDB left unprocessed (it throttles that way).
const batchAttempts = 3

// batchGet reads one item of each table, consistently, in one BatchGetItem.
func (s *Store) batchGet(ctx context.Context, op string, usersKey, blacklistKey map[string]types.AttributeValue) (usersItem, blacklistItem map[string]types.AttributeValue, err error) {
	request := map[string]types.KeysAndAttributes{
		s.users:     {Keys: []map[string]types.AttributeValue{usersKey}, ConsistentRead: aws.Bool(true)},
		s.blacklist: {Keys: []map[string]types.AttributeValue{blacklistKey}, ConsistentRead: aws.Bool(true)},
	}
	for attempt := 1; len(request) > 0; attempt++ {
		if attempt > batchAttempts {
			return nil, nil, unavailable(op, fmt.Errorf("keys left unprocessed after %d attempts", batchAttempts))
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, nil, unavailable(op, err)
		}
		if items := out.Responses[s.users]; len(items) > 0 {
			usersItem = items[0]
		}
		if items := out.Responses[s.blacklist]; len(items) > 0 {
			blacklistItem = items[0]
		}
		request = out.UnprocessedKeys
	}
	return usersItem, blacklistItem, nil
}
