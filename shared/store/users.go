package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// User is an account. Generation is the user-wide revocation counter: logout_all and
// set_password raise it, and tokens minted at a lower generation die, except those of the
// session set_password kept (KeptSession, from KeptGeneration on).
type User struct {
	ID             string
	Email          string // canonical: trimmed and lower-cased
	FirstName      string
	LastName       string
	PasswordHash   string
	IsActive       bool
	Generation     int64
	KeptSession    string
	KeptGeneration int64
	DateJoined     time.Time
}

// Allows reports whether a token of session sid minted at generation gen survived every
// user-wide revocation. Comparing counters, not clocks, makes revocation exact.
func (u *User) Allows(sid string, gen int64) bool {
	return gen >= u.Generation || (u.KeptSession != "" && sid == u.KeptSession && gen >= u.KeptGeneration)
}

type userRecord struct {
	PK             string `dynamodbav:"pk"`
	ID             string `dynamodbav:"id"`
	Email          string `dynamodbav:"email"`
	FirstName      string `dynamodbav:"first_name"`
	LastName       string `dynamodbav:"last_name"`
	Password       string `dynamodbav:"password"`
	IsActive       bool   `dynamodbav:"is_active"`
	Generation     int64  `dynamodbav:"generation"`
	KeptSession    string `dynamodbav:"kept_session,omitempty"`
	KeptGeneration int64  `dynamodbav:"kept_generation,omitempty"`
	DateJoined     int64  `dynamodbav:"date_joined"`
}

type emailRecord struct {
	PK     string `dynamodbav:"pk"`
	UserID string `dynamodbav:"user_id"`
}

func userKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: "USER#" + id}}
}

func emailKey(email string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: "EMAIL#" + email}}
}

func (u User) record() userRecord {
	return userRecord{
		PK: "USER#" + u.ID, ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Password: u.PasswordHash, IsActive: u.IsActive, Generation: u.Generation,
		KeptSession: u.KeptSession, KeptGeneration: u.KeptGeneration, DateJoined: u.DateJoined.Unix(),
	}
}

func (r userRecord) user() User {
	return User{
		ID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, PasswordHash: r.Password,
		IsActive: r.IsActive, Generation: r.Generation, KeptSession: r.KeptSession,
		KeptGeneration: r.KeptGeneration, DateJoined: time.Unix(r.DateJoined, 0),
	}
}

func decodeUser(item map[string]types.AttributeValue) (User, error) {
	if item == nil {
		return User{}, ErrNotFound
	}
	var r userRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return User{}, unavailable("decode user", err)
	}
	return r.user(), nil
}

func requestToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}

var notExists = expression.AttributeNotExists(expression.Name(KeyAttribute))

func condition(c expression.ConditionBuilder) expression.Expression {
	expr, err := expression.NewBuilder().WithCondition(c).Build()
	if err != nil {
		panic("store: condition: " + err.Error()) // built from constants only
	}
	return expr
}

// CreateUser writes the user and its e-mail marker in one transaction: two registrations
// of one address can never both succeed. ErrEmailTaken when the address is in use.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	user, err := attributevalue.MarshalMap(u.record())
	if err != nil {
		return unavailable("encode user", err)
	}
	marker, err := attributevalue.MarshalMap(emailRecord{PK: "EMAIL#" + u.Email, UserID: u.ID})
	if err != nil {
		return unavailable("encode e-mail", err)
	}
	cond := condition(notExists)
	codes, err := s.transact(ctx, "create user", []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.users, Item: user, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names()}},
		{Put: &types.Put{TableName: &s.users, Item: marker, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names()}},
	})
	switch {
	case err != nil:
		return err
	case codes != nil && codes[1] == "ConditionalCheckFailed":
		return ErrEmailTaken
	case codes != nil:
		return ErrConflict // a random UUID collided: astronomically unlikely
	}
	return nil
}

// User reads a user by id (consistently: the answer decides authentication).
func (s *Store) User(ctx context.Context, id string) (User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.users, Key: userKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return User{}, unavailable("get user", err)
	}
	return decodeUser(out.Item)
}

// Profile is a partial update of the editable fields; nil leaves a field alone.
type Profile struct {
	FirstName, LastName *string
}

// UpdateProfile applies p and returns the user as stored afterwards.
func (s *Store) UpdateProfile(ctx context.Context, id string, p Profile) (User, error) {
	var upd expression.UpdateBuilder
	set := false
	if p.FirstName != nil {
		upd, set = upd.Set(expression.Name("first_name"), expression.Value(*p.FirstName)), true
	}
	if p.LastName != nil {
		upd, set = upd.Set(expression.Name("last_name"), expression.Value(*p.LastName)), true
	}
	if !set {
		return s.User(ctx, id)
	}
	return s.updateUser(ctx, "update profile", id, upd, userExists(), ErrNotFound)
}

// SetPassword stores a new hash and revokes every session but keep (the caller's), whose
// tokens minted at keepGeneration or later stay valid. seenGeneration is the generation the
// caller was authenticated against: if a revocation happened since, ErrConflict, so a
// concurrent logout_all can never be undone by a kept session.
func (s *Store) SetPassword(ctx context.Context, id, hash, keep string, keepGeneration, seenGeneration int64) error {
	upd := bumpGeneration().
		Set(expression.Name("password"), expression.Value(hash)).
		Set(expression.Name("kept_session"), expression.Value(keep)).
		Set(expression.Name("kept_generation"), expression.Value(keepGeneration))
	cond := userExists().And(expression.Equal(expression.Name("generation"), expression.Value(seenGeneration)))
	_, err := s.updateUser(ctx, "set password", id, upd, cond, ErrConflict)
	return err
}

// RevokeAll ends every session of the user: tokens minted before it fail from now on.
func (s *Store) RevokeAll(ctx context.Context, id string) error {
	upd := bumpGeneration().Remove(expression.Name("kept_session")).Remove(expression.Name("kept_generation"))
	_, err := s.updateUser(ctx, "revoke all", id, upd, userExists(), ErrNotFound)
	return err
}

// UpgradePassword replaces a legacy or weaker hash after a successful login, unless the
// password changed in between (then ErrConflict, and the new one stays).
func (s *Store) UpgradePassword(ctx context.Context, id, oldHash, newHash string) error {
	upd := expression.Set(expression.Name("password"), expression.Value(newHash))
	_, err := s.updateUser(ctx, "upgrade password", id, upd, expression.Equal(expression.Name("password"), expression.Value(oldHash)), ErrConflict)
	return err
}

// SetActive activates or deactivates a user (an administrator's action).
func (s *Store) SetActive(ctx context.Context, id string, active bool) error {
	upd := expression.Set(expression.Name("is_active"), expression.Value(active))
	_, err := s.updateUser(ctx, "set active", id, upd, userExists(), ErrNotFound)
	return err
}

func userExists() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(KeyAttribute))
}

func bumpGeneration() expression.UpdateBuilder {
	gen := expression.Name("generation")
	return expression.Set(gen, expression.Plus(expression.IfNotExists(gen, expression.Value(0)), expression.Value(1)))
}

// updateUser applies upd under cond; conditionFailed is what a failed cond means.
func (s *Store) updateUser(ctx context.Context, op, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder, conditionFailed error) (User, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return User{}, unavailable(op, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.users,
		Key:                       userKey(id),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case isConditionFailed(err):
		return User{}, conditionFailed
	case err != nil:
		return User{}, unavailable(op, err)
	}
	return decodeUser(out.Attributes)
}

// DeleteUser removes the user and its e-mail marker together; its tokens die with it,
// since every token check reads the user. ErrNotFound when it is already gone,
// ErrConflict when its e-mail changed since u was read.
func (s *Store) DeleteUser(ctx context.Context, u User) error {
	ownsEmail := condition(expression.Equal(expression.Name("user_id"), expression.Value(u.ID)))
	exists := condition(userExists())
	codes, err := s.transact(ctx, "delete user", []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.users, Key: userKey(u.ID), ConditionExpression: exists.Condition(), ExpressionAttributeNames: exists.Names()}},
		{Delete: &types.Delete{TableName: &s.users, Key: emailKey(u.Email), ConditionExpression: ownsEmail.Condition(), ExpressionAttributeNames: ownsEmail.Names(), ExpressionAttributeValues: ownsEmail.Values()}},
	})
	switch {
	case err != nil:
		return err
	case codes != nil && codes[0] == "ConditionalCheckFailed":
		return ErrNotFound
	case codes != nil:
		return ErrConflict // the e-mail changed since u was read
	}
	return nil
}

// ChangeEmail moves the user to newEmail atomically: the new marker, the old marker's
// removal and the user item change together. ErrEmailTaken when newEmail is in use;
// ErrConflict when the user changed e-mail concurrently.
func (s *Store) ChangeEmail(ctx context.Context, u User, newEmail string) error {
	marker, err := attributevalue.MarshalMap(emailRecord{PK: "EMAIL#" + newEmail, UserID: u.ID})
	if err != nil {
		return unavailable("encode e-mail", err)
	}
	free := condition(notExists)
	ownsOld := condition(expression.Equal(expression.Name("user_id"), expression.Value(u.ID)))
	upd, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("email"), expression.Value(newEmail))).
		WithCondition(expression.Equal(expression.Name("email"), expression.Value(u.Email))).Build()
	if err != nil {
		return unavailable("change e-mail", err)
	}
	codes, err := s.transact(ctx, "change e-mail", []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.users, Item: marker, ConditionExpression: free.Condition(), ExpressionAttributeNames: free.Names()}},
		{Delete: &types.Delete{TableName: &s.users, Key: emailKey(u.Email), ConditionExpression: ownsOld.Condition(), ExpressionAttributeNames: ownsOld.Names(), ExpressionAttributeValues: ownsOld.Values()}},
		{Update: &types.Update{TableName: &s.users, Key: userKey(u.ID), UpdateExpression: upd.Update(), ConditionExpression: upd.Condition(), ExpressionAttributeNames: upd.Names(), ExpressionAttributeValues: upd.Values()}},
	})
	switch {
	case err != nil:
		return err
	case codes != nil && codes[0] == "ConditionalCheckFailed":
		return ErrEmailTaken
	case codes != nil:
		return ErrConflict
	}
	return nil
}
