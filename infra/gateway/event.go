package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// event is API Gateway HTTP API's payload format 2.0, with exactly the fields it sends for
// a route without authorizer, path parameters or stage variables. Our own type rather than
// aws-lambda-go's: that one always emits an empty requestContext.authentication.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpContext `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// accountID is the placeholder account SAM and the samples in events/ use.
const accountID = "123456789012"

// newEvent builds the event API Gateway sends for r on route.
func newEvent(r *http.Request, route samtemplate.Route, body []byte, apiID, requestID string, now time.Time) event {
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	domain := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")

	ev := event{
		Version:        "2.0",
		RouteKey:       route.RouteKey(),
		RawPath:        r.URL.EscapedPath(), // as sent: a trailing slash stays
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		RequestContext: requestContext{
			AccountID:    accountID,
			APIID:        apiID,
			DomainName:   domain,
			DomainPrefix: prefix,
			HTTP: httpContext{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: requestID,
			RouteKey:  route.RouteKey(),
			Stage:     "$default",
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
		},
	}

	// Header names lower-cased, repeated headers joined with commas; cookies move to their
	// own list.
	for name, values := range r.Header {
		name = strings.ToLower(name)
		if name == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[name] = strings.Join(values, ",")
	}
	ev.Headers["host"] = r.Host // Go keeps Host out of r.Header
	if len(body) > 0 && ev.Headers["content-length"] == "" {
		ev.Headers["content-length"] = strconv.Itoa(len(body)) // a chunked body, buffered
	}
	// What API Gateway adds: a trace id, and the client as seen by the edge.
	ev.Headers["x-amzn-trace-id"] = traceID(now)
	if xff := ev.Headers["x-forwarded-for"]; xff != "" {
		ev.Headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		ev.Headers["x-forwarded-for"] = sourceIP
	}
	ev.Headers["x-forwarded-port"] = localPort(r)
	ev.Headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		ev.Headers["x-forwarded-proto"] = "https"
	}

	if q := queryParameters(r.URL.RawQuery); len(q) > 0 {
		ev.QueryStringParameters = q
	}
	if len(body) > 0 {
		if textual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// queryParameters decodes the query string; repeated parameters are joined with commas,
// in their order. Unlike url.ParseQuery it drops nothing: a pair with a ';' or a bad
// escape is passed as written, as API Gateway does.
func queryParameters(raw string) map[string]string {
	q := map[string]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeOrRaw(k), unescapeOrRaw(v)
		if prev, ok := q[k]; ok {
			v = prev + "," + v
		}
		q[k] = v
	}
	return q
}

func unescapeOrRaw(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// textual reports whether API Gateway passes a body of this content type as text. It
// base64-encodes everything else, including form-encoded bodies and bodies without a
// content type (observed on HTTP APIs; the documentation lists no types).
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

func localPort(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			return port
		}
	}
	return ""
}

// newRequestID returns an id shaped like API Gateway's: 16 base64 characters.
func newRequestID() string {
	b := make([]byte, 11)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// traceID returns an X-Ray trace header: Root=1-<epoch seconds, hex>-<96 random bits, hex>.
func traceID(now time.Time) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%x", now.Unix(), b)
}
