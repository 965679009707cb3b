// Package dynamolocal starts AWS's DynamoDB Local for tests: the Java
// server that supports transactions and the TTL APIs. scripts/dynamodb-local.sh
// fetches it (from the npm package amplify-dynamodb-simulator, which ships
// the jar) into .cache/dynamodb-local; TOLLGATE_DYNAMODB_LOCAL_DIR points
// elsewhere. Without it, tests that need it skip with instructions, except
// in CI (CI=true), where a missing server fails the run.
//
// Each test binary starts its own server, unless TOLLGATE_DYNAMODB_LOCAL_ENDPOINT
// names one already running for the whole run (make test starts one through
// scripts/with-dynamodb-local.sh): a JVM start-up costs seconds of CPU and
// delays each package's first test. Packages sharing a server keep their
// tables apart by name (each uses a prefix of its own).
package dynamolocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// EnvDir names the directory holding DynamoDBLocal.jar and
// DynamoDBLocal_lib.
const EnvDir = "TOLLGATE_DYNAMODB_LOCAL_DIR"

// EnvEndpoint names the base URL of a DynamoDB Local that test binaries
// share instead of starting one each.
const EnvEndpoint = "TOLLGATE_DYNAMODB_LOCAL_ENDPOINT"

// defaultDir is where scripts/dynamodb-local.sh puts the server, relative
// to the module root.
const defaultDir = ".cache/dynamodb-local"

// FetchHint says how to get the server.
const FetchHint = "DynamoDB Local is not installed: run scripts/dynamodb-local.sh (or make test), " +
	"or set " + EnvDir + " to a directory holding DynamoDBLocal.jar"

// Server is a running DynamoDB Local.
type Server struct {
	// Endpoint is the server's base URL (http://127.0.0.1:port).
	Endpoint string
	// cmd, out and done are nil for a server Attach found running.
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// Dir returns the server directory: $TOLLGATE_DYNAMODB_LOCAL_DIR, else
// .cache/dynamodb-local under the module root; ok is false when it holds
// no DynamoDBLocal.jar.
func Dir() (string, bool) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(root, defaultDir)
	}
	_, err := os.Stat(filepath.Join(dir, "DynamoDBLocal.jar"))
	return dir, err == nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start runs the server from dir on a free loopback port, in memory, and
// returns once it answers requests.
func Start(ctx context.Context, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("starting DynamoDB Local: java not found (install openjdk-17-jre-headless): %w", err)
	}
	cmd := exec.Command(java, "-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port))
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting DynamoDB Local: %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Attach returns the server already running at endpoint (a base URL) once
// it answers requests. Close leaves it running.
func Attach(ctx context.Context, endpoint string) (*Server, error) {
	s := &Server{Endpoint: endpoint}
	if err := s.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("%s=%s: %w", EnvEndpoint, endpoint, err)
	}
	return s, nil
}

// waitReady polls ListTables until the server answers, it exits, or a
// minute passes: the JVM's start-up time is not ours to control.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c := s.Client()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("DynamoDB Local exited (%v): %s", err, s.out.String())
		case <-ctx.Done():
			if s.out == nil {
				return errors.New("DynamoDB Local did not answer within a minute")
			}
			return fmt.Errorf("DynamoDB Local did not answer within a minute: %s", s.out.String())
		case <-tick.C:
		}
	}
}

// Client returns a client for the server (static test credentials, no
// retries beyond the SDK's default, short timeouts).
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// Close stops the server, unless Attach found it running.
func (s *Server) Close() error {
	if s.cmd == nil {
		return nil
	}
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Main is a TestMain body: it starts the server when it is installed, runs
// the tests and stops it. *srv stays nil when the server is not installed;
// Require then skips. In CI (CI=true) a missing or failing server fails the
// run instead. With TOLLGATE_DYNAMODB_LOCAL_ENDPOINT set, it uses that server
// and fails the run if it does not answer.
func Main(m *testing.M, srv **Server) int {
	if endpoint := os.Getenv(EnvEndpoint); endpoint != "" {
		s, err := Attach(context.Background(), endpoint)
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			return 1
		}
		*srv = s
		return m.Run()
	}
	dir, ok := Dir()
	ci := os.Getenv("CI") == "true"
	if !ok {
		if ci {
			fmt.Fprintln(os.Stderr, "FAIL: CI=true and "+FetchHint)
			return 1
		}
		return m.Run()
	}
	s, err := Start(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	*srv = s
	code := m.Run()
	_ = s.Close()
	return code
}

// Require returns the server, or skips the test (outside CI) when Main
// found none.
func Require(t testing.TB, srv *Server) *Server {
	t.Helper()
	if srv == nil {
		t.Skip(FetchHint)
	}
	return srv
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
