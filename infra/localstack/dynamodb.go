package localstack

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// Fault injection on the stack's own DynamoDB Local, for the fault test: the functions keep
// running and must answer 503 while it is gone, and recover once it is back. None of these
// may run concurrently with each other, Pids or Stop.

var errNoDynamoDB = errors.New("localstack: the stack runs no DynamoDB Local of its own (DynamoDBEndpoint is set)")

// dynamoDBOptions are the options DynamoDB Local is started with: in memory with Fresh,
// else with its data under DataDir. port 0 picks a free one.
func (s *Stack) dynamoDBOptions(port int) (opts dynamolocal.Options, where string) {
	if s.opts.Fresh {
		return dynamolocal.Options{Port: port}, "in memory (FRESH)"
	}
	path := filepath.Join(s.opts.DataDir, "dynamodb-data")
	return dynamolocal.Options{Port: port, DBPath: path}, "data in " + path
}

// PauseDynamoDB freezes DynamoDB Local (SIGSTOP): the kernel still accepts connections,
// nothing answers them, so the functions' calls hang until their deadline.
func (s *Stack) PauseDynamoDB() error {
	if s.db == nil {
		return errNoDynamoDB
	}
	return s.db.Pause()
}

// ResumeDynamoDB continues a paused DynamoDB Local (SIGCONT).
func (s *Stack) ResumeDynamoDB() error {
	if s.db == nil {
		return errNoDynamoDB
	}
	return s.db.Resume()
}

// KillDynamoDB ends DynamoDB Local abruptly (SIGKILL, as a crash would) and waits for it:
// from then on its port refuses connections. RestartDynamoDB brings it back.
func (s *Stack) KillDynamoDB() error {
	if s.db == nil {
		return errNoDynamoDB
	}
	if err := proc.KillGroup(s.db.Pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("localstack: kill DynamoDB Local: %w", err)
	}
	return s.db.Stop() // reaps it
}

// RestartDynamoDB starts DynamoDB Local again on the same port (the functions keep their
// endpoint) and, unless Fresh, on the same data, after stopping it if it still runs. The
// tables are created again if missing (always so with Fresh, which keeps nothing).
func (s *Stack) RestartDynamoDB(ctx context.Context) error {
	if s.db == nil {
		return errNoDynamoDB
	}
	if err := s.db.Stop(); err != nil {
		return err
	}
	opts, where := s.dynamoDBOptions(s.db.Port())
	db, err := dynamolocal.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("localstack: restart DynamoDB Local: %w", err)
	}
	s.db = db
	s.logf("DynamoDB Local restarted on %s, %s", s.endpoint, where)
	return ensureTables(ctx, s.endpoint, s.tpl.Tables)
}
