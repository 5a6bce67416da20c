package localstack

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// DefaultPort is where `make run` serves unless PORT says otherwise.
const DefaultPort = 3000

// OptionsFromEnv reads `make run`'s settings from env (as EnvMap gives it): HOST, PORT,
// DATA_DIR, FRESH, POOL and DYNAMODB_ENDPOINT; env itself becomes Options.Env.
func OptionsFromEnv(env map[string]string) (Options, error) {
	o := Options{
		Host:             env["HOST"],
		Port:             DefaultPort,
		DataDir:          env["DATA_DIR"],
		DynamoDBEndpoint: env["DYNAMODB_ENDPOINT"],
		Env:              env,
	}
	if v := env["PORT"]; v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return Options{}, fmt.Errorf("PORT=%s: want a port number (0 picks a free one)", v)
		}
		o.Port = p
	}
	if v := env["FRESH"]; v != "" {
		fresh, err := strconv.ParseBool(v)
		if err != nil {
			return Options{}, fmt.Errorf("FRESH=%s: want 1 or 0", v)
		}
		o.Fresh = fresh
	}
	if v := env["POOL"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Options{}, fmt.Errorf("POOL=%s: want a number of processes per function, at least 1", v)
		}
		o.Pool = n
	}
	return o, nil
}

// EnvMap turns os.Environ() into a map.
func EnvMap(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// paramOverrides are the template Parameters env overrides: PARAM_<Name>=value.
func paramOverrides(env map[string]string) map[string]string {
	params := map[string]string{}
	for k, v := range env {
		if name, ok := strings.CutPrefix(k, "PARAM_"); ok {
			params[name] = v
		}
	}
	return params
}

// functionEnv is fn's environment as Lambda would give it, with the local replacements:
// the template's variables (a same-named variable in shell overrides one), DynamoDB's
// endpoint, the signing key instead of the secret's ARN, and what Lambda itself sets.
func functionEnv(fn samtemplate.Function, shell map[string]string, endpoint, keyName, key string) map[string]string {
	env := map[string]string{}
	for k, v := range fn.Environment {
		if override, ok := shell[k]; ok {
			v = override
		}
		env[k] = v
	}
	delete(env, "SIGNING_KEY_SECRET_ARN") // no Secrets Manager locally
	env[keyName] = key
	env["DYNAMODB_ENDPOINT"] = endpoint

	region := shell["AWS_REGION"]
	if region == "" {
		region = shell["AWS_DEFAULT_REGION"]
	}
	if region == "" {
		region = "us-east-1"
	}
	env["AWS_REGION"], env["AWS_DEFAULT_REGION"] = region, region
	env["_HANDLER"] = fn.Handler
	env["TZ"] = ":UTC"
	// Lambda hands a function its role's credentials; locally the caller's, if any (a
	// DYNAMODB_ENDPOINT that checks them), as sam local does.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := shell[k]; v != "" {
			env[k] = v
		}
	}
	return env
}

// keyFile holds the signing key generated for local runs, under DATA_DIR.
const keyFile = "signing-key"

// signingKey returns the variable and value that give the functions their signing key:
// SIGNING_KEYS or SIGNING_KEY from env, else a key generated once into dataDir (mode
// 0600), so tokens stay valid across restarts.
func signingKey(env map[string]string, dataDir string) (name, value string, err error) {
	for _, name := range []string{"SIGNING_KEYS", "SIGNING_KEY"} {
		if v := env[name]; v != "" {
			return name, v, nil
		}
	}
	path := filepath.Join(dataDir, keyFile)
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return "SIGNING_KEY", key, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	// Written aside, then linked into place: two stacks starting at once agree on one key.
	f, err := os.CreateTemp(dataDir, ".signing-key-*") // mode 0600
	if err != nil {
		return "", "", fmt.Errorf("signing key: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(hex.EncodeToString(b) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", "", fmt.Errorf("signing key: %w", werr)
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", "", fmt.Errorf("signing key: %w", err)
	}
	key, err = readKey(path)
	return "SIGNING_KEY", key, err
}

func readKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(data))
	if key == "" {
		return "", fmt.Errorf("signing key: %s is empty: delete it to have a new one generated", path)
	}
	return key, nil
}
