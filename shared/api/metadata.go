package api

import (
	"bytes"
	"net/http"
)

// Metadata is what DRF's SimpleMetadata answers to a plain OPTIONS request (not a CORS
// preflight): the view's name and description, what it renders and parses, and the fields
// its POST or PUT takes.
type Metadata struct {
	Name        string
	Description string
	// Method is the action whose Fields are described ("POST" or "PUT"); "" for none.
	Method string
	Fields []MetaField
}

// MetaField describes one serializer field, as DRF does.
type MetaField struct {
	Name      string
	Type      string // "string", "email"
	Required  bool
	ReadOnly  bool
	Label     string
	MaxLength int
}

// The media types every endpoint parses, and what DRF lists as rendered.
var (
	metaRenders = []string{"application/json", "text/html"}
	metaParses  = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}
)

// render writes the body in DRF's key order.
func (m Metadata) render() []byte {
	type field struct {
		Type      string `json:"type"`
		Required  bool   `json:"required"`
		ReadOnly  bool   `json:"read_only"`
		Label     string `json:"label"`
		MaxLength int    `json:"max_length,omitempty"`
	}
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	b.Write(mustJSON(m.Name))
	b.WriteString(`,"description":`)
	b.Write(mustJSON(m.Description))
	b.WriteString(`,"renders":`)
	b.Write(mustJSON(metaRenders))
	b.WriteString(`,"parses":`)
	b.Write(mustJSON(metaParses))
	if m.Method != "" {
		b.WriteString(`,"actions":{`)
		b.Write(mustJSON(m.Method))
		b.WriteString(`:{`)
		for n, f := range m.Fields {
			if n > 0 {
				b.WriteByte(',')
			}
			b.Write(mustJSON(f.Name))
			b.WriteByte(':')
			b.Write(mustJSON(field{f.Type, f.Required, f.ReadOnly, f.Label, f.MaxLength}))
		}
		b.WriteString(`}}`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// WriteMetadata answers an OPTIONS request with m (for routes that authenticate first).
func WriteMetadata(w http.ResponseWriter, m Metadata) error {
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(m.render())
	return err
}
