package upstream

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Upper bounds on a non-streaming answer, per operation. They bound what one
// call can make the gateway hold, so that an upstream (or whatever answers
// in its place) cannot push a 512 MB Lambda out of memory. Each is several
// times the largest legitimate answer: a chat completion with logprobs for
// every token of a long generation; 2,048 embeddings of 3,072 dimensions as
// JSON numbers; ten base64 images of several MiB each. Streams are not
// capped as a whole, only per event (see wire.MaxEventSize and the AWS
// event-stream decoder's message limit).
const (
	MaxChatBytes      = 32 << 20
	MaxEmbeddingBytes = 64 << 20
	MaxImageBytes     = 64 << 20
	// MaxErrorBytes bounds an error body, which is only ever shown as a
	// message.
	MaxErrorBytes = 64 << 10
)

// ErrTooLarge is returned when an answer exceeds its cap.
var ErrTooLarge = errors.New("upstream answer exceeds the size limit")

// TooLarge is the error for an answer over limit bytes: an upstream fault,
// worth another deployment like a 5xx.
func TooLarge(providerName string, limit int64) *provider.Error {
	return &provider.Error{
		Kind:     provider.KindUnavailable,
		Provider: providerName,
		Status:   http.StatusBadGateway,
		Message:  fmt.Sprintf("upstream answer exceeds %d MiB", limit>>20),
		Err:      ErrTooLarge,
	}
}

// Timeout is the error for a call one of the limits ended. what says which
// limit in words, such as "did not answer within 5m0s".
func Timeout(providerName, what string, err error) *provider.Error {
	return &provider.Error{
		Kind:     provider.KindTimeout,
		Provider: providerName,
		Status:   http.StatusGatewayTimeout,
		Message:  "upstream " + what,
		Err:      err,
	}
}

// First and largest chunk sizes of ReadAll for a body of unknown length.
const (
	firstChunk = 512
	maxChunk   = 1 << 20
)

// ReadAll reads r to its end like io.ReadAll, but refuses more than limit
// bytes with ErrTooLarge, and never holds much more than it has read: a
// body of known size (the Content-Length, -1 when unknown) is read into
// one buffer of that size, and one of unknown size into a list of chunks
// (growing to 1 MiB each) joined once at the end. io.ReadAll's doubling
// would instead hold about twice the limit at the moment of refusal.
// Reading to the end matters: only then does the transport pool the
// connection.
func ReadAll(r io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, ErrTooLarge
	}
	if size >= 0 {
		b := make([]byte, size+1) // room to observe EOF (a body longer than announced fails in the transport)
		n, err := io.ReadFull(r, b)
		switch err {
		case io.ErrUnexpectedEOF, io.EOF:
			return b[:n], nil
		case nil:
			return nil, fmt.Errorf("body longer than its Content-Length %d", size)
		}
		return nil, err
	}
	var chunks [][]byte
	var total int64
	next := int64(firstChunk)
	for {
		// A chunk never takes the total past limit+1: one byte over is
		// enough to know the answer is too large.
		c := make([]byte, min(next, limit+1-total))
		n, err := io.ReadFull(r, c)
		total += int64(n)
		if n > 0 {
			chunks = append(chunks, c[:n])
		}
		if total > limit {
			return nil, ErrTooLarge
		}
		switch err {
		case nil:
			next = min(next*2, maxChunk)
			continue
		case io.EOF, io.ErrUnexpectedEOF:
		default:
			return nil, err
		}
		if len(chunks) == 1 {
			return chunks[0], nil
		}
		out := make([]byte, 0, total)
		for _, c := range chunks {
			out = append(out, c...)
		}
		return out, nil
	}
}

// CapReader returns a reader of r that fails with ErrTooLarge once more
// than limit bytes come out of it, for bodies that a library (the AWS SDK)
// reads itself.
func CapReader(r io.ReadCloser, limit int64) io.ReadCloser {
	return &capReader{r: r, left: limit}
}

type capReader struct {
	r    io.ReadCloser
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 {
		// Anything more is one byte too many.
		var probe [1]byte
		n, err := c.r.Read(probe[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capReader) Close() error { return c.r.Close() }
