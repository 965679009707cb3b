package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo/dynamolocal"
)

// dynamoServer is the package's DynamoDB Local, started once by TestMain;
// nil when it is not installed (the DynamoDB rows then skip, except under
// CI=true, where Main fails the run instead).
var dynamoServer *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &dynamoServer)) }

// storeBackend is one store the app-level end-to-end tests run against.
type storeBackend struct {
	name string
	// env returns the variables that select this store for one test; it
	// may skip the test, and may set process environment (the AWS SDK
	// reads its settings from there), so its tests cannot be parallel.
	env func(t *testing.T) map[string]string
}

// storeBackends are the stores every app-level end-to-end test runs
// against: the embedded store in a temp dir, and DynamoDB (DynamoDB Local,
// fresh tables per test) selected through TOLLGATE_STORE as in production.
var storeBackends = []storeBackend{
	{name: "embedded", env: func(t *testing.T) map[string]string {
		return map[string]string{"TOLLGATE_STORE": "embedded", "TOLLGATE_DATA_DIR": t.TempDir()}
	}},
	{name: "dynamodb", env: dynamoEnv},
}

var dynamoTableSeq atomic.Int64

// dynamoEnv creates a fresh set of tables in DynamoDB Local and points the
// AWS SDK at it with static dummy credentials.
func dynamoEnv(t *testing.T) map[string]string {
	t.Helper()
	srv := dynamolocal.Require(t, dynamoServer)
	n := dynamoTableSeq.Add(1)
	tables := dynamo.Tables{
		State: fmt.Sprintf("app-state-%d", n), Spend: fmt.Sprintf("app-spend-%d", n), Cache: fmt.Sprintf("app-cache-%d", n),
	}
	c := srv.Client()
	if err := dynamo.CreateTables(context.Background(), c, tables); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTables(context.Background(), c, tables) })
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":   srv.Endpoint,
		"AWS_ACCESS_KEY_ID":           "local",
		"AWS_SECRET_ACCESS_KEY":       "local",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return map[string]string{
		"TOLLGATE_STORE":       "dynamodb",
		"TOLLGATE_STATE_TABLE": tables.State,
		"TOLLGATE_SPEND_TABLE": tables.Spend,
		"TOLLGATE_CACHE_TABLE": tables.Cache,
		"TOLLGATE_DATA_DIR":    t.TempDir(), // resolveMasterKey may look here
	}
}

// forEachStore runs f as a subtest per store backend; f calls
// newStoreEnv for each app it starts, so every app gets fresh storage.
func forEachStore(t *testing.T, f func(t *testing.T, newStoreEnv func(*testing.T) map[string]string)) {
	for _, b := range storeBackends {
		t.Run(b.name, func(t *testing.T) { f(t, b.env) })
	}
}

// localConfig is the shipped local config, from this package's directory.
var localConfig = filepath.Join("..", "..", DefaultLocalConfig)

// localApp is an app under test behind an httptest server.
type localApp struct {
	*App
	gw *httptest.Server
	// stop closes the server, then the app (draining background work), and
	// returns the app's Close error; it runs at the end of the test unless
	// the test calls it first.
	stop func() error
}

// startLocalApp starts the app with env as its whole environment (the
// master key idMaster unless env sets one), on opts.ConfigPaths or else the
// local config, logging nowhere.
func startLocalApp(t *testing.T, env map[string]string, opts Options) *localApp {
	t.Helper()
	if _, ok := env["TOLLGATE_MASTER_KEY"]; !ok {
		env["TOLLGATE_MASTER_KEY"] = idMaster
	}
	if len(opts.ConfigPaths) == 0 {
		opts.ConfigPaths = []string{localConfig}
	}
	opts.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(a.Handler)
	la := &localApp{App: a, gw: gw}
	la.stop = sync.OnceValue(func() error { gw.Close(); return a.Close() })
	t.Cleanup(func() { la.stop() })
	return la
}
