package bedrock

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The codec is typed structs (types.go) on json/v2, the implementation
// behind Go's encoding/json/v2; only the API the two share is used, so the
// move to the standard library is an import swap.

// encodeOptions are the options every JSON document this package writes is
// marshalled with. Text from upstream models may hold invalid UTF-8, which
// becomes U+FFFD rather than failing a whole response; U+2028 and U+2029 are
// escaped, as encoding/json always did, because JavaScript cannot hold them
// raw in a string.
var encodeOptions = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.EscapeForJS(true))

// marshal encodes v with encodeOptions.
func marshal(v any) ([]byte, error) { return json.Marshal(v, encodeOptions) }
