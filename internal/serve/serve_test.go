package serve_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/serve"
)

// messages is a slog.Handler that passes each record's message to a channel,
// so a test can wait for the server to reach a point in its lifecycle.
type messages chan string

func (m messages) Enabled(context.Context, slog.Level) bool { return true }
func (m messages) Handle(_ context.Context, r slog.Record) error {
	m <- r.Message
	return nil
}
func (m messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m messages) WithGroup(string) slog.Handler      { return m }

// waitFor drains log messages until msg arrives.
func (m messages) waitFor(t *testing.T, msg string) {
	t.Helper()
	for got := range m {
		if got == msg {
			return
		}
	}
}

// start serves h on a loopback port and returns its address, a function
// that cancels the server's context, one that waits for Serve's result, and
// the server's log messages.
func start(t *testing.T, h http.Handler, opts serve.Options) (addr string, stop context.CancelFunc, served func() error, logs messages) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs = make(messages, 64)
	opts.Logger = slog.New(logs)
	ctx, cancel := context.WithCancel(context.Background())
	var result error
	done := make(chan struct{})
	go func() {
		result = serve.Serve(ctx, ln, h, opts)
		close(done)
	}()
	logs.waitFor(t, "listening")
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String(), cancel, func() error { <-done; return result }, logs
}

func clientFor(proto string) *http.Client {
	var p http.Protocols
	if proto == "HTTP/2.0" {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

var protos = []string{"HTTP/1.1", "HTTP/2.0"}

// TestProtocols checks that one port speaks HTTP/1.1 and h2c.
func TestProtocols(t *testing.T) {
	addr, _, _, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}), serve.Options{})
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			c := clientFor(proto)
			defer c.CloseIdleConnections()
			resp, err := c.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != proto || resp.Proto != proto {
				t.Errorf("server saw %s, client %s; want %s", b, resp.Proto, proto)
			}
		})
	}
}

// TestGracefulShutdown checks that a stream in flight when the context ends
// is finished before Serve returns, and that no new connection is accepted.
func TestGracefulShutdown(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			release := make(chan struct{})
			var finished atomic.Bool
			addr, stop, served, logs := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "data: 1\n\n")
				_ = http.NewResponseController(w).Flush()
				<-release
				_, _ = io.WriteString(w, "data: 2\n\n")
				finished.Store(true)
			}), serve.Options{ShutdownTimeout: time.Minute})

			resp, err := clientFor(proto).Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			if line, err := br.ReadString('\n'); err != nil || line != "data: 1\n" {
				t.Fatalf("first line %q, %v", line, err)
			}

			stop()
			logs.waitFor(t, "shutting down")
			close(release)
			err = served()
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
			if !finished.Load() {
				t.Error("Serve returned before the handler finished")
			}
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: 2\n\n" {
				t.Errorf("rest of the stream %q, %v", rest, err)
			}
			if conn, err := net.Dial("tcp", addr); err == nil {
				conn.Close()
				t.Error("a new connection was accepted after shutdown")
			}
		})
	}
}

// TestShutdownTimeout checks that a request that outlives the shutdown
// timeout is cut and reported.
func TestShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	addr, stop, served, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: 1\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), serve.Options{ShutdownTimeout: time.Millisecond})
	resp, err := clientFor("HTTP/1.1").Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "data: 1\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	stop()
	if err := served(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve returned %v, want context.DeadlineExceeded", err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("the cut stream ended cleanly")
	}
}

// TestReadHeaderTimeout checks that a client that never finishes its headers
// is disconnected.
func TestReadHeaderTimeout(t *testing.T) {
	addr, _, _, _ := start(t, http.NotFoundHandler(), serve.Options{ReadHeaderTimeout: 50 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection (after a 408 or nothing at all).
	if b, err := io.ReadAll(conn); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("reading after the timeout: %q, %v", b, err)
	}
}

func TestRunErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = serve.Run(context.Background(), http.NotFoundHandler(), serve.Options{Addr: ln.Addr().String(), Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Run on a busy address returned %v, want an error naming it", err)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := serve.Serve(context.Background(), closed, http.NotFoundHandler(), serve.Options{Logger: slog.New(slog.DiscardHandler)}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve on a closed listener returned %v, want net.ErrClosed", err)
	}
}

// guard fails a test that would otherwise hang: the server must act long
// before it. It is a bound on failure, not a wait for success.
const guard = 10 * time.Second

// readToClose reads conn until the server closes it and returns what came.
func readToClose(t *testing.T, conn net.Conn) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(guard)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open; read %q", b)
	}
	return string(b)
}

// TestSlowClientsAreDisconnected: a client that sends its body too slowly,
// or keeps a connection open without a new request, is disconnected.
func TestSlowClientsAreDisconnected(t *testing.T) {
	const limit = 100 * time.Millisecond
	var bodyErrs atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			bodyErrs.Add(1)
			http.Error(w, "reading request body", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr, _, _, _ := start(t, h, serve.Options{ReadTimeout: limit, IdleTimeout: limit})
	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
			t.Fatal(err)
		}
		if got := readToClose(t, conn); !strings.Contains(got, "400 Bad Request") {
			t.Errorf("answer %q, want a 400", got)
		}
		if bodyErrs.Load() != 1 {
			t.Errorf("the handler saw %d body errors, want 1", bodyErrs.Load())
		}
	})
	t.Run("idle keep-alive connection", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
		}
		readToClose(t, conn) // no second request: the server hangs up
	})
}

// TestLongResponseOutlivesTheReadTimeout: the read deadline ends with the
// request body, and the write deadline is per write. A response that
// streams, with pauses, for longer than ReadTimeout and WriteIdleTimeout (a
// model stream) is neither cut nor cancelled, on both protocols; a
// WriteTimeout would fail this test.
func TestLongResponseOutlivesTheReadTimeout(t *testing.T) {
	// The read timeout also bounds reading the request's body, so it must
	// leave room for a loaded machine to deliver a small body (50 ms did
	// not, at a load average of 20); the stream then lasts three times it.
	const limit = 250 * time.Millisecond
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			cancelled := make(chan bool, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.ReadAll(r.Body); err != nil {
					t.Errorf("reading the body: %v", err)
				}
				_, _ = io.WriteString(w, "first\n")
				_ = http.NewResponseController(w).Flush()
				// The stream goes on for several times the read timeout.
				select {
				case <-r.Context().Done():
					cancelled <- true
					return
				case <-time.After(3 * limit):
				}
				cancelled <- false
				_, _ = io.WriteString(w, "last\n")
			})
			addr, _, _, _ := start(t, h, serve.Options{ReadTimeout: limit, IdleTimeout: limit, WriteIdleTimeout: limit})
			client := clientFor(proto)
			defer client.CloseIdleConnections()
			resp, err := client.Post("http://"+addr+"/", "application/json", strings.NewReader(`{"stream":true}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || string(b) != "first\nlast\n" || resp.Proto != proto {
				t.Fatalf("read %q, %v over %s", b, err, resp.Proto)
			}
			if <-cancelled {
				t.Fatal("the request's context was cancelled while the response streamed")
			}
		})
	}
}

// TestClientThatStopsReadingIsCut: a client that stops reading a response
// fails the handler's writes once WriteIdleTimeout passes without progress,
// so it cannot hold the handler (and the upstream call behind it) for good.
func TestClientThatStopsReadingIsCut(t *testing.T) {
	const limit = 100 * time.Millisecond
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			writeErr := make(chan error, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rc := http.NewResponseController(w)
				chunk := make([]byte, 64<<10)
				for {
					if _, err := w.Write(chunk); err != nil {
						writeErr <- err
						return
					}
					if err := rc.Flush(); err != nil {
						writeErr <- err
						return
					}
				}
			})
			addr, _, _, _ := start(t, h, serve.Options{WriteIdleTimeout: limit})
			client := clientFor(proto)
			defer client.CloseIdleConnections()
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close() // never read
			select {
			case err := <-writeErr:
				t.Logf("the write failed as it should: %v", err)
			case <-time.After(guard):
				t.Fatal("the handler's writes to a client that stopped reading never failed")
			}
		})
	}
}
