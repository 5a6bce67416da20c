// Package store keeps users, sessions and login-throttle state in DynamoDB. Callers see
// domain types and sentinel errors only, never SDK types.
package store

// The persistence shape both tables share; template.yaml declares the same names and a test
// keeps the two in step.
const (
	// KeyAttribute is the partition key (string) of both tables. Items are told apart by a
	// prefix: USER#<id>, EMAIL#<canonical e-mail>, SESSION#<id>, THROTTLE#<canonical e-mail>.
	KeyAttribute = "pk"
	// TTLAttribute holds the epoch second after which DynamoDB may delete a Blacklist item.
	TTLAttribute = "expires_at"
)
