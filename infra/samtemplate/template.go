// Package samtemplate reads template.yaml, the single source of truth for routes, tables,
// parameters and environment, for the tests and the local runtime. It understands the
// subset of SAM this project uses and refuses, with a one-line error, anything the local
// runtime could not reproduce faithfully (a named stage, a CorsConfiguration, path
// parameters, secondary indexes, ...), so local behaviour never silently drifts from AWS.
// Resources it does not run (alarms, log groups, ...) are kept as written, for checks.
package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is what the local runtime needs from template.yaml.
type Template struct {
	// API is the template's one AWS::Serverless::HttpApi.
	API API
	// Functions in template order.
	Functions []Function
	// Tables (AWS::DynamoDB::Table) in template order.
	Tables []Table
	// Parameters holds each parameter's value: its Default, or the override given to Load.
	Parameters map[string]string
	// ParameterSpecs holds every declared parameter's constraints; Load checks each value
	// against them as CloudFormation does.
	ParameterSpecs map[string]ParameterSpec
	// Conditions holds each condition's truth for the parameter values in force.
	Conditions map[string]bool
	// Resources lists every resource as written, in template order, for checks on what the
	// local runtime does not run (alarms, log groups, the API's stage settings).
	Resources []Resource
}

// ParameterSpec is a parameter's declaration.
type ParameterSpec struct {
	Type          string // String, Number, ...
	AllowedValues []string
	MinValue      string // Number only; "" when unset
	MaxValue      string
}

// API is the HTTP API the routes belong to.
type API struct {
	LogicalID string
	StageName string // always "$default": a named stage would put /<stage> into rawPath
}

// Function is an AWS::Serverless::Function with Globals.Function merged in.
type Function struct {
	LogicalID     string
	CodeURI       string
	BuildMethod   string // Metadata.BuildMethod: "makefile" means a build-<LogicalID> target
	Runtime       string
	Handler       string
	Architectures []string
	MemorySize    int // MB; Lambda's default 128 when unset
	Timeout       int // seconds; Lambda's default 3 when unset
	// Environment is Globals' variables overlaid with the function's own, resolved as the
	// local runtime sees them: !Ref <Parameter> is the parameter's value, !Ref <Resource>
	// the resource's logical id (locally the table name), !Sub substitutes both.
	Environment map[string]string
	Routes      []Route // in template order
	Policies    []Policy
	// Properties are the function's properties as written, merged over Globals.Function the
	// way SAM merges them (see Resource for the value shapes).
	Properties map[string]any
}

// Route is one HttpApi event, as written in the template.
type Route struct {
	Method string // ANY, GET, POST, ...
	Path   string // no trailing slash: /auth/users/me
}

// RouteKey is the route as API Gateway names it in an event's routeKey: "ANY /auth/users/me".
func (r Route) RouteKey() string { return r.Method + " " + r.Path }

// Policy is one entry of a function's Policies. An inline statement has Effect and Actions;
// a SAM policy template or a managed policy has Name. Resources are references as
// written: "UsersTable.Arn" for !GetAtt UsersTable.Arn, "SigningKeySecret" for !Ref.
type Policy struct {
	Name      string
	Effect    string
	Actions   []string
	Resources []string
}

// Table is an AWS::DynamoDB::Table. Locally its logical id is its name.
type Table struct {
	LogicalID    string
	HashKey      string
	HashKeyType  string // S, N or B
	TTLAttribute string // "" when TTL is off
}

// Lambda's defaults when a function sets no MemorySize or Timeout.
const (
	defaultMemorySize = 128
	defaultTimeout    = 3
)

// Load reads a SAM template. paramOverrides replace parameter defaults (locally from
// PARAM_<Name>); naming a parameter the template lacks is an error.
func Load(path string, paramOverrides map[string]string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	return parse(filepath.Base(path), data, paramOverrides)
}

// parse is Load without the file; name prefixes every error.
func parse(name string, data []byte, overrides map[string]string) (t *Template, err error) {
	// yaml.v3 has panicked on hostile input before; a bad template must stay an error.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%s: cannot parse: %v", name, r)
		}
	}()
	t, err = decode(data, overrides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// The raw shapes below keep every value that may hold an intrinsic function as a yaml.Node
// (resolved explicitly) and every other value as a literal, which rejects intrinsics:
// decoding `!Ref X` into a plain string would silently yield "X".

type rawTemplate struct {
	Parameters yaml.Node  `yaml:"Parameters"`
	Conditions yaml.Node  `yaml:"Conditions"`
	Globals    rawGlobals `yaml:"Globals"`
	Resources  yaml.Node  `yaml:"Resources"`
}

type rawGlobals struct {
	Function *rawFunction `yaml:"Function"`
	HTTPAPI  *rawHTTPAPI  `yaml:"HttpApi"`
	// FunctionNode is Function again, undecoded, for Function.Properties.
	FunctionNode yaml.Node `yaml:"-"`
}

// UnmarshalYAML keeps the Function section's node beside its decoded form.
func (g *rawGlobals) UnmarshalYAML(n *yaml.Node) error {
	type plain rawGlobals
	if err := n.Decode((*plain)(g)); err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "Function" {
				g.FunctionNode = *n.Content[i+1]
			}
		}
	}
	return nil
}

type rawParameter struct {
	Type          *literal  `yaml:"Type"`
	Default       *literal  `yaml:"Default"`
	AllowedValues []literal `yaml:"AllowedValues"`
	MinValue      *literal  `yaml:"MinValue"`
	MaxValue      *literal  `yaml:"MaxValue"`
}

type rawResource struct {
	Type       literal     `yaml:"Type"`
	Condition  *literal    `yaml:"Condition"`
	Metadata   rawMetadata `yaml:"Metadata"`
	Properties yaml.Node   `yaml:"Properties"`
}

type rawMetadata struct {
	BuildMethod *literal `yaml:"BuildMethod"`
}

type rawFunction struct {
	CodeURI       *literal       `yaml:"CodeUri"`
	Runtime       *literal       `yaml:"Runtime"`
	Handler       *literal       `yaml:"Handler"`
	Architectures []literal      `yaml:"Architectures"`
	MemorySize    *literal       `yaml:"MemorySize"`
	Timeout       *literal       `yaml:"Timeout"`
	Environment   rawEnvironment `yaml:"Environment"`
	Events        yaml.Node      `yaml:"Events"`
	Policies      yaml.Node      `yaml:"Policies"`
}

type rawEnvironment struct {
	Variables yaml.Node `yaml:"Variables"`
}

type rawHTTPAPI struct {
	StageName         *literal  `yaml:"StageName"`
	CorsConfiguration yaml.Node `yaml:"CorsConfiguration"`
	DefinitionBody    yaml.Node `yaml:"DefinitionBody"`
	DefinitionURI     yaml.Node `yaml:"DefinitionUri"`
}

type rawEvent struct {
	Type       literal   `yaml:"Type"`
	Properties yaml.Node `yaml:"Properties"`
}

type rawHTTPAPIEvent struct {
	APIID                yaml.Node `yaml:"ApiId"`
	Method               *literal  `yaml:"Method"`
	Path                 *literal  `yaml:"Path"`
	PayloadFormatVersion *literal  `yaml:"PayloadFormatVersion"`
}

type rawTable struct {
	TableName               yaml.Node      `yaml:"TableName"`
	AttributeDefinitions    []rawAttribute `yaml:"AttributeDefinitions"`
	KeySchema               []rawKey       `yaml:"KeySchema"`
	TimeToLiveSpecification *rawTTL        `yaml:"TimeToLiveSpecification"`
	GlobalSecondaryIndexes  yaml.Node      `yaml:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes   yaml.Node      `yaml:"LocalSecondaryIndexes"`
}

type rawAttribute struct {
	AttributeName literal `yaml:"AttributeName"`
	AttributeType literal `yaml:"AttributeType"`
}

type rawKey struct {
	AttributeName literal `yaml:"AttributeName"`
	KeyType       literal `yaml:"KeyType"`
}

type rawTTL struct {
	AttributeName literal `yaml:"AttributeName"`
	Enabled       literal `yaml:"Enabled"`
}

type rawPolicyDocument struct {
	Statement yaml.Node `yaml:"Statement"`
}

type rawStatement struct {
	Effect   literal   `yaml:"Effect"`
	Action   yaml.Node `yaml:"Action"`
	Resource yaml.Node `yaml:"Resource"`
}

const (
	typeFunction = "AWS::Serverless::Function"
	typeHTTPAPI  = "AWS::Serverless::HttpApi"
	typeTable    = "AWS::DynamoDB::Table"
)

func decode(data []byte, overrides map[string]string) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, oneLine(err)
	}
	if err := noAliases(&doc); err != nil {
		return nil, err
	}
	var raw rawTemplate
	if err := doc.Decode(&raw); err != nil {
		return nil, oneLine(err)
	}
	if raw.Resources.Kind == 0 {
		return nil, errors.New("no Resources")
	}
	params, specs, err := parameters(&raw.Parameters, overrides)
	if err != nil {
		return nil, err
	}
	resources, err := pairs(&raw.Resources, "Resources")
	if err != nil {
		return nil, err
	}
	r := &resolver{params: params, types: map[string]string{}}
	if err := r.declareConditions(&raw.Conditions); err != nil {
		return nil, err
	}
	decoded := make([]rawResource, len(resources))
	for i, p := range resources {
		if err := p.value.Decode(&decoded[i]); err != nil {
			return nil, fmt.Errorf("resource %s: %w", p.key, oneLine(err))
		}
		if _, dup := params[p.key]; dup {
			return nil, fmt.Errorf("resource %s: a parameter has the same name", p.key)
		}
		if decoded[i].Type == "" {
			return nil, fmt.Errorf("resource %s: no Type", p.key)
		}
		r.types[p.key] = string(decoded[i].Type)
	}
	conditions, err := r.evalConditions()
	if err != nil {
		return nil, err
	}

	t := &Template{Parameters: params, ParameterSpecs: specs, Conditions: conditions}
	if g := raw.Globals.HTTPAPI; g != nil {
		if err := checkHTTPAPI(g); err != nil {
			return nil, fmt.Errorf("Globals.HttpApi: %w", err)
		}
	}
	for i, p := range resources {
		res := &decoded[i]
		var err error
		switch res.Type {
		case typeHTTPAPI:
			err = t.addAPI(p.key, res)
		case typeFunction:
			err = t.addFunction(p.key, res, &raw.Globals, r)
		case typeTable:
			err = t.addTable(p.key, res)
		case "AWS::Serverless::SimpleTable", "AWS::Serverless::Api":
			err = fmt.Errorf("type %s is not supported (use %s / %s)", res.Type, typeTable, typeHTTPAPI)
		}
		if err == nil {
			var rs Resource
			if rs, err = resource(p.key, res, r); err == nil {
				t.Resources = append(t.Resources, rs)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind(string(res.Type)), p.key, err)
		}
	}
	if err := t.checkRoutes(); err != nil {
		return nil, err
	}
	return t, nil
}

// kind names a resource in errors the way a reader thinks of it.
func kind(typ string) string {
	switch typ {
	case typeFunction:
		return "function"
	case typeTable:
		return "table"
	case typeHTTPAPI:
		return "api"
	}
	return "resource"
}

func parameters(n *yaml.Node, overrides map[string]string) (map[string]string, map[string]ParameterSpec, error) {
	params := map[string]string{}
	specs := map[string]ParameterSpec{}
	if n.Kind != 0 {
		ps, err := pairs(n, "Parameters")
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			var rp rawParameter
			if err := p.value.Decode(&rp); err != nil {
				return nil, nil, fmt.Errorf("parameter %s: %w", p.key, oneLine(err))
			}
			spec := ParameterSpec{Type: pick(rp.Type, nil), MinValue: pick(rp.MinValue, nil), MaxValue: pick(rp.MaxValue, nil)}
			for _, v := range rp.AllowedValues {
				spec.AllowedValues = append(spec.AllowedValues, string(v))
			}
			specs[p.key] = spec
			if rp.Default != nil {
				params[p.key] = string(*rp.Default)
			}
		}
	}
	for k, v := range overrides {
		if _, ok := specs[k]; !ok {
			return nil, nil, fmt.Errorf("parameter override %s: the template declares no such parameter", k)
		}
		params[k] = v
	}
	for k, v := range params {
		if err := specs[k].check(v); err != nil {
			return nil, nil, fmt.Errorf("parameter %s: %w", k, err)
		}
	}
	return params, specs, nil
}

// check refuses a value CloudFormation would refuse, so a local override cannot run a
// configuration that could never be deployed.
func (s ParameterSpec) check(v string) error {
	if len(s.AllowedValues) > 0 && !slices.Contains(s.AllowedValues, v) {
		return fmt.Errorf("value %q is not one of AllowedValues %v", v, s.AllowedValues)
	}
	if s.Type != "Number" {
		return nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("value %q is not a Number", v)
	}
	for _, b := range []struct {
		limit string
		out   func(limit float64) bool
		name  string
	}{
		{s.MinValue, func(l float64) bool { return n < l }, "MinValue"},
		{s.MaxValue, func(l float64) bool { return n > l }, "MaxValue"},
	} {
		if b.limit == "" {
			continue
		}
		l, err := strconv.ParseFloat(b.limit, 64)
		if err != nil {
			return fmt.Errorf("%s %q is not a number", b.name, b.limit)
		}
		if b.out(l) {
			return fmt.Errorf("value %s is outside %s %s", v, b.name, b.limit)
		}
	}
	return nil
}

func checkHTTPAPI(a *rawHTTPAPI) error {
	if a.StageName != nil && *a.StageName != "$default" {
		return fmt.Errorf("StageName %q: only $default is supported (a named stage puts /%s into rawPath)", *a.StageName, *a.StageName)
	}
	if a.CorsConfiguration.Kind != 0 {
		return errors.New("CorsConfiguration is not supported: the functions answer CORS, and API Gateway would drop their headers")
	}
	if a.DefinitionBody.Kind != 0 || a.DefinitionURI.Kind != 0 {
		return errors.New("DefinitionBody/DefinitionUri are not supported: routes come from the functions' HttpApi events")
	}
	return nil
}

func (t *Template) addAPI(id string, res *rawResource) error {
	if res.Condition != nil {
		return errors.New("Condition is not supported: the local gateway would serve the API whatever the condition says")
	}
	if t.API.LogicalID != "" {
		return fmt.Errorf("a second %s (already %s): the local gateway serves one API", typeHTTPAPI, t.API.LogicalID)
	}
	var a rawHTTPAPI
	if res.Properties.Kind != 0 {
		if err := res.Properties.Decode(&a); err != nil {
			return oneLine(err)
		}
	}
	if err := checkHTTPAPI(&a); err != nil {
		return err
	}
	t.API = API{LogicalID: id, StageName: "$default"}
	return nil
}

func (t *Template) addFunction(id string, res *rawResource, g *rawGlobals, r *resolver) error {
	if res.Condition != nil {
		return errors.New("Condition is not supported: the local runtime would run the function whatever the condition says")
	}
	var own rawFunction
	if res.Properties.Kind != 0 {
		if err := res.Properties.Decode(&own); err != nil {
			return oneLine(err)
		}
	}
	globals := g.Function
	if globals == nil {
		globals = &rawFunction{}
	}
	fn := Function{
		LogicalID:   id,
		CodeURI:     pick(own.CodeURI, globals.CodeURI),
		Runtime:     pick(own.Runtime, globals.Runtime),
		Handler:     pick(own.Handler, globals.Handler),
		BuildMethod: pick(res.Metadata.BuildMethod, nil),
		Environment: map[string]string{},
	}
	if fn.CodeURI == "" {
		return errors.New("no CodeUri")
	}
	// Lambda takes exactly one architecture, so the function's own list replaces Globals'.
	arch := own.Architectures
	if arch == nil {
		arch = globals.Architectures
	}
	for _, a := range arch {
		fn.Architectures = append(fn.Architectures, string(a))
	}
	var err error
	if fn.MemorySize, err = number(pickLiteral(own.MemorySize, globals.MemorySize), defaultMemorySize); err != nil {
		return fmt.Errorf("MemorySize: %w", err)
	}
	if fn.Timeout, err = number(pickLiteral(own.Timeout, globals.Timeout), defaultTimeout); err != nil {
		return fmt.Errorf("Timeout: %w", err)
	}
	for _, vars := range []*yaml.Node{&globals.Environment.Variables, &own.Environment.Variables} {
		if err := r.environment(vars, fn.Environment); err != nil {
			return err
		}
	}
	if fn.Routes, err = t.routes(&own.Events, r); err != nil {
		return err
	}
	if fn.Policies, err = r.policies(&own.Policies); err != nil {
		return fmt.Errorf("Policies: %w", err)
	}
	globalProps, err := generic(&g.FunctionNode)
	if err != nil {
		return fmt.Errorf("Globals.Function: %w", err)
	}
	ownProps, err := generic(&res.Properties)
	if err != nil {
		return err
	}
	fn.Properties, _ = mergeGlobals(globalProps, ownProps).(map[string]any)
	t.Functions = append(t.Functions, fn)
	return nil
}

func (t *Template) routes(events *yaml.Node, r *resolver) ([]Route, error) {
	if events.Kind == 0 {
		return nil, nil
	}
	evs, err := pairs(events, "Events")
	if err != nil {
		return nil, err
	}
	var routes []Route
	for _, p := range evs {
		var ev rawEvent
		if err := p.value.Decode(&ev); err != nil {
			return nil, fmt.Errorf("event %s: %w", p.key, oneLine(err))
		}
		switch ev.Type {
		case "HttpApi":
		case "Api":
			return nil, fmt.Errorf("event %s: type Api (REST API, payload 1.0) is not supported; use HttpApi", p.key)
		default:
			continue // not an HTTP route: nothing for the gateway to serve
		}
		route, err := r.route(&ev.Properties)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", p.key, err)
		}
		routes = append(routes, route)
	}
	return routes, nil
}

var methods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

func (r *resolver) route(props *yaml.Node) (Route, error) {
	var ev rawHTTPAPIEvent
	if props.Kind != 0 {
		if err := props.Decode(&ev); err != nil {
			return Route{}, oneLine(err)
		}
	}
	// Without ApiId SAM creates an implicit API (with its own stage); require ours.
	name, arg, ok := intrinsic(&ev.APIID)
	if !ok || name != "Ref" || arg.Kind != yaml.ScalarNode || r.types[arg.Value] != typeHTTPAPI {
		return Route{}, fmt.Errorf("ApiId: want !Ref to the template's %s", typeHTTPAPI)
	}
	if ev.PayloadFormatVersion != nil && *ev.PayloadFormatVersion != "2.0" {
		return Route{}, fmt.Errorf("PayloadFormatVersion %s: the functions speak 2.0", *ev.PayloadFormatVersion)
	}
	if ev.Method == nil || ev.Path == nil {
		return Route{}, errors.New("Method and Path are required (no $default route: junk traffic invokes nothing)")
	}
	method, path := strings.ToUpper(string(*ev.Method)), string(*ev.Path)
	if !methods[method] {
		return Route{}, fmt.Errorf("Method %s: not an HTTP API method", *ev.Method)
	}
	switch {
	case !strings.HasPrefix(path, "/"):
		return Route{}, fmt.Errorf("Path %s: must start with /", path)
	case len(path) > 1 && strings.HasSuffix(path, "/"):
		return Route{}, fmt.Errorf("Path %s: must not end with / (API Gateway matches the trailing slash itself)", path)
	case strings.ContainsAny(path, "{}"):
		return Route{}, fmt.Errorf("Path %s: path parameters are not supported", path)
	}
	return Route{Method: method, Path: path}, nil
}

// checkRoutes rejects what API Gateway would reject: one route key served twice.
func (t *Template) checkRoutes() error {
	seen := map[string]string{}
	for _, fn := range t.Functions {
		for _, rt := range fn.Routes {
			if other, dup := seen[rt.RouteKey()]; dup {
				return fmt.Errorf("function %s: route %s is already served by %s", fn.LogicalID, rt.RouteKey(), other)
			}
			seen[rt.RouteKey()] = fn.LogicalID
		}
	}
	return nil
}

func (t *Template) addTable(id string, res *rawResource) error {
	if res.Condition != nil {
		return errors.New("Condition is not supported: the local runtime would create the table whatever the condition says")
	}
	var raw rawTable
	if res.Properties.Kind != 0 {
		if err := res.Properties.Decode(&raw); err != nil {
			return oneLine(err)
		}
	}
	switch {
	case raw.TableName.Kind != 0:
		return errors.New("TableName is not supported: CloudFormation names the table, locally the logical id is its name")
	case raw.GlobalSecondaryIndexes.Kind != 0 || raw.LocalSecondaryIndexes.Kind != 0:
		return errors.New("secondary indexes are not supported (extend samtemplate.Table first)")
	}
	tb := Table{LogicalID: id}
	for _, k := range raw.KeySchema {
		if k.KeyType != "HASH" {
			return fmt.Errorf("key %s: only a HASH key is supported, not %s", k.AttributeName, k.KeyType)
		}
		tb.HashKey = string(k.AttributeName)
	}
	if tb.HashKey == "" {
		return errors.New("KeySchema: no HASH key")
	}
	for _, a := range raw.AttributeDefinitions {
		if string(a.AttributeName) == tb.HashKey {
			tb.HashKeyType = string(a.AttributeType)
		}
	}
	switch tb.HashKeyType {
	case "S", "N", "B":
	case "":
		return fmt.Errorf("AttributeDefinitions: no type for key %s", tb.HashKey)
	default:
		return fmt.Errorf("AttributeDefinitions: key %s: type %s is not S, N or B", tb.HashKey, tb.HashKeyType)
	}
	if ttl := raw.TimeToLiveSpecification; ttl != nil {
		on, err := strconv.ParseBool(string(ttl.Enabled))
		if err != nil {
			return fmt.Errorf("TimeToLiveSpecification.Enabled %q: not a boolean", ttl.Enabled)
		}
		if on {
			tb.TTLAttribute = string(ttl.AttributeName)
		}
	}
	t.Tables = append(t.Tables, tb)
	return nil
}

// Match reports which route serves method and path (rawPath, as sent) the way API Gateway
// HTTP API does: the path equals the route's, or equals it plus one trailing slash; a route
// with the request's own method wins over ANY, and ANY matches every method.
func (t *Template) Match(method, path string) (fn *Function, route Route, ok bool) {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	for i := range t.Functions {
		for _, rt := range t.Functions[i].Routes {
			if rt.Path != path {
				continue
			}
			if rt.Method == method {
				return &t.Functions[i], rt, true
			}
			if rt.Method == "ANY" && !ok {
				fn, route, ok = &t.Functions[i], rt, true
			}
		}
	}
	return fn, route, ok
}

// Function returns the function with the given logical id.
func (t *Template) Function(logicalID string) (*Function, bool) {
	for i := range t.Functions {
		if t.Functions[i].LogicalID == logicalID {
			return &t.Functions[i], true
		}
	}
	return nil, false
}

// literal is a plain scalar: an intrinsic function, a list or a mapping is an error.
type literal string

func (l *literal) UnmarshalYAML(n *yaml.Node) error {
	if _, _, ok := intrinsic(n); ok {
		return fmt.Errorf("line %d: an intrinsic function is not supported here; want a plain value", n.Line)
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("line %d: want a plain value", n.Line)
	}
	*l = literal(n.Value)
	return nil
}

func pick(own, global *literal) string {
	if l := pickLiteral(own, global); l != nil {
		return string(*l)
	}
	return ""
}

func pickLiteral(own, global *literal) *literal {
	if own != nil {
		return own
	}
	return global
}

func number(l *literal, def int) (int, error) {
	if l == nil {
		return def, nil
	}
	n, err := strconv.Atoi(string(*l))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer", *l)
	}
	return n, nil
}

type pair struct {
	key   string
	value *yaml.Node
}

// pairs lists a mapping's entries in template order; yaml.v3 does not reject duplicate
// keys when decoding into a Node, so this does.
func pairs(n *yaml.Node, what string) ([]pair, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: want a mapping", what, n.Line)
	}
	out := make([]pair, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: line %d: want a plain key", what, k.Line)
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("%s: line %d: %s is defined twice", what, k.Line, k.Value)
		}
		seen[k.Value] = true
		out = append(out, pair{key: k.Value, value: n.Content[i+1]})
	}
	return out, nil
}

// noAliases refuses YAML aliases as CloudFormation does; it also keeps alias cycles and
// alias bombs away from the recursive walks here.
func noAliases(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return fmt.Errorf("line %d: YAML aliases are not allowed in CloudFormation templates", n.Line)
	}
	for _, c := range n.Content {
		if err := noAliases(c); err != nil {
			return err
		}
	}
	return nil
}

// oneLine folds yaml.v3's multi-line "unmarshal errors" into one line and names the shape
// wanted instead of this package's Go types.
func oneLine(err error) error {
	s := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  ")
	s = strings.ReplaceAll(s, "\n  ", "; ")
	s = goType.ReplaceAllStringFunc(s, func(t string) string {
		shape := "a mapping"
		if strings.HasSuffix(t, ".literal") {
			shape = "a plain value"
		}
		if strings.HasPrefix(t, "[]") {
			return "a list of " + strings.TrimPrefix(shape, "a ") + "s"
		}
		return shape
	})
	return errors.New(strings.ReplaceAll(s, "\n", `\n`))
}

var goType = regexp.MustCompile(`(\[\])?\*?samtemplate\.\w+`)
