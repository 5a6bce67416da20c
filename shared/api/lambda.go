package api

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/token"
)

// Deps is what every function's handler is built from, once per cold start.
type Deps struct {
	Config Config
	Store  *store.Store
	Tokens *token.Issuer
	CORS   CORS
	Log    *slog.Logger
}

// NewDeps reads the configuration and builds the DynamoDB client and token issuer.
func NewDeps(ctx context.Context, getenv func(string) string) (Deps, error) {
	cfg, err := LoadConfig(ctx, getenv)
	if err != nil {
		return Deps{}, err
	}
	db, err := store.NewClient(ctx, cfg.DynamoDBEndpoint)
	if err != nil {
		return Deps{}, err
	}
	tokens, err := token.NewIssuer(cfg.TokenOptions(nil))
	if err != nil {
		return Deps{}, err
	}
	return Deps{
		Config: cfg,
		Store:  store.New(db, cfg.UsersTable, cfg.BlacklistTable),
		Tokens: tokens,
		CORS:   NewCORS(cfg.AllowedOrigins),
		Log:    slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}, nil
}

// Start is a function's whole main: build the handler once, then serve API Gateway
// HTTP API (payload v2) events. A configuration error ends the process with one log line.
func Start(build func(Deps) http.Handler) {
	deps, err := NewDeps(context.Background(), os.Getenv)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(httpadapter.NewV2(build(deps)).ProxyWithContext)
}
