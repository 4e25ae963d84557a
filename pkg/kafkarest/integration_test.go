package kafkarest_test

// Integration tests: the real client against the in-process emulator served
// over real HTTP and HTTPS (httptest, custom CA), covering the full link and
// mirror lifecycle, injected faults and bad input. Every call runs under a
// context timeout so that a regression fails instead of hanging.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/pkg/kafkarest"
	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

const (
	srcID = "lkc-src"
	dstID = "lkc-dst"

	// Distinctive credentials: none of them may ever appear in an error.
	itUser     = "api-key-USERLEAK1"
	itPass     = "api-secret-PASSLEAK2"
	itToken    = "bearer-TOKENLEAK3"
	itJAAS     = "jaas-SECRET-LEAK4"
	itBadPass  = "wrong-secret-PASSLEAK5"
	itBadToken = "wrong-token-TOKENLEAK6"

	callTimeout = 15 * time.Second
)

var secrets = []string{itUser, itPass, itToken, itJAAS, itBadPass, itBadToken}

type itClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *itClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *itClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// itEnv is an emulator with a source and a destination cluster, each served
// by its own httptest server.
type itEnv struct {
	t        *testing.T
	e        *emulator.Emulator
	clk      *itClock
	src, dst *emulator.Cluster
	srcSrv   *httptest.Server
	dstSrv   *httptest.Server
	caPEM    []byte // CA of dstSrv (TLS only)
	tls      bool
}

const stopDelay = 2 * time.Second

func newEnv(t *testing.T, useTLS bool, opts ...emulator.Option) *itEnv {
	t.Helper()
	clk := &itClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := emulator.New(append([]emulator.Option{emulator.WithClock(clk.Now), emulator.WithStopDelay(stopDelay)}, opts...)...)
	src := e.AddCluster(emulator.ClusterConfig{ID: srcID, Bootstrap: "onprem-kafka:9092",
		Topics: map[string]int{"orders": 3, "payments": 2, "audit": 1}})
	dst := e.AddCluster(emulator.ClusterConfig{ID: dstID, Bootstrap: "pkc-dst.example:9092",
		Username: itUser, Password: itPass, BearerToken: itToken})
	env := &itEnv{t: t, e: e, clk: clk, src: src, dst: dst, tls: useTLS}
	env.srcSrv = httptest.NewServer(src.Handler())
	t.Cleanup(env.srcSrv.Close)
	if useTLS {
		env.dstSrv = httptest.NewTLSServer(dst.Handler())
		env.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: env.dstSrv.Certificate().Raw})
	} else {
		env.dstSrv = httptest.NewServer(dst.Handler())
	}
	t.Cleanup(env.dstSrv.Close)
	return env
}

// client returns a client of the destination cluster with fast backoff.
func (env *itEnv) client(mods ...func(*kafkarest.Config)) *kafkarest.Client {
	env.t.Helper()
	cfg := kafkarest.Config{
		Endpoint: env.dstSrv.URL + emulator.DefaultPrefix,
		Username: itUser, Password: itPass,
		CAPEM:          env.caPEM,
		Timeout:        5 * time.Second,
		MaxAttempts:    4,
		InitialBackoff: time.Millisecond,
		MaxBackoff:     5 * time.Millisecond,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := kafkarest.New(cfg)
	if err != nil {
		env.t.Fatalf("kafkarest.New: %v", err)
	}
	return c
}

// srcClient returns a client of the source cluster (plain HTTP, no auth).
func (env *itEnv) srcClient() *kafkarest.Client {
	env.t.Helper()
	c, err := kafkarest.New(kafkarest.Config{Endpoint: env.srcSrv.URL, MaxAttempts: 1, Timeout: 5 * time.Second})
	if err != nil {
		env.t.Fatal(err)
	}
	return c
}

// rawClient is an HTTP client that trusts the destination server.
func (env *itEnv) rawClient() *http.Client {
	c := env.dstSrv.Client()
	c.Timeout = callTimeout
	return c
}

// codes returns the status codes the emulator recorded for method+endpoint.
func (env *itEnv) codes(method, endpoint string) []int {
	var out []int
	for _, r := range env.e.Requests() {
		if r.Method == method && r.Endpoint == endpoint {
			out = append(out, r.Code)
		}
	}
	return out
}

func tctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// noLeak fails when an error string contains a credential.
func noLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a credential %q: %v", s, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	noLeak(t, err)
	if err != nil {
		t.Fatal(err)
	}
}

func asAPIError(t *testing.T, err error) *kafkarest.Error {
	t.Helper()
	noLeak(t, err)
	var ae *kafkarest.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a *kafkarest.Error", err, err)
	}
	return ae
}

var schemes = []struct {
	name string
	tls  bool
}{{"http", false}, {"https", true}}

const (
	epClusters = "/clusters"
	epLinks    = "/clusters/{cluster_id}/links"
	epLink     = "/clusters/{cluster_id}/links/{link_name}"
	epMirrors  = "/clusters/{cluster_id}/links/{link_name}/mirrors"
)

// createLinks creates the DESTINATION link "dr" (with a sensitive config)
// and the BIDIRECTIONAL link "bi" on both clusters.
func createLinks(t *testing.T, env *itEnv, c *kafkarest.Client) {
	t.Helper()
	ctx := tctx(t)
	must(t, c.CreateLink(ctx, dstID, "dr", kafkarest.CreateLinkRequest{
		SourceClusterID: srcID,
		Configs: map[string]string{
			"bootstrap.servers": "onprem-kafka:9092",
			"security.protocol": "SASL_SSL",
			"sasl.mechanism":    "PLAIN",
			"sasl.jaas.config":  `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="` + itJAAS + `";`,
		},
	}, kafkarest.CreateLinkOptions{}))
	must(t, c.CreateLink(ctx, dstID, "bi", kafkarest.CreateLinkRequest{
		RemoteClusterID: srcID, Configs: map[string]string{"link.mode": "BIDIRECTIONAL"},
	}, kafkarest.CreateLinkOptions{}))
	must(t, env.srcClient().CreateLink(ctx, srcID, "bi", kafkarest.CreateLinkRequest{
		RemoteClusterID: dstID, Configs: map[string]string{"link.mode": "BIDIRECTIONAL"},
	}, kafkarest.CreateLinkOptions{}))
}

func TestIntegrationLifecycle(t *testing.T) {
	for _, sc := range schemes {
		t.Run(sc.name, func(t *testing.T) {
			env := newEnv(t, sc.tls)
			c := env.client()

			t.Run("ClusterID", func(t *testing.T) {
				id, err := c.ClusterID(tctx(t))
				must(t, err)
				if id != dstID {
					t.Fatalf("ClusterID %q, want %q", id, dstID)
				}
				// Prefix discovery from the bare base URL, with a bearer token.
				disc := env.client(func(cfg *kafkarest.Config) {
					cfg.Endpoint, cfg.Username, cfg.Password, cfg.BearerToken = env.dstSrv.URL, "", "", itToken
				})
				id, err = disc.ClusterID(tctx(t))
				must(t, err)
				if id != dstID {
					t.Fatalf("discovered ClusterID %q", id)
				}
			})

			t.Run("CreateLink", func(t *testing.T) {
				ctx := tctx(t)
				err := c.CreateLink(ctx, dstID, "dr", kafkarest.CreateLinkRequest{
					SourceClusterID: srcID, Configs: map[string]string{"bootstrap.servers": "onprem-kafka:9092"},
				}, kafkarest.CreateLinkOptions{ValidateOnly: true})
				must(t, err)
				if got := env.dst.Links(); len(got) != 0 {
					t.Fatalf("validate_only created links %v", got)
				}
				createLinks(t, env, c)
				if got := env.dst.Links(); !slices.Equal(got, []string{"bi", "dr"}) {
					t.Fatalf("links %v", got)
				}
				err = c.CreateLink(ctx, dstID, "dr", kafkarest.CreateLinkRequest{SourceClusterID: srcID}, kafkarest.CreateLinkOptions{})
				noLeak(t, err)
				if !kafkarest.IsAlreadyExists(err) {
					t.Fatalf("duplicate CreateLink: %v, want IsAlreadyExists", err)
				}
				if ae := asAPIError(t, err); ae.StatusCode != http.StatusConflict || ae.ErrorCode != 40902 || !strings.Contains(ae.Message, "'dr' already exists") {
					t.Fatalf("duplicate CreateLink error %+v", ae)
				}
				// A link nobody can reach is refused with a clear message.
				err = c.CreateLink(ctx, dstID, "nowhere", kafkarest.CreateLinkRequest{
					Configs: map[string]string{"bootstrap.servers": "unknown:9092"},
				}, kafkarest.CreateLinkOptions{ValidateLink: true})
				if ae := asAPIError(t, err); ae.StatusCode != 400 || !strings.Contains(ae.Message, "unable to connect") {
					t.Fatalf("unreachable link: %v", err)
				}
			})

			t.Run("GetLink", func(t *testing.T) {
				l, err := c.GetLink(tctx(t), dstID, "dr")
				must(t, err)
				if l.LinkName != "dr" || l.LinkState != "ACTIVE" || l.ClusterLinkID == "" {
					t.Fatalf("GetLink %+v", l)
				}
			})

			t.Run("ListLinks", func(t *testing.T) {
				ls, err := c.ListLinks(tctx(t), dstID)
				must(t, err)
				var names []string
				for _, l := range ls {
					names = append(names, l.LinkName)
					if l.LinkState != "ACTIVE" {
						t.Errorf("link %s state %s", l.LinkName, l.LinkState)
					}
				}
				slices.Sort(names)
				if !slices.Equal(names, []string{"bi", "dr"}) {
					t.Fatalf("ListLinks %v", names)
				}
			})

			t.Run("ListLinkConfigs", func(t *testing.T) {
				cfgs, err := c.ListLinkConfigs(tctx(t), dstID, "dr")
				must(t, err)
				byName := map[string]kafkarest.LinkConfig{}
				for _, cf := range cfgs {
					byName[cf.Name] = cf
					if strings.Contains(cf.Value, itJAAS) {
						t.Errorf("config %s exposes the JAAS secret", cf.Name)
					}
				}
				if j, ok := byName["sasl.jaas.config"]; !ok || !j.Sensitive || j.Value != "" {
					t.Errorf("sasl.jaas.config %+v (ok=%v): want sensitive with hidden value", j, ok)
				}
				if b := byName["bootstrap.servers"]; b.Value != "onprem-kafka:9092" || b.Sensitive {
					t.Errorf("bootstrap.servers %+v", b)
				}
				if m := byName["link.mode"]; m.Value != "DESTINATION" || !m.ReadOnly || !m.Default {
					t.Errorf("link.mode %+v", m)
				}
			})

			t.Run("AlterLinkConfigs", func(t *testing.T) {
				ctx := tctx(t)
				must(t, c.AlterLinkConfigs(ctx, dstID, "dr",
					map[string]string{"consumer.offset.sync.enable": "true", "cluster.link.prefix": ""},
					[]string{"sasl.mechanism", "cluster.link.prefix"}))
				got := env.dst.LinkConfigs("dr")
				if got["consumer.offset.sync.enable"] != "true" {
					t.Errorf("set config missing: %v", got)
				}
				if _, ok := got["sasl.mechanism"]; ok {
					t.Errorf("unset config still present: %v", got)
				}
				if _, ok := got["cluster.link.prefix"]; !ok {
					t.Errorf("a config both set and unset must be set: %v", got)
				}
				must(t, c.AlterLinkConfigs(ctx, dstID, "dr", nil, []string{"cluster.link.prefix"}))
				// Read-only configs are refused.
				err := c.AlterLinkConfigs(ctx, dstID, "dr", map[string]string{"link.mode": "SOURCE"}, nil)
				if ae := asAPIError(t, err); ae.StatusCode != 400 || !strings.Contains(ae.Message, "read-only") {
					t.Fatalf("read-only config: %v", err)
				}
			})

			t.Run("CreateMirror", func(t *testing.T) {
				ctx := tctx(t)
				must(t, c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "orders"}))
				must(t, c.CreateMirror(ctx, dstID, "bi", kafkarest.CreateMirrorRequest{SourceTopicName: "payments", ReplicationFactor: 3}))
				err := c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "orders"})
				noLeak(t, err)
				if !kafkarest.IsAlreadyExists(err) {
					t.Fatalf("duplicate CreateMirror: %v, want IsAlreadyExists", err)
				}
				err = c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "no-such-topic"})
				noLeak(t, err)
				if !kafkarest.IsNotFound(err) {
					t.Fatalf("mirror of a missing source topic: %v, want IsNotFound", err)
				}
			})

			t.Run("ListMirrors", func(t *testing.T) {
				ctx := tctx(t)
				ms, err := c.ListMirrors(ctx, dstID, "dr")
				must(t, err)
				if len(ms) != 1 || ms[0].MirrorTopicName != "orders" || ms[0].SourceTopicName != "orders" ||
					ms[0].MirrorStatus != "ACTIVE" || ms[0].NumPartitions != 3 || ms[0].LinkName != "dr" || ms[0].MaxLag() != 0 {
					t.Fatalf("ListMirrors %+v", ms)
				}
				all, err := c.ListAllMirrors(ctx, dstID)
				must(t, err)
				var got []string
				for _, m := range all {
					got = append(got, m.LinkName+"/"+m.MirrorTopicName)
				}
				slices.Sort(got)
				if !slices.Equal(got, []string{"bi/payments", "dr/orders"}) {
					t.Fatalf("ListAllMirrors %v", got)
				}
				m, err := c.GetMirror(ctx, dstID, "bi", "payments")
				must(t, err)
				if m.MirrorTopicName != "payments" || m.NumPartitions != 2 || m.MirrorStatus != "ACTIVE" || len(m.MirrorLags) != 2 {
					t.Fatalf("GetMirror %+v", m)
				}
			})

			t.Run("AlterMirrors", func(t *testing.T) { testAlterMirrors(t, env, c) })

			t.Run("DeleteTopic", func(t *testing.T) {
				ctx := tctx(t)
				// A promoted mirror becomes a normal topic that can be deleted.
				res, err := c.AlterMirrors(ctx, dstID, "dr", kafkarest.MirrorPromote, []string{"orders"}, false)
				must(t, err)
				must(t, res[0].Err())
				must(t, c.DeleteTopic(ctx, dstID, "orders"))
				if slices.Contains(env.dst.Topics(), "orders") {
					t.Fatalf("topic still present: %v", env.dst.Topics())
				}
				err = c.DeleteTopic(ctx, dstID, "orders")
				noLeak(t, err)
				if !kafkarest.IsNotFound(err) {
					t.Fatalf("second DeleteTopic: %v, want IsNotFound", err)
				}
			})

			t.Run("DeleteLink", func(t *testing.T) {
				ctx := tctx(t)
				must(t, c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "audit"}))
				err := c.DeleteLink(ctx, dstID, "dr", false, false)
				ae := asAPIError(t, err)
				if ae.StatusCode != 400 || !strings.Contains(ae.Message, "active mirror topics") || kafkarest.IsNotFound(err) || kafkarest.IsRetryable(err) {
					t.Fatalf("DeleteLink with active mirrors: %v", err)
				}
				must(t, c.DeleteLink(ctx, dstID, "dr", true, true)) // validate_only
				if !slices.Contains(env.dst.Links(), "dr") {
					t.Fatal("validate_only DeleteLink deleted the link")
				}
				must(t, c.DeleteLink(ctx, dstID, "dr", true, false))
				if _, err := c.GetLink(ctx, dstID, "dr"); !kafkarest.IsNotFound(err) {
					t.Fatalf("GetLink after DeleteLink: %v, want IsNotFound", err)
				}
				if err := c.DeleteLink(ctx, dstID, "dr", true, false); !kafkarest.IsNotFound(err) {
					t.Fatalf("second DeleteLink: %v, want IsNotFound", err)
				}
			})
		})
	}
}

// testAlterMirrors drives every batch action from several mirror statuses,
// each case on its own fresh mirror topic.
func testAlterMirrors(t *testing.T, env *itEnv, c *kafkarest.Client) {
	cases := []struct {
		name    string
		link    string
		from    string // ACTIVE, PAUSED, PENDING_STOPPED, STOPPED
		action  kafkarest.MirrorAction
		wantErr string // per-topic error substring, "" for success
		stopped bool   // the per-topic error is IsAlreadyStopped
		want    string // status after the action
		remote  string // status of the reversed mirror on the source cluster
	}{
		{name: "pause active", from: "ACTIVE", action: kafkarest.MirrorPause, want: "PAUSED"},
		{name: "pause paused", from: "PAUSED", action: kafkarest.MirrorPause, want: "PAUSED"},
		{name: "pause stopped", from: "STOPPED", action: kafkarest.MirrorPause, wantErr: "Cannot pause topic", want: "STOPPED"},
		{name: "resume paused", from: "PAUSED", action: kafkarest.MirrorResume, want: "ACTIVE"},
		{name: "resume active", from: "ACTIVE", action: kafkarest.MirrorResume, want: "ACTIVE"},
		{name: "resume pending stopped", from: "PENDING_STOPPED", action: kafkarest.MirrorResume, wantErr: "Cannot resume topic", want: "PENDING_STOPPED"},
		{name: "promote active", from: "ACTIVE", action: kafkarest.MirrorPromote, want: "PENDING_STOPPED"},
		{name: "promote paused", from: "PAUSED", action: kafkarest.MirrorPromote, want: "PENDING_STOPPED"},
		{name: "promote pending stopped", from: "PENDING_STOPPED", action: kafkarest.MirrorPromote, wantErr: "already stopped", stopped: true, want: "PENDING_STOPPED"},
		{name: "promote stopped", from: "STOPPED", action: kafkarest.MirrorPromote, wantErr: "already stopped", stopped: true, want: "STOPPED"},
		{name: "failover active", from: "ACTIVE", action: kafkarest.MirrorFailover, want: "PENDING_STOPPED"},
		{name: "failover paused", from: "PAUSED", action: kafkarest.MirrorFailover, want: "PENDING_STOPPED"},
		{name: "failover stopped", from: "STOPPED", action: kafkarest.MirrorFailover, wantErr: "already stopped", stopped: true, want: "STOPPED"},
		{name: "reverse-and-start on destination link", from: "ACTIVE", action: kafkarest.MirrorReverseAndStart, wantErr: "not bidirectional", want: "ACTIVE"},
		{name: "reverse-and-start active", link: "bi", from: "ACTIVE", action: kafkarest.MirrorReverseAndStart, want: "PENDING_STOPPED", remote: "ACTIVE"},
		{name: "reverse-and-start paused", link: "bi", from: "PAUSED", action: kafkarest.MirrorReverseAndStart, want: "PENDING_STOPPED", remote: "ACTIVE"},
		{name: "reverse-and-start stopped", link: "bi", from: "STOPPED", action: kafkarest.MirrorReverseAndStart, wantErr: "already stopped", stopped: true, want: "STOPPED"},
		{name: "reverse-and-pause active", link: "bi", from: "ACTIVE", action: kafkarest.MirrorReverseAndPause, want: "PENDING_STOPPED", remote: "PAUSED"},
		{name: "reverse-and-pause on destination link", from: "PAUSED", action: kafkarest.MirrorReverseAndPause, wantErr: "not bidirectional", want: "PAUSED"},
		{name: "truncate-and-restore stopped", from: "STOPPED", action: kafkarest.MirrorTruncateAndRestore, want: "PENDING_SETUP_FOR_RESTORE"},
		{name: "truncate-and-restore active", from: "ACTIVE", action: kafkarest.MirrorTruncateAndRestore, wantErr: "not STOPPED", want: "ACTIVE"},
		{name: "truncate-and-restore pending stopped", from: "PENDING_STOPPED", action: kafkarest.MirrorTruncateAndRestore, wantErr: "not STOPPED", want: "PENDING_STOPPED"},
	}
	seen := map[kafkarest.MirrorAction]bool{}
	for i, tc := range cases {
		seen[tc.action] = true
		t.Run(tc.name, func(t *testing.T) {
			ctx := tctx(t)
			link := tc.link
			if link == "" {
				link = "dr"
			}
			topic := "am-" + string(rune('a'+i))
			env.src.CreateTopic(topic, 2)
			must(t, c.CreateMirror(ctx, dstID, link, kafkarest.CreateMirrorRequest{SourceTopicName: topic}))
			step := func(a kafkarest.MirrorAction) {
				t.Helper()
				res, err := c.AlterMirrors(ctx, dstID, link, a, []string{topic}, false)
				must(t, err)
				if len(res) != 1 {
					t.Fatalf("%s: %d results", a, len(res))
				}
				must(t, res[0].Err())
			}
			switch tc.from {
			case "PAUSED":
				step(kafkarest.MirrorPause)
			case "PENDING_STOPPED":
				step(kafkarest.MirrorFailover)
			case "STOPPED":
				step(kafkarest.MirrorFailover)
				env.clk.Advance(stopDelay + time.Second)
			}
			if m, err := c.GetMirror(ctx, dstID, link, topic); err != nil || m.MirrorStatus != tc.from {
				t.Fatalf("setup: mirror %+v, %v; want status %s", m, err, tc.from)
			}

			res, err := c.AlterMirrors(ctx, dstID, link, tc.action, []string{topic}, false)
			must(t, err)
			if len(res) != 1 || res[0].MirrorTopicName != topic {
				t.Fatalf("results %+v", res)
			}
			terr := res[0].Err()
			noLeak(t, terr)
			switch {
			case tc.wantErr == "" && terr != nil:
				t.Fatalf("%s from %s: unexpected per-topic error %v", tc.action, tc.from, terr)
			case tc.wantErr != "":
				if terr == nil {
					t.Fatalf("%s from %s succeeded, want error %q", tc.action, tc.from, tc.wantErr)
				}
				msg := terr.Error()
				if !strings.Contains(msg, tc.wantErr) || !strings.Contains(msg, topic) {
					t.Fatalf("per-topic error %q: want it to name the topic and contain %q", msg, tc.wantErr)
				}
				if kafkarest.IsAlreadyStopped(terr) != tc.stopped {
					t.Fatalf("IsAlreadyStopped(%v) = %v, want %v", terr, !tc.stopped, tc.stopped)
				}
				if ae := asAPIError(t, terr); ae.StatusCode != 400 || ae.ErrorCode != 40002 {
					t.Fatalf("per-topic error %+v", ae)
				}
			}

			if tc.remote != "" {
				st, _, ok := env.src.Mirror(link, topic)
				if !ok || st != tc.remote {
					t.Fatalf("reversed mirror on source: %q (exists %v), want %s", st, ok, tc.remote)
				}
			}
			m, err := c.GetMirror(ctx, dstID, link, topic)
			must(t, err)
			if m.MirrorStatus != tc.want {
				t.Fatalf("%s from %s: status %s, want %s", tc.action, tc.from, m.MirrorStatus, tc.want)
			}
		})
	}
	for _, a := range []kafkarest.MirrorAction{kafkarest.MirrorPause, kafkarest.MirrorResume, kafkarest.MirrorPromote,
		kafkarest.MirrorFailover, kafkarest.MirrorReverseAndStart, kafkarest.MirrorReverseAndPause, kafkarest.MirrorTruncateAndRestore} {
		if !seen[a] {
			t.Errorf("action %s not exercised", a)
		}
	}

	t.Run("mixed batch", func(t *testing.T) {
		ctx := tctx(t)
		env.src.CreateTopic("mixed", 1)
		must(t, c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "mixed"}))
		env.dst.CreateTopic("plain", 1)
		res, err := c.AlterMirrors(ctx, dstID, "dr", kafkarest.MirrorPause, []string{"mixed", "missing", "plain"}, false)
		must(t, err)
		if len(res) != 3 {
			t.Fatalf("results %+v", res)
		}
		byName := map[string]kafkarest.AlterMirrorResult{}
		for _, r := range res {
			byName[r.MirrorTopicName] = r
		}
		if err := byName["mixed"].Err(); err != nil {
			t.Errorf("mixed: %v", err)
		}
		if err := byName["missing"].Err(); !kafkarest.IsNotFound(err) || !strings.Contains(err.Error(), `"missing"`) {
			t.Errorf("missing: %v, want a not-found error naming the topic", err)
		}
		if err := byName["plain"].Err(); err == nil || !strings.Contains(err.Error(), "not a mirror topic") {
			t.Errorf("plain: %v", err)
		}
		if st, _, _ := env.dst.Mirror("dr", "mixed"); st != "PAUSED" {
			t.Errorf("mixed status %s", st)
		}
	})

	t.Run("validate only", func(t *testing.T) {
		ctx := tctx(t)
		env.src.CreateTopic("vo", 1)
		must(t, c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "vo"}))
		res, err := c.AlterMirrors(ctx, dstID, "dr", kafkarest.MirrorPromote, []string{"vo"}, true)
		must(t, err)
		must(t, res[0].Err())
		if st, _, _ := env.dst.Mirror("dr", "vo"); st != "ACTIVE" {
			t.Errorf("validate_only promote changed the status to %s", st)
		}
	})

	t.Run("no names, no call", func(t *testing.T) {
		before := len(env.e.Requests())
		res, err := c.AlterMirrors(tctx(t), dstID, "dr", kafkarest.MirrorPause, nil, false)
		if err != nil || res != nil || len(env.e.Requests()) != before {
			t.Fatalf("empty batch: %v %v", res, err)
		}
		if _, err := c.AlterMirrors(tctx(t), dstID, "dr", "Bad Action", []string{"x"}, false); err == nil {
			t.Fatal("invalid action accepted")
		}
	})
}

func TestIntegrationFaults(t *testing.T) {
	type check func(t *testing.T, env *itEnv, err error, elapsed time.Duration)
	cases := []struct {
		name   string
		tls    bool
		faults emulator.Faults
		cfg    func(cfg *kafkarest.Config)
		// call is the client call under test; it defaults to ListLinks.
		call func(ctx context.Context, c *kafkarest.Client) error
		// recoverAfter clears the faults after that many attempts (0: never).
		recoverAfter int
		method, ep   string
		wantCodes    []int
		check        check
	}{
		{
			name: "5xx then recovery", faults: emulator.Faults{ErrorRate: 1}, recoverAfter: 2,
			method: "GET", ep: epLinks, wantCodes: []int{500, 500, 200},
		},
		{
			name: "5xx then recovery over TLS", tls: true, faults: emulator.Faults{ErrorRate: 1}, recoverAfter: 3,
			call: func(ctx context.Context, c *kafkarest.Client) error {
				return c.CreateLink(ctx, dstID, "x", kafkarest.CreateLinkRequest{SourceClusterID: srcID}, kafkarest.CreateLinkOptions{})
			},
			method: "POST", ep: epLinks, wantCodes: []int{500, 500, 500, 201},
			check: func(t *testing.T, env *itEnv, err error, _ time.Duration) {
				if !slices.Equal(env.dst.Links(), []string{"dr", "x"}) {
					t.Errorf("links %v", env.dst.Links())
				}
			},
		},
		{
			name: "5xx persistent", faults: emulator.Faults{ErrorRate: 1},
			cfg:    func(cfg *kafkarest.Config) { cfg.MaxAttempts = 3 },
			method: "GET", ep: epLinks, wantCodes: []int{500, 500, 500},
			check: func(t *testing.T, _ *itEnv, err error, _ time.Duration) {
				if ae := asAPIError(t, err); ae.StatusCode != 500 || !kafkarest.IsRetryable(err) || !strings.Contains(ae.Message, "injected") {
					t.Errorf("error %v", err)
				}
			},
		},
		{
			name: "429 Retry-After honoured", faults: emulator.Faults{TooManyRequests: 1},
			cfg:    func(cfg *kafkarest.Config) { cfg.MaxBackoff = 500 * time.Millisecond },
			method: "GET", ep: epLinks, wantCodes: []int{429, 200},
			check: func(t *testing.T, _ *itEnv, err error, elapsed time.Duration) {
				if elapsed < 900*time.Millisecond {
					t.Errorf("retried after %v, want the server's Retry-After of 1s", elapsed)
				}
			},
		},
		{
			name: "HTML 429 retried", faults: emulator.Faults{TooManyRequests: 1, HTML429: true},
			cfg:    func(cfg *kafkarest.Config) { cfg.MaxBackoff = 500 * time.Millisecond },
			method: "GET", ep: epLinks, wantCodes: []int{429, 200},
		},
		{
			name: "HTML 429 exhausted", faults: emulator.Faults{TooManyRequests: 5, HTML429: true},
			cfg:    func(cfg *kafkarest.Config) { cfg.MaxAttempts = 1 },
			method: "GET", ep: epLinks, wantCodes: []int{429},
			check: func(t *testing.T, _ *itEnv, err error, _ time.Duration) {
				ae := asAPIError(t, err)
				if ae.StatusCode != 429 || ae.Message != "Too Many Requests" || ae.RetryAfter != time.Second || !kafkarest.IsRetryable(err) {
					t.Errorf("error %+v", ae)
				}
				if strings.Contains(err.Error(), "<") {
					t.Errorf("HTML leaked into the error: %v", err)
				}
			},
		},
		{
			name: "dropped connections retried", faults: emulator.Faults{DropConnections: 2},
			call: func(ctx context.Context, c *kafkarest.Client) error {
				return c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{SourceTopicName: "orders"})
			},
			method: "POST", ep: epMirrors, wantCodes: []int{0, 0, 201},
			check: func(t *testing.T, env *itEnv, _ error, _ time.Duration) {
				if st, _, ok := env.dst.Mirror("dr", "orders"); !ok || st != "ACTIVE" {
					t.Errorf("mirror %s %v", st, ok)
				}
			},
		},
		{
			name: "dropped connections over TLS", tls: true, faults: emulator.Faults{DropConnections: 1},
			method: "GET", ep: epLinks, wantCodes: []int{0, 200},
		},
		{
			name: "auth failure not retried", faults: emulator.Faults{AuthFailure: true},
			method: "GET", ep: epLinks, wantCodes: []int{401},
			check: func(t *testing.T, _ *itEnv, err error, _ time.Duration) {
				if !kafkarest.IsUnauthorized(err) || kafkarest.IsRetryable(err) {
					t.Errorf("error %v: want IsUnauthorized and not retryable", err)
				}
			},
		},
		{
			name: "wrong password", cfg: func(cfg *kafkarest.Config) { cfg.Password = itBadPass },
			method: "GET", ep: epLinks, wantCodes: []int{401},
			check: func(t *testing.T, _ *itEnv, err error, _ time.Duration) {
				if !kafkarest.IsUnauthorized(err) {
					t.Errorf("error %v: want IsUnauthorized", err)
				}
			},
		},
		{
			name: "wrong bearer token over TLS", tls: true,
			cfg:    func(cfg *kafkarest.Config) { cfg.Username, cfg.Password, cfg.BearerToken = "", "", itBadToken },
			method: "GET", ep: epLinks, wantCodes: []int{401},
			check: func(t *testing.T, _ *itEnv, err error, _ time.Duration) {
				if !kafkarest.IsUnauthorized(err) {
					t.Errorf("error %v: want IsUnauthorized", err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.tls)
			setup := env.client()
			ctx := tctx(t)
			must(t, setup.CreateLink(ctx, dstID, "dr", kafkarest.CreateLinkRequest{SourceClusterID: srcID}, kafkarest.CreateLinkOptions{}))
			env.e.ResetRequests()

			var attempts atomic.Int32
			c := env.client(func(cfg *kafkarest.Config) {
				if tc.cfg != nil {
					tc.cfg(cfg)
				}
				cfg.Observe = func(_, _ string, _ int, _ time.Duration) {
					if n := attempts.Add(1); tc.recoverAfter > 0 && int(n) == tc.recoverAfter {
						env.e.SetFaults(dstID, emulator.Faults{})
					}
				}
			})
			env.e.SetFaults(dstID, tc.faults)
			call := tc.call
			if call == nil {
				call = func(ctx context.Context, c *kafkarest.Client) error {
					_, err := c.ListLinks(ctx, dstID)
					return err
				}
			}
			start := time.Now()
			err := call(ctx, c)
			elapsed := time.Since(start)
			noLeak(t, err)
			wantOK := tc.wantCodes[len(tc.wantCodes)-1]/100 == 2
			if wantOK && err != nil {
				t.Fatalf("call failed: %v", err)
			}
			if !wantOK && err == nil {
				t.Fatal("call succeeded, want an error")
			}
			if got := env.codes(tc.method, tc.ep); !slices.Equal(got, tc.wantCodes) {
				t.Fatalf("emulator saw %s %s answered %v, want %v", tc.method, tc.ep, got, tc.wantCodes)
			}
			if got := int(attempts.Load()); got != len(tc.wantCodes) {
				t.Fatalf("client made %d attempts, want %d", got, len(tc.wantCodes))
			}
			if tc.check != nil {
				tc.check(t, env, err, elapsed)
			}
		})
	}
}

func TestIntegrationTLS(t *testing.T) {
	env := newEnv(t, true)
	t.Run("unknown CA is not retried", func(t *testing.T) {
		c := env.client(func(cfg *kafkarest.Config) { cfg.CAPEM = nil })
		_, err := c.ListLinks(tctx(t), dstID)
		noLeak(t, err)
		if err == nil || kafkarest.IsRetryable(err) {
			t.Fatalf("untrusted server: %v, want a non-retryable error", err)
		}
		if n := len(env.e.Requests()); n != 0 {
			t.Fatalf("emulator saw %d requests through a failed handshake", n)
		}
	})
	t.Run("credentials in the endpoint URL", func(t *testing.T) {
		u := strings.Replace(env.dstSrv.URL, "https://", "https://"+itUser+":"+itPass+"@", 1)
		c := env.client(func(cfg *kafkarest.Config) { cfg.Endpoint, cfg.Username, cfg.Password = u, "", "" })
		id, err := c.ClusterID(tctx(t))
		must(t, err)
		if id != dstID {
			t.Fatalf("ClusterID %q", id)
		}
		_, err = c.GetLink(tctx(t), dstID, "nope")
		noLeak(t, err)
		if !kafkarest.IsNotFound(err) {
			t.Fatalf("GetLink: %v", err)
		}
		env.dstSrv.CloseClientConnections()
		bad := strings.Replace(env.dstSrv.URL, "https://", "https://"+itUser+":"+itBadPass+"@", 1)
		c = env.client(func(cfg *kafkarest.Config) { cfg.Endpoint, cfg.Username, cfg.Password = bad+"/kafka/v3", "", "" })
		_, err = c.ListLinks(tctx(t), dstID)
		noLeak(t, err)
		if !kafkarest.IsUnauthorized(err) {
			t.Fatalf("bad URL credentials: %v", err)
		}
	})
	t.Run("CA bundle without certificate", func(t *testing.T) {
		_, err := kafkarest.New(kafkarest.Config{Endpoint: env.dstSrv.URL, CAPEM: []byte("not a pem")})
		if err == nil {
			t.Fatal("invalid CA accepted")
		}
	})
}

func TestIntegrationBadInput(t *testing.T) {
	for _, sc := range schemes {
		t.Run(sc.name, func(t *testing.T) {
			env := newEnv(t, sc.tls)
			c := env.client()
			ctx := tctx(t)
			must(t, c.CreateLink(ctx, dstID, "dr", kafkarest.CreateLinkRequest{SourceClusterID: srcID}, kafkarest.CreateLinkOptions{}))

			notFound := []struct {
				name string
				call func() error
				msg  string
			}{
				{"GetLink unknown link", func() error { _, err := c.GetLink(ctx, dstID, "nope"); return err }, "nope"},
				{"ListLinkConfigs unknown link", func() error { _, err := c.ListLinkConfigs(ctx, dstID, "nope"); return err }, "nope"},
				{"ListMirrors unknown link", func() error { _, err := c.ListMirrors(ctx, dstID, "nope"); return err }, "nope"},
				{"GetMirror unknown mirror", func() error { _, err := c.GetMirror(ctx, dstID, "dr", "ghost"); return err }, "ghost"},
				{"CreateMirror unknown link", func() error {
					return c.CreateMirror(ctx, dstID, "nope", kafkarest.CreateMirrorRequest{SourceTopicName: "orders"})
				}, "nope"},
				{"AlterMirrors unknown link", func() error {
					_, err := c.AlterMirrors(ctx, dstID, "nope", kafkarest.MirrorPause, []string{"orders"}, false)
					return err
				}, "nope"},
				{"DeleteLink unknown link", func() error { return c.DeleteLink(ctx, dstID, "nope", false, false) }, "nope"},
				{"ListLinks wrong cluster", func() error { _, err := c.ListLinks(ctx, "lkc-wrong"); return err }, "lkc-wrong"},
				{"GetLink wrong cluster", func() error { _, err := c.GetLink(ctx, "lkc-wrong", "dr"); return err }, "lkc-wrong"},
				{"ListAllMirrors wrong cluster", func() error { _, err := c.ListAllMirrors(ctx, "lkc-wrong"); return err }, "lkc-wrong"},
			}
			for _, nf := range notFound {
				t.Run(nf.name, func(t *testing.T) {
					before := len(env.e.Requests())
					err := nf.call()
					ae := asAPIError(t, err)
					// error_code: 404 for an unknown cluster, 40404 for an unknown link, 40403 for an unknown topic.
					if !kafkarest.IsNotFound(err) || ae.StatusCode != 404 || (ae.ErrorCode != 404 && ae.ErrorCode/100 != 404) || !strings.Contains(ae.Message, nf.msg) {
						t.Fatalf("error %+v, want a 404 naming %q", ae, nf.msg)
					}
					if kafkarest.IsRetryable(err) || kafkarest.IsAlreadyExists(err) || kafkarest.IsUnauthorized(err) {
						t.Fatalf("404 misclassified: %v", err)
					}
					if n := len(env.e.Requests()) - before; n != 1 {
						t.Fatalf("%d requests for a 404, want 1 (no retry)", n)
					}
				})
			}

			t.Run("client body over 1 MiB", func(t *testing.T) {
				before := len(env.e.Requests())
				err := c.CreateMirror(ctx, dstID, "dr", kafkarest.CreateMirrorRequest{
					SourceTopicName: "orders", Configs: map[string]string{"big": strings.Repeat("x", 1<<20)},
				})
				ae := asAPIError(t, err)
				if ae.StatusCode != http.StatusRequestEntityTooLarge || ae.ErrorCode != 413 || kafkarest.IsRetryable(err) {
					t.Fatalf("oversized body: %+v", ae)
				}
				if n := len(env.e.Requests()) - before; n != 1 {
					t.Fatalf("%d requests, want 1", n)
				}
			})

			raw := []struct {
				name, method, path, body string
				status                   int
				msg                      string
			}{
				{"raw body over 1 MiB", "POST", "/clusters/" + dstID + "/links/dr/mirrors",
					`{"source_topic_name":"orders","configs":[{"name":"big","value":"` + strings.Repeat("x", 1<<20+1024) + `"}]}`,
					http.StatusRequestEntityTooLarge, "larger than"},
				{"raw body over 1 MiB on a batch action", "POST", "/clusters/" + dstID + "/links/dr/mirrors:pause",
					`{"mirror_topic_names":["` + strings.Repeat("y", 1<<20+10) + `"]}`,
					http.StatusRequestEntityTooLarge, "larger than"},
				{"malformed JSON", "POST", "/clusters/" + dstID + "/links/dr/mirrors", `{"source_topic_name":`,
					http.StatusBadRequest, "Malformed JSON"},
				{"malformed JSON on create link", "POST", "/clusters/" + dstID + "/links?link_name=y", `{oops`,
					http.StatusBadRequest, "Malformed JSON"},
				{"wrong JSON type", "PUT", "/clusters/" + dstID + "/links/dr/configs:alter", `{"data":"nope"}`,
					http.StatusBadRequest, "Malformed JSON"},
			}
			hc := env.rawClient()
			for _, rc := range raw {
				t.Run(rc.name, func(t *testing.T) {
					rctx := tctx(t)
					req, err := http.NewRequestWithContext(rctx, rc.method, env.dstSrv.URL+emulator.DefaultPrefix+rc.path, bytes.NewReader([]byte(rc.body)))
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set("Content-Type", "application/json")
					req.SetBasicAuth(itUser, itPass)
					resp, err := hc.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					body, err := io.ReadAll(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					if resp.StatusCode != rc.status {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, rc.status, body)
					}
					if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Fatalf("Content-Type %q", ct)
					}
					var e struct {
						ErrorCode *int    `json:"error_code"`
						Message   *string `json:"message"`
					}
					if err := json.Unmarshal(body, &e); err != nil {
						t.Fatalf("error body is not JSON: %v: %s", err, body)
					}
					if e.ErrorCode == nil || *e.ErrorCode != rc.status || e.Message == nil || !strings.Contains(*e.Message, rc.msg) {
						t.Fatalf("error body %s, want {error_code:%d, message:~%q}", body, rc.status, rc.msg)
					}
				})
			}
			if got := env.dst.Links(); !slices.Equal(got, []string{"dr"}) {
				t.Fatalf("bad input changed the links: %v", got)
			}
			if ms := env.dst.Mirrors("dr"); len(ms) != 0 {
				t.Fatalf("bad input created mirrors: %v", ms)
			}
		})
	}
}

// TestIntegrationContextTimeout: a server slower than the caller's deadline
// makes the call fail promptly instead of hanging.
func TestIntegrationContextTimeout(t *testing.T) {
	env := newEnv(t, false)
	env.e.SetFaults(dstID, emulator.Faults{Latency: 10 * time.Second})
	c := env.client()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListLinks(ctx, dstID)
	noLeak(t, err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("call took %v", d)
	}
}
