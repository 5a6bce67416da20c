package api

import (
	"reflect"
	"testing"
)

// The wanted messages are Python 3.11's json.loads errors for the same input.
func TestParseJSONMatchesPython(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"email":`, "Expecting value: line 1 column 10 (char 9)"},
		{`{"email": "x@example.com",`, "Expecting property name enclosed in double quotes: line 1 column 27 (char 26)"},
		{`{"refresh":`, "Expecting value: line 1 column 12 (char 11)"},
		{`{"a":1} x`, "Extra data: line 1 column 9 (char 8)"},
		{`{"a" 1}`, "Expecting ':' delimiter: line 1 column 6 (char 5)"},
		{`{"a":1 "b":2}`, "Expecting ',' delimiter: line 1 column 8 (char 7)"},
		{`{"a":"\q"}`, `Invalid \escape: line 1 column 7 (char 6)`},
		{`{"a":"abc`, "Unterminated string starting at: line 1 column 6 (char 5)"},
		{`[1,2`, "Expecting ',' delimiter: line 1 column 5 (char 4)"},
		{`nul`, "Expecting value: line 1 column 1 (char 0)"},
		{`{"a":"éé",}`, "Expecting property name enclosed in double quotes: line 1 column 11 (char 10)"},
		{"{\"a\":\n  tru}", "Expecting value: line 2 column 3 (char 8)"},
		{"{\"a\":\"x\ty\"}", "Invalid control character at: line 1 column 8 (char 7)"},
		{`{"a":"\u12"}`, `Invalid \uXXXX escape: line 1 column 8 (char 7)`},
		{`01`, "Extra data: line 1 column 2 (char 1)"},
		{"\xff{}", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"},
	}
	for _, c := range cases {
		_, err := parseJSON([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
	}
}

func TestParseJSONValues(t *testing.T) {
	got, err := parseJSON([]byte(` {"a":"x","a":"y","n":-1.5e3,"b":[true,false,null],"o":{},"u":"\u00e9\ud83d\ude00"} `))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "y", "n": jsonNumber("-1.5e3"), "b": []any{true, false, nil}, "o": map[string]any{}, "u": "é😀"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestParseJSONDepthIsBounded(t *testing.T) {
	deep := make([]byte, 0, 2000)
	for i := 0; i < 1000; i++ {
		deep = append(deep, '[')
	}
	if _, err := parseJSON(deep); err == nil {
		t.Error("got no error for 1000 nested arrays")
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[`, `{"a":"\u12`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseJSON(b) // must never panic
	})
}
