package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/jwtauth/jwtauth/shared/store"
)

// HandlerFunc handles one method of one route. It writes the success response itself and
// returns an error for everything else; *Error is shown to the client, anything else is
// logged and hidden.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one path (without trailing slash) and its handlers by method.
type Route struct {
	Path    string
	Methods map[string]HandlerFunc
	// Metadata answers a plain OPTIONS request, unless Methods has its own OPTIONS handler.
	Metadata Metadata
}

// Router serves exact paths, with or without one trailing slash, as API Gateway routes
// them. It answers 404, 405 (with Allow), HEAD, OPTIONS and CORS for every function.
type Router struct {
	routes map[string]route
	cors   CORS
	log    *slog.Logger
}

type route struct {
	methods  map[string]HandlerFunc
	allow    string
	metadata []byte
}

// NewRouter builds a router for routes.
func NewRouter(cors CORS, log *slog.Logger, routes ...Route) *Router {
	rt := &Router{routes: map[string]route{}, cors: cors, log: log}
	for _, r := range routes {
		rt.routes[r.Path] = route{methods: r.Methods, allow: allowHeader(r.Methods), metadata: r.Metadata.render()}
	}
	return rt
}

// Paths lists the routed paths, sorted: tests compare them with template.yaml.
func (rt *Router) Paths() []string {
	out := make([]string, 0, len(rt.routes))
	for p := range rt.routes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// allowHeader lists methods in DRF's order, with HEAD where GET is served, and OPTIONS.
func allowHeader(methods map[string]HandlerFunc) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := methods[m]; ok {
			out = append(out, m)
		}
	}
	if _, ok := methods[http.MethodGet]; ok {
		out = append(out, http.MethodHead)
	}
	return strings.Join(append(out, http.MethodOptions), ", ")
}

// requestTimeout bounds a request's DynamoDB work well below the functions' 10 s Timeout in
// template.yaml, so an unreachable DynamoDB gets a 503 instead of a Lambda timeout.
const requestTimeout = 6 * time.Second

// ServeHTTP serves one request under a deadline and logs one line for it: route, status,
// duration, DynamoDB calls, request ids and the user where known. Never a token, a
// password or a body.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	ctx, calls := store.WithCallCount(ctx)
	ctx, info := withRequestInfo(ctx)
	rec := &statusRecorder{ResponseWriter: w}
	rt.serveRecovering(rec, r.WithContext(ctx))

	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Int64("dynamodb_calls", calls.Load()),
	}
	if lc, ok := core.GetRuntimeContextFromContextV2(r.Context()); ok && lc != nil {
		attrs = append(attrs, slog.String("request_id", lc.AwsRequestID))
	}
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		attrs = append(attrs, slog.String("api_request_id", gw.RequestID))
	}
	if id := info.userID(); id != "" {
		attrs = append(attrs, slog.String("user_id", id))
	}
	rt.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// serveRecovering turns a panic, a bug of ours, into the generic answer and a log line
// instead of a crashed invocation.
func (rt *Router) serveRecovering(w *statusRecorder, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			rt.log.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if w.status == 0 {
				rt.write(w, r, internalError())
			}
		}
	}()
	rt.serve(w, r)
}

func (rt *Router) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if rt.cors.preflight(w, r) {
		return
	}
	rt.cors.decorate(w, r)

	path := r.URL.Path
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	rte, ok := rt.routes[path]
	if !ok {
		rt.write(w, r, NotFound())
		return
	}
	h.Set("Allow", rte.allow)
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
		w = headWriter{w}
	}
	handler, ok := rte.methods[method]
	switch {
	case ok:
		if err := handler(w, r); err != nil {
			rt.write(w, r, err)
		}
	case r.Method == http.MethodOptions:
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(rte.metadata)
	default:
		rt.write(w, r, MethodNotAllowed(r.Method))
	}
}

func (rt *Router) write(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr):
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		rt.log.WarnContext(r.Context(), "store unavailable", "path", r.URL.Path, "error", err)
		apiErr = Unavailable()
	default:
		rt.log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "error", err)
		apiErr = internalError()
	}
	for k, v := range apiErr.header {
		w.Header()[k] = v
	}
	w.WriteHeader(apiErr.Status)
	_, _ = w.Write(apiErr.body)
}

// JSON writes a success response.
func JSON(w http.ResponseWriter, status int, body any) error {
	w.WriteHeader(status)
	_, err := w.Write(mustJSON(body))
	return err
}

// NoContent writes a 204 without a body or Content-Type, as DRF does.
func NoContent(w http.ResponseWriter) error {
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// headWriter drops the body of a HEAD answer but keeps its headers and status.
type headWriter struct{ http.ResponseWriter }

func (headWriter) Write(b []byte) (int, error) { return len(b), nil }

// CORS answers browsers from the allowed origins; API Gateway has no CorsConfiguration, so
// the functions are the only place CORS happens.
type CORS struct {
	origins map[string]bool
}

// NewCORS takes a comma-separated origin list (ALLOWED_ORIGINS).
func NewCORS(list string) CORS {
	c := CORS{origins: map[string]bool{}}
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.origins[o] = true
		}
	}
	return c
}

const (
	corsAllowMethods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
	corsAllowHeaders = "authorization, content-type"
)

func (c CORS) allowed(r *http.Request) (string, bool) {
	origin := r.Header.Get("Origin")
	return origin, origin != "" && c.origins[origin]
}

// preflight answers a browser's OPTIONS preflight with 204; an origin not allowed gets no
// Access-Control headers, so the browser refuses.
func (c CORS) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h := w.Header()
	h.Del("Content-Type")
	if origin, ok := c.allowed(r); ok {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", "600")
		h.Set("Vary", "Origin")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

func (c CORS) decorate(w http.ResponseWriter, r *http.Request) {
	if origin, ok := c.allowed(r); ok {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		h.Set("Vary", "Origin")
	}
}
