package samtemplate

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// resolver evaluates the intrinsic functions the template uses, as the local runtime sees
// them: a parameter is its value, a resource its logical id, a condition its truth for
// those values. Anything else is an error, never a silent empty string.
type resolver struct {
	params     map[string]string     // parameter values
	types      map[string]string     // resource logical id -> Type
	conditions map[string]*yaml.Node // condition name -> its definition
	truth      map[string]bool       // evaluated conditions
	evaluating map[string]bool       // conditions being evaluated, to catch cycles
}

// errNoValue is !Ref AWS::NoValue: the property it stands for is left out.
var errNoValue = errors.New("!Ref AWS::NoValue removes a value, which is supported only for an environment variable")

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
		if arg.Value == "AWS::NoValue" {
			return "", errNoValue
		}
		return r.ref(arg.Value)
	case "Fn::Sub":
		return r.sub(arg, attrs)
	case "Fn::GetAtt":
		if !attrs {
			return "", fmt.Errorf("line %d: !GetAtt has no local value here", n.Line)
		}
		return r.getAtt(arg)
	case "Fn::If":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 || arg.Content[0].Kind != yaml.ScalarNode {
			return "", fmt.Errorf("line %d: !If wants [condition, value if true, value if false]", n.Line)
		}
		on, err := r.condition(arg.Content[0].Value)
		if err != nil {
			return "", fmt.Errorf("line %d: !If: %w", n.Line, err)
		}
		if on {
			return r.value(arg.Content[1], attrs)
		}
		return r.value(arg.Content[2], attrs)
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
		if errors.Is(err, errNoValue) {
			delete(env, p.key) // CloudFormation drops the variable, a Globals' one included
			continue
		}
		if err != nil {
			return fmt.Errorf("environment %s: %w", p.key, err)
		}
		env[p.key] = v
	}
	return nil
}

// declareConditions records the Conditions section; evalConditions evaluates it once the
// resources are known.
func (r *resolver) declareConditions(n *yaml.Node) error {
	r.conditions = map[string]*yaml.Node{}
	r.truth = map[string]bool{}
	r.evaluating = map[string]bool{}
	if n.Kind == 0 {
		return nil
	}
	ps, err := pairs(n, "Conditions")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, dup := r.params[p.key]; dup {
			return fmt.Errorf("condition %s: a parameter has the same name", p.key)
		}
		r.conditions[p.key] = p.value
	}
	return nil
}

func (r *resolver) evalConditions() (map[string]bool, error) {
	out := make(map[string]bool, len(r.conditions))
	for name := range r.conditions {
		v, err := r.condition(name)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// condition evaluates a named condition with the parameter values in force.
func (r *resolver) condition(name string) (bool, error) {
	if v, ok := r.truth[name]; ok {
		return v, nil
	}
	def, ok := r.conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s in Conditions", name)
	}
	if r.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	r.evaluating[name] = true
	defer delete(r.evaluating, name)
	v, err := r.conditionValue(def)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	r.truth[name] = v
	return v, nil
}

// conditionValue evaluates Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition references.
func (r *resolver) conditionValue(n *yaml.Node) (bool, error) {
	name, arg, ok := intrinsic(n)
	if !ok && n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Condition" {
		name, arg, ok = "Condition", n.Content[1], true
	}
	if !ok {
		return false, fmt.Errorf("line %d: want Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition", n.Line)
	}
	if name == "Condition" {
		if arg.Kind != yaml.ScalarNode {
			return false, fmt.Errorf("line %d: Condition wants a name", n.Line)
		}
		return r.condition(arg.Value)
	}
	if arg.Kind != yaml.SequenceNode {
		return false, fmt.Errorf("line %d: %s wants a list", n.Line, name)
	}
	args := arg.Content
	switch name {
	case "Fn::Equals":
		if len(args) != 2 {
			return false, fmt.Errorf("line %d: Fn::Equals wants two values", n.Line)
		}
		a, err := r.value(args[0], false)
		if err != nil {
			return false, err
		}
		b, err := r.value(args[1], false)
		if err != nil {
			return false, err
		}
		return a == b, nil
	case "Fn::Not":
		if len(args) != 1 {
			return false, fmt.Errorf("line %d: Fn::Not wants one condition", n.Line)
		}
		v, err := r.conditionValue(args[0])
		return !v, err
	case "Fn::And", "Fn::Or":
		if len(args) < 2 || len(args) > 10 {
			return false, fmt.Errorf("line %d: %s wants 2 to 10 conditions", n.Line, name)
		}
		and := name == "Fn::And"
		for _, c := range args {
			v, err := r.conditionValue(c)
			if err != nil {
				return false, err
			}
			if v != and {
				return v, nil
			}
		}
		return and, nil
	}
	return false, fmt.Errorf("line %d: %s is not a condition function", n.Line, name)
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
