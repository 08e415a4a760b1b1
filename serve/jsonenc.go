package serve

import (
	"unicode/utf8"

	"github.com/churnlabs/churn/models"
)

// The score routes are the hot path, and most of their time went to
// encoding/json's reflection over a map of contributions. They append
// their JSON by hand with these helpers and jsonfloat.Append instead,
// which write exactly what encoding/json would, except that unknown
// numbers become null.

// encodedNames holds a model's strings already encoded, since every
// score repeats them.
type encodedNames struct {
	// keys[j] is `"feature_j":`, an object key ready for its value.
	keys    [][]byte
	version []byte
}

func encodeNames(a *models.Artifact) encodedNames {
	e := encodedNames{keys: make([][]byte, len(a.Features)), version: appendString(nil, a.Version)}
	for j, f := range a.Features {
		e.keys[j] = append(appendString(nil, f), ':')
	}
	return e
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// and U+2028 and U+2029 are escaped because JavaScript parsers that
// predate ES2019 take them for line ends. HTML characters are not
// escaped: responses are application/json, never inlined in a page.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] is pending, needing no escape
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
