package bedrock

import "github.com/tollgate-gw/tollgate/internal/wire/rawjson"

// appendString is the name this package's tests use for the JSON string
// encoder, which the codec once kept its own copy of and now takes from
// rawjson.
var appendString = rawjson.AppendString
