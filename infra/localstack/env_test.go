package localstack

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{"PORT": "0", "HOST": "0.0.0.0", "FRESH": "1", "POOL": "3", "DATA_DIR": "/tmp/x", "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000"}
	got, err := OptionsFromEnv(env)
	want := Options{Port: 0, Host: "0.0.0.0", Fresh: true, Pool: 3, DataDir: "/tmp/x", DynamoDBEndpoint: "http://127.0.0.1:8000", Env: env}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if got, _ := OptionsFromEnv(map[string]string{}); got.Port != DefaultPort || got.Fresh || got.Pool != 0 {
		t.Errorf("defaults: %+v", got)
	}
	for _, bad := range []map[string]string{{"PORT": "x"}, {"PORT": "70000"}, {"FRESH": "maybe"}, {"POOL": "0"}} {
		if _, err := OptionsFromEnv(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want a one-line error", bad, err)
		}
	}
}

func TestFunctionEnv(t *testing.T) {
	shell := map[string]string{
		"PARAM_AllowedOrigins":     "http://localhost:4200",
		"PARAM_SessionMaxLifetime": "720h",
		"ACCESS_TOKEN_LIFETIME":    "10s", // a variable the template sets: overrides it
		"SESSION_MAX_LIFETIME":     "1h",  // beats PARAM_SessionMaxLifetime
		"HOME":                     "/root",
		"AWS_ACCESS_KEY_ID":        "AKIA",
	}
	tpl, err := samtemplate.Load("../../template.yaml", paramOverrides(shell))
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := tpl.Function("UsersFunction")
	env := functionEnv(*fn, shell, "http://127.0.0.1:9", "SIGNING_KEY", "k")
	want := map[string]string{
		"USERS_TABLE":            "UsersTable",
		"BLACKLIST_TABLE":        "BlacklistTable",
		"ACCESS_TOKEN_LIFETIME":  "10s",
		"REFRESH_TOKEN_LIFETIME": "4320h",
		"REFRESH_REUSE_INTERVAL": "10s",
		"SESSION_MAX_LIFETIME":   "1h",
		"ALLOWED_ORIGINS":        "http://localhost:4200",
		"SIGNING_KEY":            "k",
		"DYNAMODB_ENDPOINT":      "http://127.0.0.1:9",
		"AWS_REGION":             "us-east-1",
		"AWS_DEFAULT_REGION":     "us-east-1",
		"AWS_ACCESS_KEY_ID":      "AKIA",
		"_HANDLER":               "bootstrap",
		"TZ":                     ":UTC",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("got  %v\nwant %v", env, want)
	}
}

func TestSigningKey(t *testing.T) {
	if name, v, _ := signingKey(map[string]string{"SIGNING_KEY": "from-env"}, t.TempDir()); name != "SIGNING_KEY" || v != "from-env" {
		t.Errorf("SIGNING_KEY from the environment: %s=%s", name, v)
	}
	if name, v, _ := signingKey(map[string]string{"SIGNING_KEYS": `{"current":"a"}`, "SIGNING_KEY": "x"}, t.TempDir()); name != "SIGNING_KEYS" || v != `{"current":"a"}` {
		t.Errorf("SIGNING_KEYS wins, as in the functions: %s=%s", name, v)
	}

	// Generated once, even by stacks starting together, and kept private.
	dir := t.TempDir()
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if _, keys[i], err = signingKey(nil, dir); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || len(k) != 64 {
			t.Fatalf("keys %q: want one 64-character key", keys)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("DATA_DIR holds %d files, want only %s", len(entries), keyFile)
	}
}

// Failures before anything runs are one line, never a stack trace.
func TestStartFailsInOneLine(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	badRoot := t.TempDir()
	if err := os.WriteFile(filepath.Join(badRoot, "template.yaml"), []byte("Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageName: prod\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"port taken", Options{Port: port}, "port " + strconv.Itoa(port) + " on 127.0.0.1 is in use"},
		{"invalid template", Options{Root: badRoot}, "template.yaml: api Api: StageName"},
		{"unknown parameter override", Options{Env: map[string]string{"PARAM_Nope": "x"}}, "parameter override Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.DataDir = t.TempDir()
			s, err := Start(context.Background(), tt.opts)
			if err == nil {
				s.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %q, want one line with %q", err, tt.want)
			}
		})
	}
}
