package openai

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// MaxEventSize bounds one server-sent event read from an upstream, so a
// misbehaving upstream cannot make the gateway buffer without limit.
const MaxEventSize = 8 << 20

// ErrEventTooLarge is returned when an event exceeds MaxEventSize.
var ErrEventTooLarge = errors.New("server-sent event exceeds 8 MiB")

// ErrNotEventStream is returned for a line that is not a server-sent event
// field: what an HTML page, a JSON document or any other body read as a
// stream starts with.
var ErrNotEventStream = errors.New("not a server-sent event stream")

// EventReader reads server-sent events (text/event-stream) one at a time.
type EventReader struct {
	r     *bufio.Reader
	data  []byte
	event []byte
}

// NewEventReader returns a reader of the events in r.
func NewEventReader(r io.Reader) *EventReader {
	return &EventReader{r: bufio.NewReaderSize(r, 16<<10)}
}

// Next returns the data of the next event that has any, joining multi-line
// data with "\n". The slice is valid until the following call. At the end of
// the input it returns io.EOF; a final event without its blank line is still
// returned.
func (s *EventReader) Next() ([]byte, error) {
	s.data = s.data[:0]
	s.event = s.event[:0]
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && hasData {
				return s.data, nil // last event without a trailing blank line
			}
			return nil, err
		}
		if len(line) == 0 {
			if hasData {
				return s.data, nil
			}
			s.event = s.event[:0]
			continue
		}
		if line[0] == ':' {
			continue // comment / keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(field) {
		case "data":
			if hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			hasData = true
			if len(s.data) > MaxEventSize {
				return nil, ErrEventTooLarge
			}
		case "event":
			s.event = append(s.event[:0], value...)
		case "id", "retry":
		default:
			// The SSE spec ignores unknown fields, but no upstream sends
			// any: a line like "<html>" or `{"error": ...}` means the body
			// is something else, which must not pass for an empty stream.
			return nil, ErrNotEventStream
		}
	}
}

// Event returns the event name of the event Next last returned ("" when the
// event had none, which means "message").
func (s *EventReader) Event() string { return string(s.event) }

// readLine returns one line without its terminator (LF, CRLF or CR-less
// LF); the slice is valid until the next read.
func (s *EventReader) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = s.r.ReadSlice('\n')
			buf = append(buf, line...)
			if len(buf) > MaxEventSize {
				return nil, ErrEventTooLarge
			}
		}
		line = buf
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return trimEOL(line), nil
		}
		return nil, err
	}
	return trimEOL(line), nil
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// Done is the data of the event that ends an OpenAI stream.
const Done = "[DONE]"

// AppendEvent appends one SSE event carrying data to dst. Writing a whole
// event in one Write keeps events intact through Lambda's response pipe.
func AppendEvent(dst, data []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n')
}

// WriteEvent writes one SSE event carrying data.
func WriteEvent(w io.Writer, data []byte) error {
	_, err := w.Write(AppendEvent(make([]byte, 0, len(data)+8), data))
	return err
}

// WriteDone writes the event that ends an OpenAI stream.
func WriteDone(w io.Writer) error {
	_, err := io.WriteString(w, "data: [DONE]\n\n")
	return err
}

// AppendErrorEvent appends the event that reports a failure mid-stream, in
// the shape OpenAI's SDKs raise as an APIError, followed by nothing: the
// caller ends the stream after it.
func AppendErrorEvent(dst []byte, body ErrorBody) []byte {
	return AppendEvent(dst, AppendError(nil, body))
}

// AppendChunkEvent appends chunk framed as one SSE event, ready for a single
// Write.
func AppendChunkEvent(dst []byte, c *llm.Chunk, extra []llm.Field) []byte {
	dst = append(dst, "data: "...)
	dst = AppendChunk(dst, c, extra)
	return append(dst, '\n', '\n')
}
