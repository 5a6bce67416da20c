package api

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON decodes a request body the way DRF's JSONParser (Python's json module) does,
// so error messages match the server we replace ("Expecting value: line 1 column 10
// (char 9)") and duplicate keys keep the last value. It never echoes Go's error text.
// Values are map[string]any, []any, string, number (the literal text), bool or nil.
func parseJSON(body []byte) (any, error) {
	if !utf8.Valid(body) {
		n := invalidUTF8Offset(body)
		return nil, fmt.Errorf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid start byte", body[n], n)
	}
	p := &jsonParser{src: string(body)}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errAt("Extra data", p.pos)
	}
	return v, nil
}

// jsonNumber keeps a number's literal text: DRF's CharField turns numbers into their text.
type jsonNumber string

// maxJSONDepth stops deep nesting before it costs anything (Python would hit its
// recursion limit and answer 500).
const maxJSONDepth = 64

type jsonParser struct {
	src string
	pos int
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}

// errAt formats Python's JSONDecodeError: positions count characters, not bytes.
func (p *jsonParser) errAt(msg string, byteOffset int) error {
	prefix := p.src[:byteOffset]
	char := utf8.RuneCountInString(prefix)
	line := strings.Count(prefix, "\n") + 1
	col := char + 1
	if nl := strings.LastIndexByte(prefix, '\n'); nl >= 0 {
		col = utf8.RuneCountInString(prefix[nl+1:]) + 1
	}
	return fmt.Errorf("%s: line %d column %d (char %d)", msg, line, col, char)
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.errAt("Maximum nesting depth exceeded", p.pos)
	}
	if p.pos >= len(p.src) {
		return nil, p.errAt("Expecting value", p.pos)
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case strings.HasPrefix(p.src[p.pos:], "true"):
		p.pos += 4
		return true, nil
	case strings.HasPrefix(p.src[p.pos:], "false"):
		p.pos += 5
		return false, nil
	case strings.HasPrefix(p.src[p.pos:], "null"):
		p.pos += 4
		return nil, nil
	default:
		// Python accepts NaN and Infinity but DRF refuses them; both end in this message.
		return nil, p.errAt("Expecting value", p.pos)
	}
}

func (p *jsonParser) object(depth int) (any, error) {
	obj := map[string]any{}
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return nil, p.errAt("Expecting property name enclosed in double quotes", p.pos)
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errAt("Expecting ':' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v // the last duplicate wins, as in Python
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return obj, nil
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return nil, p.errAt("Expecting ',' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	arr := []any{}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return nil, p.errAt("Expecting ',' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
	}
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.src) && p.src[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errAt("Expecting value", start)
	}
	if p.pos+1 < len(p.src) && p.src[p.pos] == '.' && isDigit(p.src[p.pos+1]) {
		p.pos++
		digits()
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		save := p.pos
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			p.pos = save
		}
	}
	return jsonNumber(p.src[start:p.pos]), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *jsonParser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.errAt("Unterminated string starting at", start)
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", p.errAt("Invalid control character at", p.pos)
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

func (p *jsonParser) escape(b *strings.Builder) error {
	at := p.pos
	p.pos++ // backslash
	if p.pos >= len(p.src) {
		return p.errAt("Unterminated string starting at", at)
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return p.errAt("Invalid \\uXXXX escape", at+1)
		}
		if utf16.IsSurrogate(r) && strings.HasPrefix(p.src[p.pos:], `\u`) {
			save := p.pos
			p.pos += 2
			if r2, ok := p.hex4(); ok {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					b.WriteRune(pair)
					return nil
				}
			}
			p.pos = save
		}
		b.WriteRune(r) // a lone surrogate becomes U+FFFD
	default:
		return p.errAt("Invalid \\escape", at)
	}
	return nil
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.src) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

// pythonTypeName names a decoded value's type as DRF's messages do.
func pythonTypeName(v any) string {
	switch v := v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case jsonNumber:
		if strings.ContainsAny(string(v), ".eE") {
			return "float"
		}
		return "int"
	case nil:
		return "NoneType"
	default:
		return "dict"
	}
}
