package mirror

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

func link(topics ...kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
	return &kafkalinkv1alpha1.ClusterLink{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "operator"},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc"}},
			SourceKafkaCluster:      kafkalinkv1alpha1.KafkaClusterSpec{BootstrapEndpoint: "onprem:9092"},
			MirrorTopics:            topics,
		},
	}
}

func withStatus(cl *kafkalinkv1alpha1.ClusterLink, s ...kafkalinkv1alpha1.MirrorTopicStatus) *kafkalinkv1alpha1.ClusterLink {
	cl.Status.MirrorTopics = s
	return cl
}

func errStrings(errs field.ErrorList) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// observedRow is one way a topic can look in the old object's status.
type observedRow struct {
	label  string
	status *kafkalinkv1alpha1.MirrorTopicStatus
	// oracle inputs, from docs/design.md §3, independent of the code.
	stoppedLike, neverCreated bool
}

func observedRows() []observedRow {
	rows := []observedRow{
		{label: "never observed", status: nil, neverCreated: true},
		{label: "ABSENT, never created", status: &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT"}, neverCreated: true},
		{label: "ABSENT after promote", status: &kafkalinkv1alpha1.MirrorTopicStatus{Status: "ABSENT", Created: true, LastAction: "PROMOTE"}, stoppedLike: true},
	}
	for _, st := range Statuses {
		if st == StatusAbsent {
			continue
		}
		rows = append(rows, observedRow{label: string(st), status: &kafkalinkv1alpha1.MirrorTopicStatus{Status: string(st), Created: true},
			stoppedLike: st == StatusStopped || st == StatusPendingStopped})
	}
	return rows
}

// TestValidateUpdateEveryTriple asserts the outcome of every (old desired x
// new desired x observed) triple against an oracle written from the design.
func TestValidateUpdateEveryTriple(t *testing.T) {
	mirroring := func(d Desired) bool { return d == DesiredActive || d == DesiredPause }
	n := 0
	for _, row := range observedRows() {
		for _, od := range DesiredStates {
			for _, nd := range DesiredStates {
				n++
				var wantErr string
				switch {
				case od == nd:
				case !mirroring(od) && mirroring(nd):
					wantErr = "cannot be undone"
				case od == DesiredFailover && nd == DesiredPromote:
					wantErr = "FAILOVER cannot be changed to PROMOTE"
				case row.stoppedLike && mirroring(nd):
					wantErr = "allowed: PROMOTE, FAILOVER"
				case row.neverCreated && !mirroring(nd):
					wantErr = "allowed: ACTIVE, PAUSE"
				}
				old := link(topic("orders", od))
				if row.status != nil {
					s := *row.status
					s.Name = "orders"
					old.Status.MirrorTopics = []kafkalinkv1alpha1.MirrorTopicStatus{s}
				}
				next := old.DeepCopy()
				next.Spec.MirrorTopics[0].State = nd
				next.Spec.Configs = map[string]string{"touched": "so the spec differs"}
				errs, _ := ValidateUpdate(old, next)
				name := fmt.Sprintf("%s -> %s with observed %s", od, nd, row.label)
				if wantErr == "" {
					if len(errs) != 0 {
						t.Errorf("%s: want allowed, got %s", name, errStrings(errs))
					}
					continue
				}
				if len(errs) != 1 {
					t.Errorf("%s: want one error containing %q, got %d: %s", name, wantErr, len(errs), errStrings(errs))
					continue
				}
				msg := errs[0].Error()
				for _, want := range []string{"spec.mirrorTopics[name=orders].state", fmt.Sprintf("%q", nd), `"orders"`, wantErr} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: error %q does not contain %q", name, msg, want)
					}
				}
			}
		}
	}
	if want := len(observedRows()) * 16; n != want {
		t.Fatalf("exercised %d triples, want %d", n, want)
	}
}

// TestValidateUpdateAddedTopic: a topic new to the list starts ACTIVE or
// PAUSE, and must not contradict what a leftover status says.
func TestValidateUpdateAddedTopic(t *testing.T) {
	for _, row := range observedRows() {
		for _, d := range DesiredStates {
			var wantErr string
			switch {
			case d == DesiredPromote || d == DesiredFailover:
				wantErr = "must start ACTIVE or PAUSE"
			case row.stoppedLike:
				wantErr = "allowed: PROMOTE, FAILOVER"
			}
			old := link()
			if row.status != nil {
				s := *row.status
				s.Name = "orders"
				old.Status.MirrorTopics = []kafkalinkv1alpha1.MirrorTopicStatus{s}
			}
			next := old.DeepCopy()
			next.Spec.MirrorTopics = []kafkalinkv1alpha1.MirrorTopic{topic("orders", d)}
			errs, _ := ValidateUpdate(old, next)
			got := errStrings(errs)
			if (wantErr == "") != (got == "") || !strings.Contains(got, wantErr) {
				t.Errorf("add %s with observed %s: got %q, want error %q", d, row.label, got, wantErr)
			}
		}
	}
}

func TestValidateUpdateRules(t *testing.T) {
	stopped := kafkalinkv1alpha1.MirrorTopicStatus{Name: "orders", Status: "STOPPED", Created: true}
	tests := []struct {
		name     string
		old, new *kafkalinkv1alpha1.ClusterLink
		mutate   func(*kafkalinkv1alpha1.ClusterLink)
		errs     []string
		warnings []string
	}{
		{
			name:   "metadata-only update of a contradicting object is allowed",
			old:    withStatus(link(topic("orders", DesiredActive)), stopped),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Finalizers = nil; c.Labels = map[string]string{"a": "b"} },
		},
		{
			name: "terminating object: any update allowed (switch to Retain)",
			old: func() *kafkalinkv1alpha1.ClusterLink {
				c := withStatus(link(topic("orders", DesiredPromote)), stopped)
				c.DeletionTimestamp = &metav1.Time{}
				return c
			}(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain
				c.Spec.MirrorTopics[0].State = DesiredActive
			},
		},
		{
			name:   "unchanged desired state is not re-judged against a status changed outside kafkalink",
			old:    withStatus(link(topic("orders", DesiredActive)), stopped),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.Configs = map[string]string{"x": "y"} },
		},
		{
			name:     "removing mirroring topics warns they will be deleted; stopped ones are kept",
			old:      withStatus(link(topic("a", ""), topic("b", DesiredPause), topic("orders", DesiredPromote), topic("new", "")), managed("a", "ACTIVE"), managed("b", "PAUSED"), stopped),
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics = nil },
			warnings: []string{"removed mirror topics will be DELETED on the destination (the source is untouched): a, b", "stopped and kept on the destination, no longer managed: orders"},
		},
		{
			name:     "removing one topic of each kind says so in the singular",
			old:      withStatus(link(topic("a", ""), topic("orders", DesiredPromote)), managed("a", "ACTIVE"), stopped),
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics = nil },
			warnings: []string{"removed mirror topic will be DELETED on the destination (the source is untouched): a", "removed mirror topic is stopped and kept on the destination, no longer managed: orders"},
		},
		{
			name:   "removing a topic whose PROMOTE is under way is refused (it would be deleted)",
			old:    withStatus(link(topic("a", ""), topic("orders", DesiredPromote)), managed("a", "ACTIVE"), managed("orders", "ACTIVE")),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics = c.Spec.MirrorTopics[:1] },
			errs: []string{`spec.mirrorTopics[name=orders]: Forbidden: mirror topic "orders" cannot be removed while its one-way PROMOTE is under way (observed status ACTIVE)`,
				"Keep it in spec.mirrorTopics until its status is STOPPED", "change its state to FAILOVER"},
		},
		{
			name:   "removing a topic whose FAILOVER is under way is refused",
			old:    withStatus(link(topic("orders", DesiredFailover)), managed("orders", "SOURCE_UNAVAILABLE")),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics = nil },
			errs:   []string{`one-way FAILOVER is under way (observed status SOURCE_UNAVAILABLE)`},
		},
		{
			name:     "removing a topic once its PROMOTE has finished only stops managing it",
			old:      withStatus(link(topic("orders", DesiredPromote)), stopped),
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics = nil },
			warnings: []string{"stopped and kept on the destination, no longer managed: orders"},
		},
		{
			name:   "sourceTopicName is immutable",
			old:    link(topic("orders", "")),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics[0].SourceTopicName = "other" },
			errs:   []string{`spec.mirrorTopics[name=orders].sourceTopicName: Invalid value: "other": mirror topic "orders" mirrors source topic "orders"`},
		},
		{
			name:   "replicationFactor is immutable after creation",
			old:    withStatus(link(topic("orders", "")), managed("orders", "ACTIVE")),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics[0].ReplicationFactor = ptr.To[int32](3) },
			errs:   []string{"spec.mirrorTopics[name=orders].replicationFactor", "with replicationFactor unset (the destination default); it is immutable"},
		},
		{
			name:   "replicationFactor may change before creation",
			old:    link(topic("orders", "")),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.MirrorTopics[0].ReplicationFactor = ptr.To[int32](3) },
		},
		{
			name:   "link name is immutable",
			old:    link(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.Name = "other" },
			errs:   []string{`spec.name: Invalid value: "other": the link name on the destination is "demo"`},
		},
		{
			name: "linkMode is immutable",
			old:  link(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
			},
			errs: []string{"spec.sourceInitiatedLink.linkMode", "linkMode is Destination and is immutable"},
		},
		{
			name: "source cluster id cannot change from the observed one",
			old: func() *kafkalinkv1alpha1.ClusterLink {
				c := link()
				c.Status.SourceKafkaClusterID = "onprem"
				return c
			}(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.SourceKafkaCluster.ClusterID = "elsewhere" },
			errs:   []string{`spec.sourceKafkaCluster.clusterID: Invalid value: "elsewhere": the link mirrors from source cluster "onprem"`},
		},
		{
			name: "source cluster id cannot be removed",
			old: func() *kafkalinkv1alpha1.ClusterLink {
				c := link()
				c.Spec.SourceKafkaCluster.ClusterID = "onprem"
				return c
			}(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.SourceKafkaCluster.ClusterID = "" },
			errs:   []string{"cannot be removed once set"},
		},
		{
			name: "destination cluster id cannot change",
			old: func() *kafkalinkv1alpha1.ClusterLink {
				c := link()
				c.Status.DestinationKafkaClusterID = "lkc-1"
				return c
			}(),
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.DestinationKafkaCluster.ClusterID = "lkc-2" },
			errs:   []string{`spec.destinationKafkaCluster.clusterID: Invalid value: "lkc-2": the link lives on destination cluster "lkc-1"`},
		},
		{
			name:     "bootstrap change warns",
			old:      link(),
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.SourceKafkaCluster.BootstrapEndpoint = "onprem2:9092" },
			warnings: []string{`bootstrapEndpoint changes to "onprem2:9092"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.old.DeepCopy()
			tt.mutate(next)
			errs, warnings := ValidateUpdate(tt.old, next)
			checkAll(t, "errors", errStrings(errs), len(errs), tt.errs)
			checkAll(t, "warnings", strings.Join(warnings, "\n"), len(warnings), tt.warnings)
		})
	}
}

func checkAll(t *testing.T, what, got string, n int, want []string) {
	t.Helper()
	if len(want) == 0 && n != 0 {
		t.Errorf("unexpected %s: %s", what, got)
	}
	if len(want) > 0 && n == 0 {
		t.Errorf("no %s, want %q", what, want)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q do not contain %q", what, got, w)
		}
	}
}

func TestValidateCreate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*kafkalinkv1alpha1.ClusterLink)
		errs   []string
	}{
		{name: "valid", mutate: func(c *kafkalinkv1alpha1.ClusterLink) {}},
		{
			name: "new topics start ACTIVE or PAUSE",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.MirrorTopics = append(c.Spec.MirrorTopics, topic("x", DesiredPromote))
			},
			errs: []string{`spec.mirrorTopics[name=x].state: Invalid value: "PROMOTE": a new mirror topic must start ACTIVE or PAUSE`},
		},
		{
			name: "duplicate names",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.MirrorTopics = append(c.Spec.MirrorTopics, topic("orders", ""))
			},
			errs: []string{`spec.mirrorTopics[name=orders].name: Duplicate value: "orders"`},
		},
		{
			name: "one source topic mirrored twice",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.MirrorTopics = append(c.Spec.MirrorTopics, kafkalinkv1alpha1.MirrorTopic{Name: "orders2", SourceTopicName: "orders"})
			},
			errs: []string{`source topic "orders" is already mirrored by "orders" on this link`},
		},
		{
			name: "prefix conflicts between configs and mirrorTopicOptions",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.Configs = map[string]string{"cluster.link.prefix": "a."}
				c.Spec.MirrorTopicOptions = &kafkalinkv1alpha1.MirrorTopicOptions{Prefix: "b."}
				c.Spec.MirrorTopics = []kafkalinkv1alpha1.MirrorTopic{{Name: "b.orders", SourceTopicName: "orders"}}
			},
			errs: []string{`spec.configs[cluster.link.prefix]: Invalid value: "a.": conflicts with spec.mirrorTopicOptions.prefix "b."`},
		},
		{
			name: "names must carry the link prefix from configs",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.Configs = map[string]string{"cluster.link.prefix": "dc1."}
			},
			errs: []string{`spec.mirrorTopics[name=orders].name: Invalid value: "orders": mirror topic names must start with the link prefix "dc1."`},
		},
		{
			name: "destination link needs a REST class and a source bootstrap",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.DestinationKafkaCluster, c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{}, kafkalinkv1alpha1.KafkaClusterSpec{}
			},
			errs: []string{"spec.destinationKafkaCluster.kafkaRestClassRef: Required value", "spec.sourceKafkaCluster.bootstrapEndpoint: Required value"},
		},
		{
			name: "inbound destination link needs no source bootstrap",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeDestination, ConnectionMode: kafkalinkv1alpha1.ConnectionModeInbound}
				c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{ClusterID: "onprem"}
			},
		},
		{
			name: "source link needs the source REST class and the destination's bootstrap and id",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeSource}
				c.Spec.DestinationKafkaCluster.KafkaRestClassRef = nil
				c.Spec.MirrorTopics = nil
			},
			errs: []string{"spec.sourceKafkaCluster.kafkaRestClassRef: Required value", "spec.destinationKafkaCluster.bootstrapEndpoint: Required value", "spec.destinationKafkaCluster.clusterID: Required value"},
		},
		{
			// CFK derives the destination's id from its KafkaRestClass.
			name: "source link reads the destination's id through its REST class",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeSource}
				c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "src"}}
				c.Spec.DestinationKafkaCluster.BootstrapEndpoint = "cloud:9092"
				c.Spec.MirrorTopics = nil
			},
		},
		{
			// The destination side of a source-initiated link is Inbound:
			// the source connects to it, so no bootstrap; its id comes
			// from the source's REST class.
			name: "source-initiated destination side needs neither bootstrap nor id with a source REST class",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeDestination}
				c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "src"}}
			},
		},
		{
			name: "source-initiated destination side must name the source somehow",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeDestination}
				c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{}
			},
			errs: []string{"spec.sourceKafkaCluster.clusterID: Required value: an Inbound link waits for the source cluster to connect"},
		},
		{
			name: "an explicitly Outbound destination side still needs the source bootstrap",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeDestination, ConnectionMode: kafkalinkv1alpha1.ConnectionModeOutbound}
				c.Spec.SourceKafkaCluster = kafkalinkv1alpha1.KafkaClusterSpec{KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "src"}}
			},
			errs: []string{"spec.sourceKafkaCluster.bootstrapEndpoint: Required value"},
		},
		{
			name: "toSource needs a bidirectional link",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.MirrorTopics = append(c.Spec.MirrorTopics, kafkalinkv1alpha1.MirrorTopic{Name: "east-orders", Direction: kafkalinkv1alpha1.DirectionToSource})
			},
			errs: []string{"spec.mirrorTopics[name=east-orders].direction: Invalid value: \"toSource\": direction toSource creates the mirror topic on the source cluster"},
		},
		{
			name: "toSource needs the source REST class",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
				c.Spec.MirrorTopics = append(c.Spec.MirrorTopics, kafkalinkv1alpha1.MirrorTopic{Name: "east-orders", Direction: kafkalinkv1alpha1.DirectionToSource})
			},
			errs: []string{"spec.sourceKafkaCluster.kafkaRestClassRef: Required value: direction: toSource mirror topics are created on the source cluster"},
		},
		{
			// The prefix belongs to this side's link; a toSource topic
			// lives under the other side's. The same source name may be
			// mirrored once per direction.
			name: "bidirectional link with a prefix and both directions",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
				c.Spec.SourceKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "east"}
				c.Spec.MirrorTopicOptions = &kafkalinkv1alpha1.MirrorTopicOptions{Prefix: "east."}
				c.Spec.MirrorTopics = []kafkalinkv1alpha1.MirrorTopic{
					{Name: "east.orders", SourceTopicName: "orders"},
					{Name: "orders", Direction: kafkalinkv1alpha1.DirectionToSource},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := link(topic("orders", ""))
			tt.mutate(c)
			errs, warnings := ValidateCreate(c)
			checkAll(t, "errors", errStrings(errs), len(errs), tt.errs)
			if len(warnings) != 0 {
				t.Errorf("warnings on create: %v", warnings)
			}
		})
	}
}

func TestValidateDelete(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*kafkalinkv1alpha1.ClusterLink)
		err      string
		warnings string
	}{
		{
			name:   "protected",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.DeletionProtection = true },
			err:    `spec.deletionProtection: Forbidden: ClusterLink operator/demo is protected from deletion; to delete it, first set spec.deletionProtection to false (kubectl patch clusterlink demo -n operator --type merge -p '{"spec":{"deletionProtection":false}}')`,
		},
		{
			name: "already terminating: nothing to say",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Spec.DeletionProtection = true
				c.DeletionTimestamp = &metav1.Time{}
			},
		},
		{
			name:     "retain",
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) { c.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain },
			warnings: `deletionPolicy is Retain: link "demo" and its mirror topics stay unchanged on the destination`,
		},
		{
			name: "failover counts mirroring topics, managed and not",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Status.MirrorTopics = []kafkalinkv1alpha1.MirrorTopicStatus{managed("b", "PAUSED"), managed("a", "ACTIVE"), managed("s", "STOPPED"), managed("x", "ABSENT")}
				c.Status.UnmanagedMirrorTopics = 2
			},
			warnings: `will fail over 4 mirror topics of link "demo" (cannot be undone): a, b (2 unmanaged); deletionPolicy: Retain keeps them`,
		},
		{
			name: "failover of unmanaged only",
			mutate: func(c *kafkalinkv1alpha1.ClusterLink) {
				c.Status.UnmanagedMirrorTopics = 1
			},
			warnings: `will fail over 1 mirror topic of link "demo" (cannot be undone) (1 unmanaged)`,
		},
		{
			name:     "nothing mirroring",
			mutate:   func(c *kafkalinkv1alpha1.ClusterLink) {},
			warnings: `deletes link "demo" on the destination; no mirror topic is mirroring, none is failed over`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := link(topic("orders", ""))
			tt.mutate(c)
			errs, warnings := ValidateDelete(c)
			if got := errStrings(errs); got != tt.err {
				t.Errorf("errors\n got %q\nwant %q", got, tt.err)
			}
			if got := strings.Join(warnings, "\n"); !strings.Contains(got, tt.warnings) || (tt.warnings == "") != (got == "") {
				t.Errorf("warnings\n got %q\nwant %q", got, tt.warnings)
			}
		})
	}
}

func TestWarningsStayShort(t *testing.T) {
	var topics []kafkalinkv1alpha1.MirrorTopic
	var status []kafkalinkv1alpha1.MirrorTopicStatus
	for i := 0; i < 50; i++ {
		n := fmt.Sprintf("a-rather-long-topic-name-%03d", i)
		topics = append(topics, topic(n, ""))
		status = append(status, managed(n, "ACTIVE"))
	}
	old := withStatus(link(topics...), status...)
	old.Status.UnmanagedMirrorTopics = 12345
	next := old.DeepCopy()
	next.Spec.MirrorTopics = nil
	_, w1 := ValidateUpdate(old, next)
	_, w2 := ValidateDelete(old)
	for _, w := range append(w1, w2...) {
		if len(w) > 200 {
			t.Errorf("warning of %d characters: %s", len(w), w)
		}
		if !strings.Contains(w, " more") {
			t.Errorf("warning does not summarise: %s", w)
		}
	}
}

func TestTransition(t *testing.T) {
	want := map[[2]Desired]bool{}
	for _, o := range DesiredStates {
		for _, n := range DesiredStates {
			want[[2]Desired{o, n}] = true
		}
	}
	for _, o := range []Desired{DesiredPromote, DesiredFailover} {
		want[[2]Desired{o, DesiredActive}], want[[2]Desired{o, DesiredPause}] = false, false
	}
	want[[2]Desired{DesiredFailover, DesiredPromote}] = false
	for k, w := range want {
		if got := Transition(k[0], k[1]); got != w {
			t.Errorf("Transition(%s, %s) = %v, want %v", k[0], k[1], got, w)
		}
	}
}

// TestStateMachineDocIsCurrent fails when docs/state-machine.md no longer
// matches the code; `go generate ./pkg/mirror` (or make generate) rewrites it.
func TestStateMachineDocIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../docs/state-machine.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != Markdown() {
		t.Fatal("docs/state-machine.md is stale: run `go generate ./pkg/mirror` (make generate) and commit it")
	}
	// The document states rules; a number observed in one example run
	// ("max lag 42") would read as a fact about every topic.
	if m := regexp.MustCompile(`max lag [0-9]+`).FindString(string(b)); m != "" {
		t.Errorf("doc presents a sample value as a fact: %q", m)
	}
	for _, want := range []string{"| STOPPED | **invalid** | **invalid** | NONE | NONE |", "| PROMOTE | **rejected** (one-way) | **rejected** (one-way) | allowed | allowed |",
		"PROMOTE on an ACTIVE topic is WAIT while its max lag is above zero and PROMOTE once it is zero"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("doc lacks %q", want)
		}
	}
}

// TestValidateUpdateDirectionsAndKeptTopics: a topic cannot change
// direction; with deleteRemovedMirrorTopics false a removal is never
// refused and the warning says the topic is kept; a removed toSource topic
// is deleted on the source cluster and the warning says so.
func TestValidateUpdateDirectionsAndKeptTopics(t *testing.T) {
	bidi := func(topics ...kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
		c := link(topics...)
		c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
		c.Spec.SourceKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "east"}
		return c
	}
	push := kafkalinkv1alpha1.MirrorTopic{Name: "push", Direction: kafkalinkv1alpha1.DirectionToSource}

	errs, _ := ValidateUpdate(bidi(topic("push", "")), bidi(push))
	if !strings.Contains(errStrings(errs), `spec.mirrorTopics[name=push].direction: Invalid value: "toSource": mirror topic "push" lives on the destination cluster (direction toDestination) and cannot move`) {
		t.Errorf("direction change: %v", errStrings(errs))
	}

	old := withStatus(bidi(push, topic("pull", "")), kafkalinkv1alpha1.MirrorTopicStatus{Name: "push", Status: "ACTIVE", Created: true, Direction: kafkalinkv1alpha1.DirectionToSource},
		kafkalinkv1alpha1.MirrorTopicStatus{Name: "pull", Status: "ACTIVE", Created: true})
	errs, warnings := ValidateUpdate(old, bidi(topic("pull", "")))
	if len(errs) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "removed mirror topic will be DELETED on the source cluster (direction toSource") {
		t.Errorf("removing a toSource topic: errs %v warnings %q", errStrings(errs), warnings)
	}

	promoting := withStatus(link(topic("a", DesiredPromote)), kafkalinkv1alpha1.MirrorTopicStatus{Name: "a", Status: "ACTIVE", Created: true, DesiredState: DesiredPromote})
	if errs, _ := ValidateUpdate(promoting, link()); len(errs) != 1 {
		t.Fatalf("removing a promoting topic with the default must be refused: %v", errStrings(errs))
	}
	keep := link()
	keep.Spec.MirrorTopicOptions = &kafkalinkv1alpha1.MirrorTopicOptions{DeleteRemovedMirrorTopics: ptr.To(false)}
	errs, warnings = ValidateUpdate(promoting, keep)
	if len(errs) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "removed mirror topic is kept unchanged and no longer managed (mirrorTopicOptions.deleteRemovedMirrorTopics is false): a") {
		t.Errorf("deleteRemovedMirrorTopics false: errs %v warnings %q", errStrings(errs), warnings)
	}
}

// TestValidateRestore: going back from a one-way state needs
// restore.acceptTruncation and an observed STOPPED; each refusal names its
// precondition, and an admitted restore warns that it deletes records.
func TestValidateRestore(t *testing.T) {
	restore := func(d Desired) kafkalinkv1alpha1.MirrorTopic {
		tp := topic("orders", d)
		tp.Restore = &kafkalinkv1alpha1.MirrorTopicRestore{AcceptTruncation: true}
		return tp
	}
	failedOver := func(status string) *kafkalinkv1alpha1.ClusterLink {
		return withStatus(link(topic("orders", DesiredFailover)), kafkalinkv1alpha1.MirrorTopicStatus{Name: "orders", Status: status, Created: status != "", DesiredState: DesiredFailover, LastAction: string(ActionFailover)})
	}
	tests := []struct {
		name    string
		old     *kafkalinkv1alpha1.ClusterLink
		next    kafkalinkv1alpha1.MirrorTopic
		err     string
		warning string
	}{
		{name: "without the acknowledgement", old: failedOver("STOPPED"), next: topic("orders", DesiredActive),
			err: `mirror topic "orders": FAILOVER cannot be undone (observed status STOPPED); allowed: FAILOVER, or ACTIVE with restore.acceptTruncation: true once it is STOPPED`},
		{name: "not stopped yet", old: failedOver("PENDING_STOPPED"), next: restore(DesiredActive),
			err: "truncate-and-restore needs the topic STOPPED, and it is PENDING_STOPPED"},
		{name: "no longer under the link", old: failedOver(""), next: restore(DesiredPause),
			err: "truncate-and-restore needs the stopped topic listed under the link"},
		{name: "still mirroring", old: failedOver("ACTIVE"), next: restore(DesiredActive),
			err: "truncate-and-restore needs the topic STOPPED, and it is ACTIVE"},
		{name: "stopped: admitted, with the warning", old: failedOver("STOPPED"), next: restore(DesiredActive),
			warning: "truncate-and-restore will DELETE the records written since they stopped (restore.acceptTruncation) and make them mirrors again: orders"},
		{name: "into PAUSE", old: failedOver("STOPPED"), next: restore(DesiredPause),
			warning: "truncate-and-restore will DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, warnings := ValidateUpdate(tt.old, link(tt.next))
			if tt.err != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.err) || !strings.Contains(errs[0].Error(), "spec.mirrorTopics[name=orders].state") {
					t.Fatalf("errors %v, want one containing %q", errStrings(errs), tt.err)
				}
				return
			}
			if len(errs) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], tt.warning) {
				t.Fatalf("errors %v, warnings %q; want the warning %q", errStrings(errs), warnings, tt.warning)
			}
		})
	}
}

// TestValidateReverse: a direction change is a reverse only with reverse:
// true, on a bidirectional link, into ACTIVE or PAUSE, from a mirror whose
// other side is reachable; each refusal names its precondition; an
// admitted reverse warns that it is one-way.
func TestValidateReverse(t *testing.T) {
	pair := func(bidi bool, tp kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
		c := link(tp)
		c.Spec.SourceKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "east"}
		if bidi {
			c.Spec.SourceInitiatedLink = &kafkalinkv1alpha1.SourceInitiatedLink{LinkMode: kafkalinkv1alpha1.LinkModeBidirectional}
		}
		return c
	}
	reversed := func(d Desired, reverse bool) kafkalinkv1alpha1.MirrorTopic {
		return kafkalinkv1alpha1.MirrorTopic{Name: "orders", State: d, Direction: kafkalinkv1alpha1.DirectionToSource, Reverse: reverse}
	}
	observed := func(c *kafkalinkv1alpha1.ClusterLink, status string) *kafkalinkv1alpha1.ClusterLink {
		return withStatus(c, kafkalinkv1alpha1.MirrorTopicStatus{Name: "orders", Status: status, Created: true})
	}
	tests := []struct {
		name    string
		old     *kafkalinkv1alpha1.ClusterLink
		next    *kafkalinkv1alpha1.ClusterLink
		err     string
		warning string
	}{
		{name: "without reverse", old: observed(pair(true, topic("orders", "")), "ACTIVE"), next: pair(true, reversed(DesiredActive, false)),
			err: "spec.mirrorTopics[name=orders].direction: Invalid value: \"toSource\": mirror topic \"orders\" lives on the destination cluster (direction toDestination) and cannot move; set reverse: true"},
		{name: "not bidirectional", old: observed(pair(false, topic("orders", "")), "ACTIVE"), next: pair(false, reversed(DesiredActive, true)),
			err: "a reverse needs a bidirectional link"},
		{name: "into FAILOVER", old: observed(pair(true, topic("orders", "")), "ACTIVE"), next: pair(true, reversed(DesiredFailover, true)),
			err: "reverse needs state ACTIVE (reverse-and-start-mirror) or PAUSE (reverse-and-pause-mirror), not FAILOVER"},
		{name: "other side unreachable", old: observed(pair(true, topic("orders", "")), "SOURCE_UNAVAILABLE"), next: pair(true, reversed(DesiredActive, true)),
			err: "reverse needs the other side reachable, and the mirror is SOURCE_UNAVAILABLE"},
		{name: "not under the link", old: observed(pair(true, topic("orders", "")), ""), next: pair(true, reversed(DesiredActive, true)),
			err: "reverse needs the mirror topic under the link"},
		{name: "after a failover", old: observed(pair(true, topic("orders", DesiredFailover)), "STOPPED"), next: pair(true, reversed(DesiredActive, true)),
			err: "a reverse needs a mirror, and FAILOVER was asked for it"},
		{name: "reverse and start", old: observed(pair(true, topic("orders", "")), "ACTIVE"), next: pair(true, reversed(DesiredActive, true)),
			warning: "reverse (one-way): each topic becomes writable where its mirror was, and its same-named topic on the other cluster becomes its mirror: orders (now on the source cluster)"},
		{name: "reverse and pause", old: observed(pair(true, topic("orders", "")), "PAUSED"), next: pair(true, reversed(DesiredPause, true)),
			warning: "reverse (one-way)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, warnings := ValidateUpdate(tt.old, tt.next)
			if tt.err != "" {
				if len(errs) == 0 || !strings.Contains(errStrings(errs), tt.err) {
					t.Fatalf("errors %v, want one containing %q", errStrings(errs), tt.err)
				}
				return
			}
			if len(errs) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], tt.warning) {
				t.Fatalf("errors %v, warnings %q; want the warning %q", errStrings(errs), warnings, tt.warning)
			}
		})
	}
}
