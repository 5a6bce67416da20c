package samtemplate

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Resource is one resource as written. Property values keep the template's shape: a
// scalar is its text (10, true and "10" are all "10"-like strings), a list is []any, a
// mapping map[string]any, an intrinsic function an Intrinsic, a null nil.
type Resource struct {
	LogicalID  string
	Type       string
	Condition  string // the resource's Condition attribute; "" when unconditional
	Properties map[string]any
}

// Intrinsic is an intrinsic function as written, in long form: !Ref X is
// Intrinsic{"Ref", "X"}; !If [C, a, b] is Intrinsic{"Fn::If", []any{"C", "a", "b"}}.
type Intrinsic struct {
	Name string
	Arg  any
}

// Resource returns the resource with the given logical id.
func (t *Template) Resource(logicalID string) (*Resource, bool) {
	for i := range t.Resources {
		if t.Resources[i].LogicalID == logicalID {
			return &t.Resources[i], true
		}
	}
	return nil, false
}

// ResourcesOfType lists the resources of one type, in template order.
func (t *Template) ResourcesOfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func resource(id string, res *rawResource, r *resolver) (Resource, error) {
	rs := Resource{LogicalID: id, Type: string(res.Type)}
	if res.Condition != nil {
		rs.Condition = string(*res.Condition)
		if _, ok := r.conditions[rs.Condition]; !ok {
			return Resource{}, fmt.Errorf("Condition %s: no such condition in Conditions", rs.Condition)
		}
	}
	props, err := generic(&res.Properties)
	if err != nil {
		return Resource{}, err
	}
	switch p := props.(type) {
	case nil:
	case map[string]any:
		rs.Properties = p
	default:
		return Resource{}, fmt.Errorf("line %d: Properties: want a mapping", res.Properties.Line)
	}
	return rs, nil
}

// generic converts a node into the shapes Resource documents.
func generic(n *yaml.Node) (any, error) {
	if name, arg, ok := intrinsic(n); ok {
		v, err := generic(arg)
		if err != nil {
			return nil, err
		}
		return Intrinsic{Name: name, Arg: v}, nil
	}
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := generic(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		ps, err := pairs(n, "Properties")
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(ps))
		for _, p := range ps {
			v, err := generic(p.value)
			if err != nil {
				return nil, err
			}
			out[p.key] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// mergeGlobals merges a function's own value over Globals' as SAM does: mappings merge key
// by key, lists concatenate (Globals' first), anything else (an intrinsic or a null
// included) is replaced by the function's own.
func mergeGlobals(global, own any) any {
	switch g := global.(type) {
	case nil:
		return own
	case map[string]any:
		o, ok := own.(map[string]any)
		if !ok {
			break
		}
		out := make(map[string]any, len(g)+len(o))
		for k, v := range g {
			out[k] = v
		}
		for k, v := range o {
			if gv, ok := g[k]; ok {
				v = mergeGlobals(gv, v)
			}
			out[k] = v
		}
		return out
	case []any:
		if o, ok := own.([]any); ok {
			return append(append([]any{}, g...), o...)
		}
	}
	return own
}
