package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/fake"
)

const (
	active   = kafkalinkv1alpha1.MirrorTopicStateActive
	pause    = kafkalinkv1alpha1.MirrorTopicStatePause
	promote  = kafkalinkv1alpha1.MirrorTopicStatePromote
	failover = kafkalinkv1alpha1.MirrorTopicStateFailover
)

// link builds a ClusterLink: spec topics are "name=STATE", status entries
// "name:STATUS:lag:LASTACTION" (lag and action optional).
func link(ns, name string, spec []string, status ...string) *kafkalinkv1alpha1.ClusterLink {
	cl := &kafkalinkv1alpha1.ClusterLink{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kafkalink.io/v1alpha1", Kind: "ClusterLink"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 2, UID: types.UID("uid-" + name)},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud"}},
			SourceKafkaCluster:      kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "onprem:9071"},
		},
		Status: kafkalinkv1alpha1.ClusterLinkStatus{ObservedGeneration: 2},
	}
	for _, s := range spec {
		n, st, _ := strings.Cut(s, "=")
		cl.Spec.MirrorTopics = append(cl.Spec.MirrorTopics, kafkalinkv1alpha1.MirrorTopic{Name: n, State: kafkalinkv1alpha1.MirrorTopicState(st)})
	}
	for _, s := range status {
		f := strings.Split(s, ":")
		e := kafkalinkv1alpha1.MirrorTopicStatus{Name: f[0], Status: f[1], Created: true}
		if len(f) > 2 && f[2] != "" {
			e.MaxLag, _ = strconv.ParseInt(f[2], 10, 64)
		}
		if len(f) > 3 {
			e.LastAction = f[3]
		}
		cl.Status.MirrorTopics = append(cl.Status.MirrorTopics, e)
	}
	return cl
}

func TestMirrorRows(t *testing.T) {
	a := link("ops", "a", []string{"orders", "payments=PAUSE", "new"}, "orders:ACTIVE:5", "payments:PAUSED:0", "gone:ACTIVE:9")
	a.Status.MirrorTopics[0].Message = "line one\n  line two"
	b := link("dev", "b", []string{"clicks=PROMOTE"}, "clicks:PENDING_STOPPED:50")
	links := []kafkalinkv1alpha1.ClusterLink{*a, *b}
	cases := map[string]struct {
		statuses []string
		sortBy   string
		want     []string // namespace/link/topic desired status lag
		wantErr  bool
	}{
		"by name": {
			want: []string{"dev/b/clicks PROMOTE PENDING_STOPPED 50", "ops/a/gone (removed) ACTIVE 9", "ops/a/new ACTIVE  0", "ops/a/orders ACTIVE ACTIVE 5", "ops/a/payments PAUSE PAUSED 0"},
		},
		"by lag, largest first": {
			sortBy: SortByLag,
			want:   []string{"dev/b/clicks PROMOTE PENDING_STOPPED 50", "ops/a/gone (removed) ACTIVE 9", "ops/a/orders ACTIVE ACTIVE 5", "ops/a/new ACTIVE  0", "ops/a/payments PAUSE PAUSED 0"},
		},
		"by status": {
			sortBy: SortByStatus,
			want:   []string{"ops/a/new ACTIVE  0", "ops/a/gone (removed) ACTIVE 9", "ops/a/orders ACTIVE ACTIVE 5", "ops/a/payments PAUSE PAUSED 0", "dev/b/clicks PROMOTE PENDING_STOPPED 50"},
		},
		"status filter, case-insensitive, PENDING prefix": {
			statuses: []string{"paused", "PENDING"},
			want:     []string{"dev/b/clicks PROMOTE PENDING_STOPPED 50", "ops/a/payments PAUSE PAUSED 0"},
		},
		"not reported yet": {
			statuses: []string{"unknown"},
			want:     []string{"ops/a/new ACTIVE  0"},
		},
		"bad sort": {sortBy: "age", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rows, err := MirrorRows(slices.Clone(links), tc.statuses, tc.sortBy)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, strings.Join([]string{r.Namespace + "/" + r.Link + "/" + r.Topic, r.Desired, r.Status, jsonInt(r.MaxLag)}, " "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}

	var out bytes.Buffer
	rows, _ := MirrorRows(links, nil, SortByName)
	if err := PrintMirrors(&out, rows, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "NAMESPACE") || len(lines) != 6 {
		t.Fatalf("table:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "line one line two") || !strings.Contains(out.String(), "<unknown>") {
		t.Errorf("message not on one line, or unreported status not shown:\n%s", out.String())
	}
}

func jsonInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestSelectTopics(t *testing.T) {
	cl := link("ops", "a", []string{"orders", "payments=PAUSE", "clicks=PROMOTE", "logs=FAILOVER"})
	cases := map[string]struct {
		named       []string
		all         bool
		state       kafkalinkv1alpha1.MirrorTopicState
		want        []string
		wantSkipped int
		wantErr     string
	}{
		"named, sent as asked (the webhook judges)": {named: []string{"clicks", "orders", "orders"}, state: active, want: []string{"clicks", "orders"}},
		"named, not in spec":                        {named: []string{"orders", "nope"}, state: pause, wantErr: "nope"},
		"all pause: skips one-way states":           {all: true, state: pause, want: []string{"orders"}, wantSkipped: 2},
		"all resume":                                {all: true, state: active, want: []string{"payments"}, wantSkipped: 2},
		"all failover: escalates PROMOTE":           {all: true, state: failover, want: []string{"clicks", "orders", "payments"}},
		"all promote: FAILOVER cannot go back":      {all: true, state: promote, want: []string{"orders", "payments"}, wantSkipped: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, skipped, err := SelectTopics(cl, tc.named, tc.all, tc.state)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) || len(skipped) != tc.wantSkipped {
				t.Errorf("topics %v skipped %v, want %v and %d skipped", got, skipped, tc.want, tc.wantSkipped)
			}
		})
	}
}

// The apply configuration holds the entries' name and state and nothing
// else, so server-side apply takes ownership of those fields only.
func TestStateApplySendsOnlyNameAndState(t *testing.T) {
	b, err := json.Marshal(StateApply("demo", "ops", map[string]kafkalinkv1alpha1.MirrorTopicState{"b": failover, "a": pause}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"ClusterLink","apiVersion":"kafkalink.io/v1alpha1","metadata":{"name":"demo","namespace":"ops"},"spec":{"mirrorTopics":[{"name":"a","state":"PAUSE"},{"name":"b","state":"FAILOVER"}]}}`
	if string(b) != want {
		t.Errorf("apply configuration\n%s\nwant\n%s", b, want)
	}
}

// An apply must repeat the states the plugin applied before, or the
// apiserver drops them (a FAILOVER would fall back to the default ACTIVE).
func TestOwnedStates(t *testing.T) {
	cl := link("ops", "demo", []string{"a=FAILOVER", "b=PAUSE", "c", "d=PAUSE"})
	fields := func(manager string, op metav1.ManagedFieldsOperationType, raw string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, FieldsV1: &metav1.FieldsV1{Raw: []byte(raw)}}
	}
	cl.ManagedFields = []metav1.ManagedFieldsEntry{
		fields(FieldManager, metav1.ManagedFieldsOperationApply,
			`{"f:spec":{"f:mirrorTopics":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:state":{}},"k:{\"name\":\"b\"}":{"f:name":{},"f:state":{}},"k:{\"name\":\"c\"}":{"f:name":{}},"k:{\"name\":\"gone\"}":{"f:state":{}}}}}`),
		// Another manager's states are not the plugin's to repeat.
		fields("kubectl", metav1.ManagedFieldsOperationApply, `{"f:spec":{"f:mirrorTopics":{"k:{\"name\":\"d\"}":{"f:state":{}}}}}`),
		fields(FieldManager, metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:mirrorTopics":{"k:{\"name\":\"d\"}":{"f:state":{}}}}}`),
	}
	got, err := OwnedStates(cl, FieldManager)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]kafkalinkv1alpha1.MirrorTopicState{"a": failover, "b": pause}
	if len(got) != len(want) || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Errorf("owned states %v, want %v (c: name only; gone: not in spec; d: another manager or not an apply)", got, want)
	}
	cl.ManagedFields = []metav1.ManagedFieldsEntry{fields(FieldManager, metav1.ManagedFieldsOperationApply, `{"f:spec":`)}
	if _, err := OwnedStates(cl, FieldManager); err == nil {
		t.Error("malformed managed fields: no error")
	}
}

func TestPlanChange(t *testing.T) {
	live := link("ops", "demo", []string{"orders", "payments", "clicks=PROMOTE", "old", "done=FAILOVER", "lagging"},
		"orders:ACTIVE:0", "payments:ACTIVE:0", "clicks:STOPPED:0:PROMOTE", "old:ACTIVE:0", "done:STOPPED:0:FAILOVER", "lagging:ACTIVE:40")
	cases := map[string]struct {
		live      *kafkalinkv1alpha1.ClusterLink
		next      []string
		wantSteps []string // "ACTION topic"
		wantErrs  []string // field paths
		wantWarn  string
		unchanged int
	}{
		"create": {
			next:      []string{"a", "b=PAUSE"},
			wantSteps: []string{"CREATE a", "CREATE b"},
		},
		"create with a one-way state is denied": {
			next:      []string{"a=FAILOVER"},
			wantSteps: []string{"BLOCKED a"},
			wantErrs:  []string{"spec.mirrorTopics[name=a].state"},
		},
		"no change": {
			live:      live,
			next:      []string{"orders", "payments", "clicks=PROMOTE", "old", "done=FAILOVER", "lagging"},
			unchanged: 6,
		},
		"pause, fail over, promote waiting for lag, add, remove": {
			live:      live,
			next:      []string{"orders=PAUSE", "payments=FAILOVER", "clicks=PROMOTE", "lagging=PROMOTE", "added"},
			wantSteps: []string{"CREATE added", "PAUSE orders", "FAILOVER payments", "DELETE old", "RELEASE done", "WAIT lagging"},
			wantWarn:  "DELETED on the destination (the source is untouched): old",
			unchanged: 1,
		},
		"resume of a promoted topic is denied": {
			live:      live,
			next:      []string{"orders", "payments", "clicks=ACTIVE", "old", "done=FAILOVER", "lagging"},
			wantSteps: []string{"BLOCKED clicks"},
			wantErrs:  []string{"spec.mirrorTopics[name=clicks].state"},
			unchanged: 5,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := link("ops", "demo", tc.next)
			ch := PlanChange(tc.live, next)
			var steps []string
			for _, s := range ch.Steps {
				steps = append(steps, s.Action+" "+s.Topic)
			}
			if !slices.Equal(steps, tc.wantSteps) {
				t.Errorf("steps %v, want %v", steps, tc.wantSteps)
			}
			var paths []string
			for _, e := range ch.Errors {
				paths = append(paths, e.Field)
			}
			if !slices.Equal(paths, tc.wantErrs) {
				t.Errorf("errors %v, want paths %v", ch.Errors, tc.wantErrs)
			}
			if tc.wantWarn != "" && !strings.Contains(strings.Join(ch.Warnings, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q, want one with %q", ch.Warnings, tc.wantWarn)
			}
			if ch.Unchanged != tc.unchanged {
				t.Errorf("unchanged %d, want %d", ch.Unchanged, tc.unchanged)
			}
			if ch.Create != (tc.live == nil) {
				t.Errorf("create %v", ch.Create)
			}
		})
	}

	// Spec fields beside the topics, and an object being deleted.
	next := link("ops", "demo", []string{"orders", "payments", "clicks=PROMOTE", "old", "done=FAILOVER", "lagging"})
	next.Spec.Configs = map[string]string{"consumer.offset.sync.enable": "true"}
	if ch := PlanChange(live, next); !slices.Equal(ch.SpecFields, []string{"configs"}) {
		t.Errorf("spec fields %v, want [configs]", ch.SpecFields)
	}
	// Values the manifest leaves out (API defaults on the live object) are
	// not changes; values it sets differently are.
	defaulted := live.DeepCopy()
	defaulted.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyFailover
	defaulted.Spec.SourceKafkaCluster.ClusterID = "onprem"
	next.Spec.Configs = nil
	if ch := PlanChange(defaulted, next); len(ch.SpecFields) != 0 {
		t.Errorf("spec fields %v of a manifest without the defaulted fields", ch.SpecFields)
	}
	next.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain
	next.Spec.SourceKafkaCluster.BootstrapEndpoint = "other:9092"
	if ch := PlanChange(defaulted, next); !slices.Equal(ch.SpecFields, []string{"deletionPolicy", "sourceKafkaCluster"}) {
		t.Errorf("spec fields %v, want [deletionPolicy sourceKafkaCluster]", ch.SpecFields)
	}
	// A bidirectional link: toSource topics are planned on the source cluster.
	bi := link("ops", "bi", []string{"in", "out"})
	bi.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
	bi.Spec.MirrorTopics[1].Direction = kafkalinkv1alpha1.DirectionToSource
	biLive := bi.DeepCopy()
	biLive.Status.MirrorTopics = []kafkalinkv1alpha1.MirrorTopicStatus{
		{Name: "in", Status: "ACTIVE", Created: true},
		{Name: "out", Status: "ACTIVE", Created: true, Direction: kafkalinkv1alpha1.DirectionToSource},
	}
	biNext := bi.DeepCopy()
	biNext.Spec.MirrorTopics[1].State = pause
	var steps []string
	for _, st := range PlanChange(biLive, biNext).Steps {
		steps = append(steps, st.Action+" "+st.Topic+": "+st.Detail)
	}
	if !slices.Equal(steps, []string{"PAUSE out: (on the source cluster)"}) {
		t.Errorf("bidirectional plan steps %q", steps)
	}

	deleting := live.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if ch := PlanChange(deleting, next); !ch.Deleting || len(ch.Steps) != 0 {
		t.Errorf("plan of a deleting link: %+v", ch)
	}
}

func TestPrintChange(t *testing.T) {
	live := link("ops", "demo", []string{"orders", "old"}, "orders:ACTIVE:0", "old:ACTIVE:0")
	ch := PlanChange(live, link("ops", "demo", []string{"orders=ACTIVE"}))
	ch.Errors = field.ErrorList{field.Invalid(field.NewPath("spec", "name"), "x", "immutable")}
	var out bytes.Buffer
	if err := PrintChange(&out, ch); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ClusterLink ops/demo: updated",
		"DELETE old DELETED on the destination (the source is untouched)",
		"unchanged: 1 mirror topic\n",
		"Warning: removed mirror topic will be DELETED",
		"The webhook would deny this change:\n spec.name: Invalid value: \"x\": immutable",
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReadClusterLinks(t *testing.T) {
	in := `apiVersion: v1
kind: Secret
metadata: {name: s}
---
---
apiVersion: kafkalink.io/v1alpha1
kind: ClusterLink
metadata: {name: a}
spec:
  mirrorTopics: [{name: orders, state: PAUSE}]
---
{"apiVersion": "kafkalink.io/v1alpha1", "kind": "ClusterLink", "metadata": {"name": "b", "namespace": "other"}}
`
	links, skipped, err := ReadClusterLinks(strings.NewReader(in), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 || links[0].Namespace != "ops" || links[1].Namespace != "other" || links[0].Spec.MirrorTopics[0].State != pause {
		t.Errorf("links %+v", links)
	}
	if !slices.Equal(skipped, []string{"Secret/s"}) {
		t.Errorf("skipped %v", skipped)
	}
	for name, bad := range map[string]string{
		"unknown field": "apiVersion: kafkalink.io/v1alpha1\nkind: ClusterLink\nmetadata: {name: a}\nspec: {mirrorTopic: []}\n",
		"other version": "apiVersion: kafkalink.io/v1beta9\nkind: ClusterLink\nmetadata: {name: a}\n",
		"not YAML":      "apiVersion: [\n",
	} {
		if _, _, err := ReadClusterLinks(strings.NewReader(bad), "ops"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDescribe(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cl := link("ops", "demo", []string{"orders", "payments=PAUSE", "new"}, "orders:ACTIVE:3", "payments:SOURCE_UNAVAILABLE:0:PAUSE")
	cl.Status.MirrorTopics[1].Message = "paused; the destination reports SOURCE_UNAVAILABLE"
	cl.Status.State, cl.Status.LinkState, cl.Status.LinkError = "ACTIVE", "ACTIVE", "NO_ERROR"
	cl.Status.UnmanagedMirrorTopics = 2
	cl.Status.MirrorTopicsReady = "1/3"
	cl.Status.Conditions = []metav1.Condition{
		{Type: "Ready", Status: metav1.ConditionFalse, Reason: "MirrorsDegraded", Message: "mirror topics degraded", LastTransitionTime: metav1.NewTime(now.Add(-2 * time.Minute))},
		{Type: "Stalled", Status: metav1.ConditionTrue, Reason: "MirrorsDegraded", Message: "mirror topics degraded", LastTransitionTime: metav1.NewTime(now.Add(-2 * time.Minute))},
	}
	events := []corev1.Event{{Type: "Normal", Reason: "MirrorsPaused", Message: "Paused 1 mirror topic: payments", Count: 1, LastTimestamp: metav1.NewTime(now.Add(-time.Minute))}}
	var out bytes.Buffer
	if err := Describe(&out, cl, events, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Name:", "demo", "State:", "Generation: 2 (observed 2)",
		"Stalled True MirrorsDegraded 2m mirror topics degraded",
		"3 managed (<not reported> 1, ACTIVE 1, SOURCE_UNAVAILABLE 1), 2 unmanaged; in their desired state: 1/3",
		"payments SOURCE_UNAVAILABLE paused; the destination reports SOURCE_UNAVAILABLE",
		"Events:\n LAST SEEN TYPE REASON COUNT MESSAGE\n 60s Normal MirrorsPaused 1 Paused 1 mirror topic: payments",
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("describe lacks %q:\n%s", want, out.String())
		}
	}
}

// testOptions runs commands against fake clientsets.
func testOptions(objs ...runtime.Object) (*Options, *fake.Clientset, *bytes.Buffer, *bytes.Buffer) {
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	client := fake.NewSimpleClientset(objs...)
	c := &Clients{Kafkalink: client, Kube: kubefake.NewClientset(), Namespace: "ops"}
	return &Options{IOStreams: streams, Clients: func() (*Clients, error) { return c, nil }}, client, out, errOut
}

func TestMirrorsCommand(t *testing.T) {
	o, _, out, _ := testOptions(link("ops", "a", []string{"orders"}, "orders:ACTIVE:7"), link("dev", "b", []string{"clicks"}, "clicks:PAUSED:0"))
	cmd := NewCommandWith(o)
	cmd.SetArgs([]string{"mirrors", "-A", "--sort-by", "lag"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "ops ") || !strings.HasPrefix(lines[2], "dev ") {
		t.Errorf("mirrors -A --sort-by lag:\n%s", out.String())
	}

	out.Reset()
	cmd = NewCommandWith(o)
	cmd.SetArgs([]string{"mirrors"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "NAMESPACE") || strings.Contains(out.String(), "clicks") || !strings.Contains(out.String(), "orders") {
		t.Errorf("mirrors in namespace ops:\n%s", out.String())
	}
}

// --wait prints each change of a topic and stops with the state machine's
// reason when the topic cannot reach its state.
func TestWaitForState(t *testing.T) {
	cases := map[string]struct {
		// statuses are what successive GETs report for topic "orders".
		statuses  []string
		state     kafkalinkv1alpha1.MirrorTopicState
		wantErr   bool
		wantOut   []string
		wantError string
	}{
		"failover reaches STOPPED": {
			statuses: []string{"ACTIVE::FAILOVER", "PENDING_STOPPED::FAILOVER", "PENDING_STOPPED::FAILOVER", "STOPPED::FAILOVER"},
			state:    failover,
			wantOut:  []string{"orders: ACTIVE (max lag 0, last action FAILOVER)", "orders: PENDING_STOPPED (max lag 0, last action FAILOVER)", "orders: STOPPED (max lag 0, last action FAILOVER)", "reached FAILOVER"},
		},
		"promote blocked by a source outage": {
			statuses:  []string{"SOURCE_UNAVAILABLE::PAUSE"},
			state:     promote,
			wantErr:   true,
			wantError: "orders cannot reach PROMOTE: cannot promote while the mirror is SOURCE_UNAVAILABLE",
		},
		"times out with the reason": {
			statuses:  []string{"ACTIVE:40:PROMOTE"},
			state:     promote,
			wantErr:   true,
			wantError: "orders: ACTIVE: promote waits for the mirror to catch up (max lag 40)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cl := link("ops", "demo", []string{"orders=" + string(tc.state)})
			o, client, out, errOut := testOptions(cl)
			calls := 0
			client.PrependReactor("get", "clusterlinks", func(clienttesting.Action) (bool, runtime.Object, error) {
				s := tc.statuses[min(calls, len(tc.statuses)-1)]
				calls++
				f := strings.Split(s, ":")
				got := link("ops", "demo", []string{"orders=" + string(tc.state)}, "orders:"+f[0]+":"+f[1]+":"+f[2])
				return true, got, nil
			})
			c, _ := o.Clients()
			err := waitForState(context.Background(), o, c, cl, []string{"orders"}, tc.state, stateOptions{pollInterval: time.Millisecond, timeout: 200 * time.Millisecond})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v; stderr %s", err, tc.wantErr, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Count(out.String(), "PENDING_STOPPED") > 1 {
				t.Errorf("an unchanged status printed twice:\n%s", out.String())
			}
			if !strings.Contains(errOut.String(), tc.wantError) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantError, errOut.String())
			}
			if tc.wantErr && ExitCode(err) != 1 {
				t.Errorf("exit code %d", ExitCode(err))
			}
		})
	}
}

// squeeze collapses runs of spaces, so assertions do not depend on column widths.
func squeeze(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

// TestStaleRead: a resourceVersion conflict (the controller wrote status
// since the GET) is retried; a field-ownership conflict is the user's.
func TestStaleRead(t *testing.T) {
	gr := schema.GroupResource{Group: "kafkalink.io", Resource: "clusterlinks"}
	rv := apierrors.NewConflict(gr, "demo", errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	owned := apierrors.NewConflict(gr, "demo", errors.New(`Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using kafkalink.io/v1alpha1: .spec.mirrorTopics[name="a"].state`))
	if !staleRead(rv) || staleRead(owned) || staleRead(errors.New("boom")) {
		t.Errorf("staleRead: rv %v, owned %v", staleRead(rv), staleRead(owned))
	}
}
