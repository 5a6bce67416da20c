package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

func TestRequestLogLine(t *testing.T) {
	var logs bytes.Buffer
	rt := NewRouter(NewCORS(""), slog.New(slog.NewJSONHandler(&logs, nil)), Route{Path: "/x", Methods: map[string]HandlerFunc{
		http.MethodPost: func(w http.ResponseWriter, r *http.Request) error {
			if _, ok := r.Context().Deadline(); !ok {
				t.Error("the request has no deadline")
			}
			SetUserID(r.Context(), "5e3b7bad-be57-466c-98b1-fdc08896b8a5")
			return TokenInvalid("Token is invalid or expired")
		},
	}})
	req := httptest.NewRequest(http.MethodPost, "/x/", strings.NewReader(`{"password":"hunter2-secret"}`))
	req.Header.Set("Authorization", "Bearer secret-token-value")
	rt.ServeHTTP(httptest.NewRecorder(), req)

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("got %q, want one JSON line: %v", logs.String(), err)
	}
	for k, want := range map[string]any{"msg": "request", "method": "POST", "path": "/x/", "status": 401.0, "dynamodb_calls": 0.0, "user_id": "5e3b7bad-be57-466c-98b1-fdc08896b8a5"} {
		if line[k] != want {
			t.Errorf("%s: got %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms in %v", line)
	}
	for _, secret := range []string{"hunter2", "secret-token-value"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log carries %q: %s", secret, logs.String())
		}
	}
}

// A request must give up on DynamoDB (503) before Lambda kills the function.
func TestRequestDeadlineIsBelowTheFunctionTimeouts(t *testing.T) {
	tmpl, err := samtemplate.Load("../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range tmpl.Functions {
		if timeout := time.Duration(fn.Timeout) * time.Second; requestTimeout >= timeout {
			t.Errorf("%s: request deadline %v, function timeout %v", fn.LogicalID, requestTimeout, timeout)
		}
	}
}

func TestPanicBecomesTheGenericAnswer(t *testing.T) {
	var logs bytes.Buffer
	rt := NewRouter(NewCORS(""), slog.New(slog.NewJSONHandler(&logs, nil)), Route{Path: "/x", Methods: map[string]HandlerFunc{
		http.MethodGet: func(http.ResponseWriter, *http.Request) error { panic("a bug") },
	}})
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != 500 || rec.Body.String() != `{"detail":"A server error occurred."}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), `"panic":"a bug"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the panic or the request line is missing from the log: %s", logs.String())
	}
}
