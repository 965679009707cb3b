package bedrock

import (
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// DecodeError reports a Converse request that is not valid: malformed JSON, a
// member of the wrong type, a missing required member, an unknown member or a
// feature the gateway cannot carry. ErrorFor answers it with Bedrock's
// ValidationException, as the real service would.
type DecodeError struct {
	// Field is the JSON path of the offending member, e.g.
	// "messages[2].content[0].image.format"; empty when the problem is the
	// body as a whole.
	Field string
	// Message says what is wrong with it.
	Message string
}

// Error returns the path and the problem, e.g. "messages[0].role: is required".
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// The decoder reports errors relative to the value it was given and each
// caller prefixes its own path segment on the way out, so the success path
// never builds path strings.

// at prefixes the member name field to err's path.
func at(err error, field string) error {
	if de, ok := err.(*DecodeError); ok && field != "" {
		switch {
		case de.Field == "":
			de.Field = field
		case de.Field[0] == '[':
			de.Field = field + de.Field
		default:
			de.Field = field + "." + de.Field
		}
	}
	return err
}

// atIndex prefixes the array element field[i] to err's path.
func atIndex(err error, field string, i int) error {
	return at(at(err, "["+strconv.Itoa(i)+"]"), field)
}

func wrongType(want string, v []byte) error {
	return &DecodeError{Message: "must be " + want + ", got " + rawjson.KindOf(v).String()}
}

func unknownField(m *rawjson.Members) error {
	return &DecodeError{Field: string(m.Key()), Message: "unknown field"}
}

func required(field string) error {
	return &DecodeError{Field: field, Message: "is required"}
}

func unsupported(field, why string) error {
	return &DecodeError{Field: field, Message: "is not supported by this gateway: " + why}
}

// quote returns s as a JSON string, for error messages.
func quote(s string) string { return string(rawjson.AppendString(nil, s)) }
