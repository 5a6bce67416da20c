package samtemplate

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// resolver evaluates the intrinsic functions the template uses, as the local runtime sees
// them: a parameter is its value, a resource its logical id. Anything else is an error,
// never a silent empty string.
type resolver struct {
	params map[string]string // parameter values
	types  map[string]string // resource logical id -> Type
}

// intrinsic recognises a short form (!Ref X, !Sub s) or a long form ({Ref: X},
// {Fn::Sub: s}) and returns its name in long form and its argument.
func intrinsic(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name = strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		a := *n
		a.Tag = ""
		return name, &a, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1], true
		}
	}
	return "", nil, false
}

// value resolves n to a string. attrs allows !GetAtt, rendered "Id.Attr": fine for naming
// a policy's resource, meaningless as an environment value.
func (r *resolver) value(n *yaml.Node, attrs bool) (string, error) {
	name, arg, ok := intrinsic(n)
	if !ok {
		if n.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("line %d: want a string", n.Line)
		}
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	switch name {
	case "Ref":
		if arg.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("line %d: !Ref wants a name", n.Line)
		}
		return r.ref(arg.Value)
	case "Fn::Sub":
		return r.sub(arg, attrs)
	case "Fn::GetAtt":
		if !attrs {
			return "", fmt.Errorf("line %d: !GetAtt has no local value here", n.Line)
		}
		return r.getAtt(arg)
	}
	return "", fmt.Errorf("line %d: %s is not supported", n.Line, name)
}

func (r *resolver) ref(name string) (string, error) {
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if _, ok := r.types[name]; ok {
		return name, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return "", fmt.Errorf("!Ref %s: pseudo parameters have no local value", name)
	}
	return "", fmt.Errorf("!Ref %s: no parameter with a value and no resource of that name", name)
}

func (r *resolver) getAtt(arg *yaml.Node) (string, error) {
	var id, attr string
	switch arg.Kind {
	case yaml.ScalarNode:
		id, attr, _ = strings.Cut(arg.Value, ".")
	case yaml.SequenceNode:
		if len(arg.Content) == 2 {
			id, attr = arg.Content[0].Value, arg.Content[1].Value
		}
	}
	if id == "" || attr == "" {
		return "", fmt.Errorf("line %d: !GetAtt wants Resource.Attribute", arg.Line)
	}
	if _, ok := r.types[id]; !ok {
		return "", fmt.Errorf("!GetAtt %s.%s: no resource %s", id, attr, id)
	}
	return id + "." + attr, nil
}

// sub evaluates Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" or [text, {Name: value}].
func (r *resolver) sub(arg *yaml.Node, attrs bool) (string, error) {
	text, vars := arg, map[string]string{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 {
			return "", fmt.Errorf("line %d: !Sub wants [text, variables]", arg.Line)
		}
		text = arg.Content[0]
		ps, err := pairs(arg.Content[1], "!Sub variables")
		if err != nil {
			return "", err
		}
		for _, p := range ps {
			v, err := r.value(p.value, attrs)
			if err != nil {
				return "", fmt.Errorf("!Sub variable %s: %w", p.key, err)
			}
			vars[p.key] = v
		}
	}
	if text.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: !Sub wants a string", arg.Line)
	}
	var b strings.Builder
	s := text.Value
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("line %d: !Sub: unclosed ${", text.Line)
		}
		b.WriteString(s[:i])
		v, err := r.subVar(s[i+2:i+j], vars, attrs)
		if err != nil {
			return "", fmt.Errorf("!Sub: %w", err)
		}
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

func (r *resolver) subVar(name string, vars map[string]string, attrs bool) (string, error) {
	if lit, ok := strings.CutPrefix(name, "!"); ok {
		return "${" + lit + "}", nil
	}
	if v, ok := vars[name]; ok {
		return v, nil
	}
	if strings.Contains(name, ".") {
		if !attrs {
			return "", fmt.Errorf("${%s} has no local value here", name)
		}
		return r.getAtt(&yaml.Node{Kind: yaml.ScalarNode, Value: name})
	}
	return r.ref(name)
}

// environment resolves Environment.Variables into env, overwriting what is there (so a
// function's own variables win over Globals').
func (r *resolver) environment(vars *yaml.Node, env map[string]string) error {
	if vars.Kind == 0 {
		return nil
	}
	ps, err := pairs(vars, "Environment.Variables")
	if err != nil {
		return err
	}
	for _, p := range ps {
		v, err := r.value(p.value, false)
		if err != nil {
			return fmt.Errorf("environment %s: %w", p.key, err)
		}
		env[p.key] = v
	}
	return nil
}

// policies reads SAM's Policies: a managed policy name, a policy template
// ({Name: {params}}), an inline document ({Statement: [...]}), or a list of these.
func (r *resolver) policies(n *yaml.Node) ([]Policy, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Policy
	for _, item := range items {
		if _, _, ok := intrinsic(item); ok || item.Kind == yaml.ScalarNode {
			name, err := r.value(item, true)
			if err != nil {
				return nil, err
			}
			out = append(out, Policy{Name: name})
			continue
		}
		ps, err := pairs(item, "policy")
		if err != nil {
			return nil, err
		}
		if len(ps) == 1 && ps[0].key != "Statement" {
			refs, err := r.references(ps[0].value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ps[0].key, err)
			}
			out = append(out, Policy{Name: ps[0].key, Resources: refs})
			continue
		}
		stmts, err := r.statements(item)
		if err != nil {
			return nil, err
		}
		out = append(out, stmts...)
	}
	return out, nil
}

func (r *resolver) statements(doc *yaml.Node) ([]Policy, error) {
	var raw rawPolicyDocument
	if err := doc.Decode(&raw); err != nil {
		return nil, oneLine(err)
	}
	list := &raw.Statement
	if list.Kind == 0 {
		return nil, fmt.Errorf("line %d: a policy document without Statement", doc.Line)
	}
	items := []*yaml.Node{list}
	if list.Kind == yaml.SequenceNode {
		items = list.Content
	}
	var out []Policy
	for _, s := range items {
		var st rawStatement
		if err := s.Decode(&st); err != nil {
			return nil, fmt.Errorf("Statement: %w", oneLine(err))
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("Statement: line %d: Effect must be Allow or Deny", s.Line)
		}
		actions, err := r.references(&st.Action)
		if err != nil {
			return nil, fmt.Errorf("Statement: Action: %w", err)
		}
		resources, err := r.references(&st.Resource)
		if err != nil {
			return nil, fmt.Errorf("Statement: Resource: %w", err)
		}
		out = append(out, Policy{Effect: string(st.Effect), Actions: actions, Resources: resources})
	}
	return out, nil
}

// references flattens a value, a list of values, or a policy template's parameter mapping
// into resolved strings.
func (r *resolver) references(n *yaml.Node) ([]string, error) {
	if _, _, ok := intrinsic(n); ok || n.Kind == yaml.ScalarNode {
		v, err := r.value(n, true)
		if err != nil {
			return nil, err
		}
		return []string{v}, nil
	}
	var out []string
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.SequenceNode:
		for _, c := range n.Content {
			v, err := r.references(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
	case yaml.MappingNode:
		ps, err := pairs(n, "parameters")
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v, err := r.references(p.value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.key, err)
			}
			out = append(out, v...)
		}
	default:
		return nil, errors.New("unexpected value")
	}
	return out, nil
}
