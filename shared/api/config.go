package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtauth/jwtauth/shared/token"
)

// Config is read from the environment once, at cold start.
type Config struct {
	UsersTable       string
	BlacklistTable   string
	DynamoDBEndpoint string
	AccessLifetime   time.Duration
	RefreshLifetime  time.Duration
	// ReuseInterval is how long a rotated refresh token still gets its successor.
	ReuseInterval time.Duration
	// SessionCap bounds a session however often it rotates; 0 is off.
	SessionCap     time.Duration
	AllowedOrigins string
	Keys           token.KeySet
	// KeySource re-reads the keys from Secrets Manager; nil when they come from the environment.
	KeySource token.KeySource
}

// DefaultAllowedOrigins are the origins Ionic/Capacitor apps run on.
const DefaultAllowedOrigins = "capacitor://localhost,ionic://localhost,http://localhost,https://localhost,http://localhost:8100"

// LoadConfig reads the environment through getenv. The signing keys come from
// SIGNING_KEYS (JSON), SIGNING_KEY (one key) or the Secrets Manager secret named by
// SIGNING_KEY_SECRET_ARN, in that order.
func LoadConfig(ctx context.Context, getenv func(string) string) (Config, error) {
	c := Config{
		UsersTable:       getenv("USERS_TABLE"),
		BlacklistTable:   getenv("BLACKLIST_TABLE"),
		DynamoDBEndpoint: getenv("DYNAMODB_ENDPOINT"),
		AllowedOrigins:   orDefault(getenv("ALLOWED_ORIGINS"), DefaultAllowedOrigins),
	}
	var errs []error
	durations := []struct {
		name   string
		def    string
		into   *time.Duration
		allow0 bool
	}{
		{"ACCESS_TOKEN_LIFETIME", "5m", &c.AccessLifetime, false},
		{"REFRESH_TOKEN_LIFETIME", "4320h", &c.RefreshLifetime, false},
		{"REFRESH_REUSE_INTERVAL", "10s", &c.ReuseInterval, true},
		{"SESSION_MAX_LIFETIME", "0", &c.SessionCap, true},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(orDefault(getenv(d.name), d.def))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: not a Go duration (like 5m or 4320h)", d.name))
		case v < 0 || (v == 0 && !d.allow0):
			errs = append(errs, fmt.Errorf("%s: must be positive", d.name))
		}
		*d.into = v
	}
	if c.UsersTable == "" || c.BlacklistTable == "" {
		errs = append(errs, errors.New("USERS_TABLE and BLACKLIST_TABLE are required"))
	}
	read, err := signingSecret(ctx, getenv)
	if err == nil {
		c.Keys, err = read(ctx)
	}
	if err != nil {
		errs = append(errs, err)
	} else if getenv("SIGNING_KEYS") == "" && getenv("SIGNING_KEY") == "" {
		c.KeySource = read
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// signingSecret returns how to read the key set: from SIGNING_KEYS or SIGNING_KEY, or from
// the Secrets Manager secret named by SIGNING_KEY_SECRET_ARN (read again on rotation).
func signingSecret(ctx context.Context, getenv func(string) string) (token.KeySource, error) {
	for _, name := range []string{"SIGNING_KEYS", "SIGNING_KEY"} {
		if v := getenv(name); v != "" {
			return func(context.Context) (token.KeySet, error) { return token.ParseKeySet(v) }, nil
		}
	}
	arn := getenv("SIGNING_KEY_SECRET_ARN")
	if arn == "" {
		return nil, errors.New("no signing key: set SIGNING_KEY, SIGNING_KEYS or SIGNING_KEY_SECRET_ARN")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing key secret: aws config: %w", err)
	}
	client := secretsmanager.NewFromConfig(awsCfg)
	return func(ctx context.Context) (token.KeySet, error) {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return token.KeySet{}, fmt.Errorf("signing key secret: %w", err)
		}
		return token.ParseKeySet(aws.ToString(out.SecretString))
	}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// TokenOptions are the token settings of c, with clock now (nil: time.Now).
func (c Config) TokenOptions(now func() time.Time) token.Options {
	return token.Options{
		Keys: c.Keys, KeySource: c.KeySource, AccessLifetime: c.AccessLifetime, RefreshLifetime: c.RefreshLifetime,
		SessionCap: c.SessionCap, Now: now,
	}
}
