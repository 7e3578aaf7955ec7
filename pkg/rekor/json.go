package rekor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// fields maps the exact JSON keys of an object to where their values go.
type fields map[string]any

// decodeObject decodes one JSON object into fields. Unlike encoding/json it matches keys
// exactly (not case-insensitively) and refuses unknown keys, repeated keys, missing
// required keys and trailing data: an entry body means one thing to every reader.
func decodeObject(data []byte, f fields, required ...string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("object key is not a string")
		}
		if seen[key] {
			return fmt.Errorf("repeated key %q", key)
		}
		seen[key] = true
		target, ok := f[key]
		if !ok {
			return fmt.Errorf("unknown key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if f, ok := target.(jsonFunc); ok {
			err = f(raw)
		} else {
			err = json.Unmarshal(raw, target)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	for _, k := range required {
		if !seen[k] {
			return fmt.Errorf("missing key %q", k)
		}
	}
	return nil
}
