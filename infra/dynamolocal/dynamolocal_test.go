package dynamolocal_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/dynamolocal/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Run(m)) }

// start starts a private server (not the shared one) and stops it at cleanup.
func start(t *testing.T, opts dynamolocal.Options) *dynamolocal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if opts.Log == nil && testing.Verbose() {
		opts.Log = testLog{t}
	}
	s, err := dynamolocal.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func client(t *testing.T, endpoint string) *dynamodb.Client {
	t.Helper()
	c, err := dynamolocal.Client(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listTables(ctx context.Context, c *dynamodb.Client) error {
	_, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
	return err
}

var keyTable = dynamodb.CreateTableInput{
	TableName:            aws.String("items"),
	AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
}

func putGet(t *testing.T, c *dynamodb.Client, table, pk, val string, put bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if put {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"pk":  &types.AttributeValueMemberS{Value: pk},
				"val": &types.AttributeValueMemberS{Value: val},
			},
		})
		if err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	v, ok := out.Item["val"].(*types.AttributeValueMemberS)
	if !ok {
		return ""
	}
	return v.Value
}

func TestStartStop(t *testing.T) {
	s := start(t, dynamolocal.Options{})
	if want := "http://127.0.0.1:" + strconv.Itoa(s.Port()); s.Endpoint() != want {
		t.Errorf("Endpoint() = %q, want %q", s.Endpoint(), want)
	}
	if err := listTables(context.Background(), client(t, s.Endpoint())); err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	pid := s.Pid()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Stop, kill(%d, 0) = %v, want ESRCH (process gone)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Stop, kill(-%d, 0) = %v, want ESRCH (process group gone)", pid, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = dynamolocal.Start(context.Background(), dynamolocal.Options{Port: port})
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" in use") {
		t.Fatalf("Start on a taken port: err = %v, want \"port %d in use\"", err, port)
	}
}

func TestJavaMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA_HOME", "")
	_, err := dynamolocal.Start(context.Background(), dynamolocal.Options{})
	if err == nil || !strings.Contains(err.Error(), "java not found: install Java 17+") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingJar(t *testing.T) {
	dir := t.TempDir()
	// An unusable dir (a file where the install dir should be) makes the automatic fetch fail fast.
	jarDir := dir + "/file"
	if err := os.WriteFile(jarDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := dynamolocal.Start(context.Background(), dynamolocal.Options{JarDir: jarDir})
	if err == nil || !strings.Contains(err.Error(), "jar missing at "+jarDir+"/DynamoDBLocal.jar: run `make dynamodb-local`") {
		t.Fatalf("err = %v", err)
	}
}

func TestSharedRoundTrip(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, keyTable, "expiresAt")
	if !strings.HasPrefix(table, "items-") {
		t.Errorf("table name %q, want prefix items-", table)
	}
	if got := putGet(t, c, table, "k1", "hello", true); got != "hello" {
		t.Fatalf("GetItem val = %q, want hello", got)
	}
	ttl, err := c.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "expiresAt" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want expiresAt ENABLED", d)
	}
	// A second table in the same binary shares the server but not the name.
	if other := dynamotest.CreateTable(t, keyTable, ""); other == table {
		t.Errorf("CreateTable returned the same name twice: %s", table)
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dbPath := t.TempDir() + "/db" // does not exist yet: Start creates it
	s := start(t, dynamolocal.Options{DBPath: dbPath})
	c := client(t, s.Endpoint())
	ctx := context.Background()
	in := keyTable
	in.BillingMode = types.BillingModePayPerRequest
	if _, err := c.CreateTable(ctx, &in); err != nil {
		t.Fatal(err)
	}
	putGet(t, c, "items", "k1", "kept", true)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s2 := start(t, dynamolocal.Options{DBPath: dbPath})
	if got := putGet(t, client(t, s2.Endpoint()), "items", "k1", "", false); got != "kept" {
		t.Fatalf("after restart on the same DBPath, val = %q, want kept", got)
	}
}

func TestPauseResume(t *testing.T) {
	s := start(t, dynamolocal.Options{})
	c := client(t, s.Endpoint())
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	err := listTables(ctx, c)
	cancel()
	if err == nil {
		t.Fatal("ListTables succeeded while paused")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("paused call failed with %v (not a deadline error)", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := listTables(ctx, c); err != nil {
		t.Fatalf("ListTables after Resume: %v", err)
	}

	// Stop must not hang on a paused server.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Stop of a paused server took %v", d)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/go.mod"); err != nil {
		t.Fatalf("ModuleRoot() = %s: %v", root, err)
	}
}
