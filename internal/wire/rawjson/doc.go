// Package rawjson reads and writes JSON in place, for the wire codecs that
// decode and encode on the request path without reflection.
//
// The scanner walks the bytes of a document that Check has accepted: Object
// and Array iterate over members and elements without copying them, member
// names are handed out as bytes (no allocation unless a name has escapes), and
// Unquote decodes a string token exactly as encoding/json would. It reports
// positions and kinds, not messages: each codec words its own errors and
// keeps its own field-path conventions.
//
// The appender writes into a caller's byte slice: AppendString escapes as
// encoding/json does without HTML escaping, AppendFloat and AppendInt write
// numbers, and AppendKey and AppendSep place the commas, which they infer from
// the last byte written, so that raw JSON can be spliced in between. Builder
// wraps the same functions as methods for encoders that write many members.
package rawjson
