package emulator

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// biPair links src and dst with a bidirectional link "bi" on both sides and
// mirrors src's orders (3 partitions) on dst.
func biPair(t *testing.T, opts ...Option) (*Emulator, *Cluster, *Cluster, *fakeClock) {
	t.Helper()
	e, src, dst, clk := newFixture(t, opts...)
	for _, side := range []struct {
		c      *Cluster
		remote string
	}{{dst, srcID}, {src, dstID}} {
		mustCode(t, do(t, side.c.Handler(), "POST", pfx+"/clusters/"+side.c.ID()+"/links?link_name=bi", map[string]any{
			"remote_cluster_id": side.remote, "configs": cfgs("link.mode", "BIDIRECTIONAL")}), 201)
	}
	createMirror(t, dst, "bi", "orders")
	return e, src, dst, clk
}

func mustProduce(t *testing.T, c *Cluster, topic string, records ...int64) {
	t.Helper()
	for p, n := range records {
		if err := c.Produce(topic, p, n); err != nil {
			t.Fatal(err)
		}
	}
}

func wantEnds(t *testing.T, c *Cluster, topic string, want ...int64) {
	t.Helper()
	got, ok := c.EndOffsets(topic)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s/%s end offsets %v (%v), want %v", c.ID(), topic, got, ok, want)
	}
}

func wantStatus(t *testing.T, c *Cluster, link, topic, want string) {
	t.Helper()
	if st, _, ok := c.Mirror(link, topic); !ok || st != want {
		t.Fatalf("%s/%s status %q (%v), want %s", c.ID(), topic, st, ok, want)
	}
}

// alterQ runs a batch action with a query and returns the first result.
func alterQ(t *testing.T, c *Cluster, link, action, query string, names ...string) map[string]any {
	t.Helper()
	r := do(t, c.Handler(), "POST", pfx+"/clusters/"+c.ID()+"/links/"+link+"/mirrors:"+action+"?"+query,
		map[string]any{"mirror_topic_names": names})
	mustCode(t, r, 200)
	if len(r.data()) != 1 {
		t.Fatalf("%s: %s", action, r.raw)
	}
	return r.data()[0].(map[string]any)
}

func TestProduce(t *testing.T) {
	tests := map[string]struct {
		topic     string
		partition int
		records   int64
		wantErr   string
	}{
		"normal topic":        {topic: "orders", partition: 2, records: 5},
		"zero records":        {topic: "orders", records: 0},
		"unknown topic":       {topic: "ghost", wantErr: "unknown topic"},
		"unknown partition":   {topic: "orders", partition: 3, records: 1, wantErr: "unknown partition 3"},
		"negative partition":  {topic: "orders", partition: -1, records: 1, wantErr: "unknown partition -1"},
		"negative records":    {topic: "orders", records: -1, wantErr: "negative record count"},
		"active mirror topic": {topic: "payments", records: 1, wantErr: "read-only mirror topic of cluster link \"l1\" (mirror_status ACTIVE)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, dst, _ := newFixture(t)
			dst.CreateTopic("orders", 3)
			createLink(t, dst, "l1")
			createMirror(t, dst, "l1", "payments")
			err := dst.Produce(tc.topic, tc.partition, tc.records)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				want := []int64{0, 0, 0}
				want[tc.partition] = tc.records
				wantEnds(t, dst, "orders", want...)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	_, _, dst, _ := newFixture(t)
	if _, ok := dst.EndOffsets("ghost"); ok {
		t.Error("EndOffsets of an unknown topic")
	}
}

func TestMirrorOffsets(t *testing.T) {
	type step struct {
		do      func(t *testing.T, e *Emulator, src, dst *Cluster)
		advance time.Duration
		want    []int64 // dst orders end offsets
		lag     int64   // reported lag
		status  string
	}
	produce := func(n ...int64) func(*testing.T, *Emulator, *Cluster, *Cluster) {
		return func(t *testing.T, _ *Emulator, src, _ *Cluster) { mustProduce(t, src, "orders", n...) }
	}
	action := func(a string) func(*testing.T, *Emulator, *Cluster, *Cluster) {
		return func(t *testing.T, _ *Emulator, _, dst *Cluster) {
			if code, msg := perTopic(t, alter(t, dst, "l1", a, "orders")); code != nil {
				t.Fatalf("%s: %v %v", a, code, msg)
			}
		}
	}
	outage := func(down bool) func(*testing.T, *Emulator, *Cluster, *Cluster) {
		return func(_ *testing.T, e *Emulator, _, _ *Cluster) { e.SetSourceOutage(srcID, down) }
	}
	tests := map[string]struct {
		opts  []Option
		steps []step
	}{
		"follows the source": {steps: []step{
			{do: produce(10, 5, 0), want: []int64{10, 5, 0}, status: StatusActive},
			{do: produce(1, 1, 1), want: []int64{11, 6, 1}, status: StatusActive},
		}},
		"lag is what it has not copied": {opts: []Option{WithLagDecay(5, 1)}, steps: []step{
			{do: produce(10, 3, 0), want: []int64{5, 0, 0}, lag: 5, status: StatusActive},
			{advance: 3 * time.Second, want: []int64{8, 1, 0}, lag: 2, status: StatusActive},
			{advance: 2 * time.Second, want: []int64{10, 3, 0}, lag: 0, status: StatusActive},
		}},
		"paused stops copying": {steps: []step{
			{do: produce(4, 0, 0), want: []int64{4, 0, 0}, status: StatusActive},
			{do: action("pause"), want: []int64{4, 0, 0}, status: StatusPaused},
			{do: produce(0, 7, 0), want: []int64{4, 0, 0}, lag: 7, status: StatusPaused},
			{do: action("resume"), want: []int64{4, 7, 0}, status: StatusActive},
		}},
		"an outage stops copying; failover keeps what was copied": {steps: []step{
			{do: produce(2, 2, 2), want: []int64{2, 2, 2}, status: StatusActive},
			{do: outage(true), status: StatusSourceUnavailable, want: []int64{2, 2, 2}},
			{do: produce(3, 0, 0), want: []int64{2, 2, 2}, lag: 3, status: StatusSourceUnavailable},
			{do: action("failover"), advance: 2 * time.Second, want: []int64{2, 2, 2}, status: StatusStopped},
			{do: outage(false), want: []int64{2, 2, 2}, status: StatusStopped},
		}},
		"a promoted topic keeps its offsets and takes writes": {steps: []step{
			{do: produce(1, 2, 3), want: []int64{1, 2, 3}, status: StatusActive},
			{do: action("promote"), want: []int64{1, 2, 3}, status: StatusPendingStopped},
			{do: func(t *testing.T, _ *Emulator, _, dst *Cluster) {
				if err := dst.Produce("orders", 0, 1); err == nil || !strings.Contains(err.Error(), "PENDING_STOPPED") {
					t.Fatalf("produce while PENDING_STOPPED: %v", err)
				}
			}, advance: 2 * time.Second, want: []int64{1, 2, 3}, status: StatusStopped},
			{do: func(t *testing.T, _ *Emulator, src, dst *Cluster) {
				mustProduce(t, dst, "orders", 5)
				mustProduce(t, src, "orders", 9)
			}, want: []int64{6, 2, 3}, status: StatusStopped},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, src, dst, clk := newFixture(t, tc.opts...)
			createLink(t, dst, "l1")
			createMirror(t, dst, "l1", "orders")
			for i, s := range tc.steps {
				if s.do != nil {
					s.do(t, e, src, dst)
				}
				clk.Advance(s.advance)
				got, _ := dst.EndOffsets("orders")
				if !reflect.DeepEqual(got, s.want) {
					t.Fatalf("step %d: end offsets %v, want %v", i, got, s.want)
				}
				if st, lag, _ := dst.Mirror("l1", "orders"); st != s.status || lag != s.lag {
					t.Fatalf("step %d: status %s lag %d, want %s %d", i, st, lag, s.status, s.lag)
				}
			}
		})
	}
}

func TestTruncateAndRestore(t *testing.T) {
	tests := map[string]struct {
		setup    func(t *testing.T, e *Emulator, src, dst *Cluster, clk *fakeClock)
		topic    string
		query    string
		code     any
		msg      string
		total    any
		parts    []any
		wantEnds []int64
	}{
		"records written after failover are truncated": {
			setup: func(t *testing.T, _ *Emulator, src, dst *Cluster, clk *fakeClock) {
				mustProduce(t, src, "orders", 10, 5, 0)
				perTopic(t, alter(t, dst, "l1", "failover", "orders"))
				clk.Advance(2 * time.Second)
				mustProduce(t, dst, "orders", 3, 0, 2)
			},
			query: "include_partition_level_truncation_data=true",
			total: float64(5),
			parts: []any{
				map[string]any{"partition_id": float64(0), "offset_truncated_to": float64(10), "messages_truncated": float64(3)},
				map[string]any{"partition_id": float64(1), "offset_truncated_to": float64(5), "messages_truncated": float64(0)},
				map[string]any{"partition_id": float64(2), "offset_truncated_to": float64(0), "messages_truncated": float64(2)},
			},
			wantEnds: []int64{10, 5, 0},
		},
		"nothing written: nothing truncated": {
			setup: func(t *testing.T, _ *Emulator, src, dst *Cluster, clk *fakeClock) {
				mustProduce(t, src, "orders", 1, 1, 1)
				perTopic(t, alter(t, dst, "l1", "promote", "orders"))
				clk.Advance(2 * time.Second)
			},
			total:    float64(0),
			parts:    []any{},
			wantEnds: []int64{1, 1, 1},
		},
		"not stopped": {
			code: float64(CodeBadRequest), msg: "Cannot truncate and restore topic 'orders': its mirror is ACTIVE, not STOPPED",
		},
		"still PENDING_STOPPED": {
			setup: func(t *testing.T, _ *Emulator, _, dst *Cluster, _ *fakeClock) {
				perTopic(t, alter(t, dst, "l1", "failover", "orders"))
			},
			code: float64(CodeBadRequest), msg: "its mirror is PENDING_STOPPED, not STOPPED",
		},
		"source unreachable": {
			setup: func(t *testing.T, e *Emulator, _, dst *Cluster, clk *fakeClock) {
				perTopic(t, alter(t, dst, "l1", "failover", "orders"))
				clk.Advance(2 * time.Second)
				e.SetSourceOutage(srcID, true)
			},
			code: float64(CodeBadRequest), msg: "the source cluster of link 'l1' is unavailable",
		},
		"source topic gone": {
			setup: func(t *testing.T, _ *Emulator, src, dst *Cluster, clk *fakeClock) {
				perTopic(t, alter(t, dst, "l1", "failover", "orders"))
				clk.Advance(2 * time.Second)
				src.DeleteTopic("orders")
			},
			code: float64(CodeUnknownTopic), msg: "source topic 'orders' not found on cluster 'lkc-src'",
		},
		"not a mirror topic": {
			setup: func(_ *testing.T, _ *Emulator, _, dst *Cluster, _ *fakeClock) { dst.CreateTopic("local", 1) },
			topic: "local",
			code:  float64(CodeBadRequest), msg: "it is not a mirror topic of cluster link 'l1'",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, src, dst, clk := newFixture(t)
			createLink(t, dst, "l1")
			createMirror(t, dst, "l1", "orders")
			if tc.setup != nil {
				tc.setup(t, e, src, dst, clk)
			}
			topic := tc.topic
			if topic == "" {
				topic = "orders"
			}
			before, _ := dst.EndOffsets(topic)
			stBefore, _, _ := dst.Mirror("l1", topic)
			check := func(d map[string]any) {
				t.Helper()
				if d["error_code"] != tc.code || tc.code != nil && !strings.Contains(d["error_message"].(string), tc.msg) {
					t.Fatalf("answer %v %v, want %v %q", d["error_code"], d["error_message"], tc.code, tc.msg)
				}
				if d["messages_truncated"] != tc.total {
					t.Errorf("messages_truncated %v, want %v", d["messages_truncated"], tc.total)
				}
				if tc.parts != nil && !reflect.DeepEqual(d["partition_level_truncation_data"], tc.parts) {
					t.Errorf("partition_level_truncation_data %v, want %v", d["partition_level_truncation_data"], tc.parts)
				}
			}
			// validate_only answers the same and changes nothing.
			check(alterQ(t, dst, "l1", "truncate-and-restore", tc.query+"&validate_only=true", topic))
			wantEnds(t, dst, topic, before...)
			if st, _, _ := dst.Mirror("l1", topic); st != stBefore {
				t.Fatalf("validate_only changed the status to %s", st)
			}
			check(alterQ(t, dst, "l1", "truncate-and-restore", tc.query, topic))
			if tc.code != nil {
				wantEnds(t, dst, topic, before...)
				return
			}
			wantEnds(t, dst, topic, tc.wantEnds...)
			wantStatus(t, dst, "l1", topic, StatusPendingSetupForRestore)
			if err := dst.Produce(topic, 0, 1); err == nil {
				t.Error("a restoring topic took writes")
			}
			clk.Advance(2 * time.Second)
			wantStatus(t, dst, "l1", topic, StatusPendingRestore)
			clk.Advance(2 * time.Second)
			wantStatus(t, dst, "l1", topic, StatusActive)
			// It follows its source again.
			mustProduce(t, src, "orders", 0, 4)
			want := append([]int64(nil), tc.wantEnds...)
			want[1] += 4
			wantEnds(t, dst, topic, want...)
		})
	}
}

// TestDRDrill runs the drill of a bidirectional pair: fail over, write on the
// new primary, bring the old primary back, restore it as a mirror
// (truncate-and-restore on the old primary), and reverse back. Every one-way
// call is preceded by its validate_only call, as the request log shows.
func TestDRDrill(t *testing.T) {
	e, src, dst, clk := biPair(t)
	validated := func(c *Cluster, action, topic, query string) map[string]any {
		t.Helper()
		v := alterQ(t, c, "bi", action, query+"&validate_only=true", topic)
		d := alterQ(t, c, "bi", action, query, topic)
		if v["error_code"] != nil || d["error_code"] != nil {
			t.Fatalf("%s: %v / %v", action, v["error_message"], d["error_message"])
		}
		if v["messages_truncated"] != d["messages_truncated"] {
			t.Fatalf("%s: validate_only answered %v, the call %v", action, v["messages_truncated"], d["messages_truncated"])
		}
		return d
	}
	mustProduce(t, src, "orders", 10, 10, 10)
	wantEnds(t, dst, "orders", 10, 10, 10)

	// The primary (src) goes down after writes dst never copied.
	e.SetSourceOutage(srcID, true)
	mustProduce(t, src, "orders", 2, 0, 1)
	validated(dst, "failover", "orders", "")
	clk.Advance(2 * time.Second)
	wantStatus(t, dst, "bi", "orders", StatusStopped)
	mustProduce(t, dst, "orders", 5, 5, 5) // the new primary takes writes

	// The old primary comes back and is restored as a mirror of the new one.
	e.SetSourceOutage(srcID, false)
	d := validated(src, "truncate-and-restore", "orders", "include_partition_level_truncation_data=true")
	if d["messages_truncated"] != float64(3) {
		t.Fatalf("messages_truncated %v, want 3", d["messages_truncated"])
	}
	wantStatus(t, src, "bi", "orders", StatusPendingSetupForRestore)
	clk.Advance(4 * time.Second)
	wantStatus(t, src, "bi", "orders", StatusActive)
	wantEnds(t, src, "orders", 15, 15, 15)

	// Reverse back: src is the primary again, dst mirrors it.
	validated(src, "reverse-and-start-mirror", "orders", "")
	clk.Advance(2 * time.Second)
	wantStatus(t, src, "bi", "orders", StatusStopped)
	wantStatus(t, dst, "bi", "orders", StatusActive)
	mustProduce(t, src, "orders", 1, 0, 0)
	wantEnds(t, dst, "orders", 16, 15, 15)
	if err := dst.Produce("orders", 0, 1); err == nil {
		t.Error("the mirror on dst took writes")
	}

	// The request log shows every one-way call after its validate_only call.
	var seq []string
	for _, r := range e.Requests() {
		if i := strings.Index(r.Endpoint, "mirrors:"); i >= 0 {
			a := r.Cluster + " " + r.Endpoint[i+len("mirrors:"):]
			if r.ValidateOnly {
				if !strings.Contains(r.Query, "validate_only=true") {
					t.Errorf("query %q", r.Query)
				}
				a += " (validate_only)"
			}
			seq = append(seq, a)
		}
	}
	want := []string{
		dstID + " failover (validate_only)", dstID + " failover",
		srcID + " truncate-and-restore (validate_only)", srcID + " truncate-and-restore",
		srcID + " reverse-and-start-mirror (validate_only)", srcID + " reverse-and-start-mirror",
	}
	if !reflect.DeepEqual(seq, want) {
		t.Errorf("request log\n got %q\nwant %q", seq, want)
	}
}

func TestReverseOffsetsAndRefusals(t *testing.T) {
	tests := map[string]struct {
		action string
		setup  func(t *testing.T, e *Emulator, src, dst *Cluster, clk *fakeClock)
		msg    string // refusal; "" for success
		remote string // remote status after success
	}{
		"start": {action: "reverse-and-start-mirror", remote: StatusActive},
		"pause": {action: "reverse-and-pause-mirror", remote: StatusPaused},
		"paused": {action: "reverse-and-start-mirror", remote: StatusActive,
			setup: func(t *testing.T, _ *Emulator, _, dst *Cluster, _ *fakeClock) {
				perTopic(t, alter(t, dst, "bi", "pause", "orders"))
			}},
		"lag": {action: "reverse-and-start-mirror", msg: "mirror lag is 4, it must be 0",
			setup: func(t *testing.T, _ *Emulator, src, dst *Cluster, _ *fakeClock) {
				perTopic(t, alter(t, dst, "bi", "pause", "orders"))
				mustProduce(t, src, "orders", 4)
			}},
		"remote unreachable": {action: "reverse-and-pause-mirror", msg: "the remote cluster of link 'bi' is unavailable",
			setup: func(_ *testing.T, e *Emulator, _, _ *Cluster, _ *fakeClock) { e.SetSourceOutage(srcID, true) }},
		"remote link missing": {action: "reverse-and-start-mirror", msg: "remote cluster 'lkc-src' has no cluster link 'bi'",
			setup: func(_ *testing.T, _ *Emulator, src, _ *Cluster, _ *fakeClock) { delete(src.links, "bi") }},
		"stopped": {action: "reverse-and-start-mirror", msg: "has already stopped its mirror",
			setup: func(t *testing.T, _ *Emulator, _, dst *Cluster, _ *fakeClock) {
				perTopic(t, alter(t, dst, "bi", "failover", "orders"))
			}},
		"restoring": {action: "reverse-and-start-mirror", msg: "it is being restored (mirror_status PENDING_SETUP_FOR_RESTORE)",
			setup: func(t *testing.T, _ *Emulator, _, dst *Cluster, clk *fakeClock) {
				perTopic(t, alter(t, dst, "bi", "failover", "orders"))
				clk.Advance(2 * time.Second)
				perTopic(t, alter(t, dst, "bi", "truncate-and-restore", "orders"))
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, src, dst, clk := biPair(t)
			mustProduce(t, src, "orders", 3, 2, 1)
			if tc.setup != nil {
				tc.setup(t, e, src, dst, clk)
			}
			d := alterQ(t, dst, "bi", tc.action, "", "orders")
			if tc.msg != "" {
				if d["error_code"] != float64(CodeBadRequest) || !strings.Contains(d["error_message"].(string), tc.msg) {
					t.Fatalf("answer %v %v, want 40002 %q", d["error_code"], d["error_message"], tc.msg)
				}
				if len(src.Mirrors("bi")) != 0 {
					t.Fatal("a refused reverse made a remote mirror")
				}
				return
			}
			if d["error_code"] != nil {
				t.Fatalf("reverse: %v", d["error_message"])
			}
			wantStatus(t, dst, "bi", "orders", StatusPendingStopped)
			wantStatus(t, src, "bi", "orders", tc.remote)
			clk.Advance(2 * time.Second)
			wantStatus(t, dst, "bi", "orders", StatusStopped)
			wantEnds(t, src, "orders", 3, 2, 1)
			wantEnds(t, dst, "orders", 3, 2, 1)
			mustProduce(t, dst, "orders", 1, 1, 1)
			want := []int64{4, 3, 2}
			if tc.remote == StatusPaused {
				want = []int64{3, 2, 1}
			}
			wantEnds(t, src, "orders", want...)
			if err := src.Produce("orders", 0, 1); err == nil {
				t.Error("the new mirror took writes")
			}
			// The stopped local topic cannot be restored from the topic that
			// now mirrors it.
			if d := alterQ(t, dst, "bi", "truncate-and-restore", "", "orders"); d["error_code"] != float64(CodeBadRequest) ||
				!strings.Contains(d["error_message"].(string), "is a mirror of it") {
				t.Errorf("restore from own mirror: %v", d["error_message"])
			}
		})
	}
}

func TestReverseOnNonBidirectionalLink(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	createLink(t, dst, "l1")
	createMirror(t, dst, "l1", "orders")
	for _, a := range []string{"reverse-and-start-mirror", "reverse-and-pause-mirror"} {
		for _, q := range []string{"validate_only=true", ""} {
			d := alterQ(t, dst, "l1", a, q, "orders")
			if d["error_code"] != float64(CodeBadRequest) || d["error_message"] != "Cannot reverse topic 'orders': cluster link 'l1' is not bidirectional (link.mode=DESTINATION)" {
				t.Errorf("%s %s: %v %v", a, q, d["error_code"], d["error_message"])
			}
		}
	}
	wantStatus(t, dst, "l1", "orders", StatusActive)
}

// TestValidateOnly: for every mirror action, validate_only answers what the
// call answers and changes nothing: statuses, offsets, lags, topics.
func TestValidateOnly(t *testing.T) {
	stopped := func(t *testing.T, _ *Emulator, src, dst *Cluster, clk *fakeClock) {
		mustProduce(t, src, "orders", 4, 4, 4)
		perTopic(t, alter(t, dst, "bi", "failover", "orders"))
		clk.Advance(2 * time.Second)
		mustProduce(t, dst, "orders", 2, 1, 0)
	}
	tests := map[string]struct {
		action  string
		cluster string // where the action runs (default dst)
		setup   func(t *testing.T, e *Emulator, src, dst *Cluster, clk *fakeClock)
		query   string
	}{
		"pause": {action: "pause"},
		"resume": {action: "resume", setup: func(t *testing.T, _ *Emulator, _, dst *Cluster, _ *fakeClock) {
			perTopic(t, alter(t, dst, "bi", "pause", "orders"))
		}},
		"promote": {action: "promote"},
		"promote refused": {action: "promote", setup: func(t *testing.T, _ *Emulator, src, dst *Cluster, _ *fakeClock) {
			perTopic(t, alter(t, dst, "bi", "pause", "orders"))
			mustProduce(t, src, "orders", 1)
		}},
		"failover":                {action: "failover"},
		"reverse-and-start":       {action: "reverse-and-start-mirror"},
		"reverse-and-pause":       {action: "reverse-and-pause-mirror"},
		"truncate-and-restore":    {action: "truncate-and-restore", setup: stopped, query: "include_partition_level_truncation_data=true"},
		"restore from the remote": {action: "truncate-and-restore", cluster: srcID, setup: stopped},
		"restore refused":         {action: "truncate-and-restore"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, src, dst, clk := biPair(t)
			if tc.setup != nil {
				tc.setup(t, e, src, dst, clk)
			}
			c := dst
			if tc.cluster == srcID {
				c = src
			}
			state := func() []StateDump { return []StateDump{src.State(), dst.State()} }
			before := state()
			e.ResetRequests()
			v := alterQ(t, c, "bi", tc.action, tc.query+"&validate_only=true", "orders")
			if after := state(); !reflect.DeepEqual(after, before) {
				t.Fatalf("validate_only changed the state\nbefore %+v\nafter  %+v", before, after)
			}
			d := alterQ(t, c, "bi", tc.action, tc.query, "orders")
			for _, k := range []string{"error_code", "error_message", "messages_truncated", "partition_level_truncation_data"} {
				if !reflect.DeepEqual(v[k], d[k]) {
					t.Errorf("%s: validate_only %v, call %v", k, v[k], d[k])
				}
			}
			if d["error_code"] == nil && reflect.DeepEqual(state(), before) {
				t.Error("the call changed nothing either")
			}
			reqs := e.Requests()
			if len(reqs) != 2 || !reqs[0].ValidateOnly || reqs[1].ValidateOnly ||
				!strings.Contains(reqs[0].Query, "validate_only=true") || reqs[0].Endpoint != reqs[1].Endpoint {
				t.Errorf("request log %+v", reqs)
			}
		})
	}
}
