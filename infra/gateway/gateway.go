// Package gateway is a local API Gateway HTTP API: it routes requests as template.yaml
// declares (samtemplate's Match), builds payload format 2.0 events as API Gateway builds
// them, invokes the function, and maps its response back, answering with API Gateway's own
// JSON messages where API Gateway would.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jwtauth/jwtauth/infra/rie"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// Invoker runs one function; *rie.Pool is one. Errors wrapping rie.ErrTimeout or a
// context error are timeouts, anything else a failed invocation.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (rie.Result, error)
}

var _ Invoker = (*rie.Pool)(nil)

// Options for New.
type Options struct {
	Template  *samtemplate.Template
	Functions map[string]Invoker // by logical id; every function with a route needs one
	APIID     string             // requestContext.apiId; "" = "local"
	Observe   func(Entry)        // called once per request, after the answer; nil = none
}

// Entry describes one request, for logging.
type Entry struct {
	Method, Path string
	Status       int
	Function     string        // logical id; "" when no route matched
	Elapsed      time.Duration // at the gateway, queueing included
	Report       rie.Report    // the function's REPORT; zero when none
	Err          error         // why the gateway answered 502 or 503 itself
}

// Limits API Gateway HTTP API applies.
const (
	integrationTimeout = 30 * time.Second
	maxBody            = 10 << 20
)

// Gateway is an http.Handler serving the template's routes.
type Gateway struct {
	opts Options
}

// New checks that every routed function has an invoker.
func New(opts Options) (*Gateway, error) {
	for _, fn := range opts.Template.Functions {
		if _, ok := opts.Functions[fn.LogicalID]; !ok && len(fn.Routes) > 0 {
			return nil, fmt.Errorf("gateway: no invoker for %s", fn.LogicalID)
		}
	}
	if opts.APIID == "" {
		opts.APIID = "local"
	}
	return &Gateway{opts: opts}, nil
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	e := Entry{Method: r.Method, Path: r.URL.RequestURI()}
	e.Status, e.Function, e.Report, e.Err = g.serve(w, r, start)
	e.Elapsed = time.Since(start)
	if g.opts.Observe != nil {
		g.opts.Observe(e)
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, start time.Time) (status int, function string, rep rie.Report, err error) {
	requestID := newRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	fn, route, ok := g.opts.Template.Match(r.Method, r.URL.EscapedPath())
	if !ok {
		return message(w, http.StatusNotFound, "Not Found"), "", rep, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return message(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), fn.LogicalID, rep, nil
		}
		return message(w, http.StatusBadRequest, "Bad Request"), fn.LogicalID, rep, err
	}
	payload, err := json.Marshal(newEvent(r, route, body, g.opts.APIID, requestID, start))
	if err != nil {
		return message(w, http.StatusInternalServerError, "Internal Server Error"), fn.LogicalID, rep, err
	}

	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	res, err := g.opts.Functions[fn.LogicalID].Invoke(ctx, payload)
	switch {
	case errors.Is(err, rie.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return message(w, http.StatusServiceUnavailable, "Service Unavailable"), fn.LogicalID, res.Report, err
	case err != nil:
		return message(w, http.StatusBadGateway, "Internal Server Error"), fn.LogicalID, res.Report, err
	}
	resp, err := parseResponse(res.Payload)
	if err != nil {
		return message(w, http.StatusBadGateway, "Internal Server Error"), fn.LogicalID, res.Report, err
	}
	resp.write(w)
	return resp.status, fn.LogicalID, res.Report, nil
}

// message writes one of API Gateway's own answers.
func message(w http.ResponseWriter, status int, text string) int {
	body, _ := json.Marshal(map[string]string{"message": text})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// response is a function's answer in payload format 2.0.
type response struct {
	status  int
	headers http.Header
	body    []byte
}

// wireResponse is the structured form of a 2.0 response. It has no multiValueHeaders:
// API Gateway ignores them in format 2.0, so honouring them here would hide a bug.
type wireResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// Headers the gateway's own HTTP server sets.
var hopByHop = []string{"Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive"}

// parseResponse reads a function's answer as API Gateway does: a JSON object with a
// statusCode is a structured response; any other valid JSON is a 200 whose body is that
// JSON; anything else is a malformed response.
func parseResponse(payload []byte) (response, error) {
	if !json.Valid(payload) {
		return response{}, fmt.Errorf("gateway: malformed Lambda response (not JSON): %.100s", payload)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil || fields["statusCode"] == nil {
		h := http.Header{"Content-Type": {"application/json"}}
		return response{status: http.StatusOK, headers: h, body: payload}, nil
	}
	var wr wireResponse
	if err := json.Unmarshal(payload, &wr); err != nil {
		return response{}, fmt.Errorf("gateway: malformed Lambda response: %w", err)
	}
	if wr.StatusCode < 100 || wr.StatusCode > 599 {
		return response{}, fmt.Errorf("gateway: malformed Lambda response: statusCode %d", wr.StatusCode)
	}
	resp := response{status: wr.StatusCode, headers: http.Header{}, body: []byte(wr.Body)}
	if wr.IsBase64Encoded {
		body, err := base64.StdEncoding.DecodeString(wr.Body)
		if err != nil {
			return response{}, fmt.Errorf("gateway: malformed Lambda response: body is not base64: %w", err)
		}
		resp.body = body
	}
	for name, v := range wr.Headers {
		resp.headers.Set(name, v)
	}
	for _, c := range wr.Cookies {
		resp.headers.Add("Set-Cookie", c)
	}
	for _, name := range hopByHop {
		resp.headers.Del(name)
	}
	return resp, nil
}

func (resp response) write(w http.ResponseWriter) {
	h := w.Header()
	for name, values := range resp.headers {
		h[name] = values
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // pass the absence on: no content sniffing
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// String is the entry as one compact log line.
func (e Entry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s → %d", e.Method, e.Path, e.Status)
	if e.Function != "" {
		fmt.Fprintf(&b, " %s", e.Function)
		if e.Report.Instance > 0 {
			fmt.Fprintf(&b, "#%d", e.Report.Instance)
		}
	}
	fmt.Fprintf(&b, " in %s", ms(e.Elapsed))
	if e.Report.Duration > 0 {
		fmt.Fprintf(&b, " (Duration %s", ms(e.Report.Duration))
		if e.Report.Cold() {
			fmt.Fprintf(&b, ", cold: Init Duration %s, runtime init %s", ms(e.Report.InitDuration), ms(e.Report.RuntimeInit))
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
