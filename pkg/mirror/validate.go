package mirror

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

var (
	specPath         = field.NewPath("spec")
	mirrorTopicsPath = specPath.Child("mirrorTopics")
)

// SpecEqual reports whether two ClusterLink specs are the same, with nil and
// empty lists and maps equal: a client that omits an empty map must not
// turn a metadata-only update into a spec change. reflect.DeepEqual first,
// because it is free of allocations on the common equal case.
func SpecEqual(a, b *kafkalinkv1alpha1.ClusterLinkSpec) bool {
	return reflect.DeepEqual(a, b) || equality.Semantic.DeepEqual(a, b)
}

// topicPath is spec.mirrorTopics[name=X]: list-map entries are addressed by
// key, so the path stays right when the list is reordered.
func topicPath(name string) *field.Path {
	return specPath.Child(fmt.Sprintf("mirrorTopics[name=%s]", name))
}

// ValidateCreate validates a new ClusterLink: the spec rules CRD schemas
// cannot express, and that every mirror topic starts ACTIVE or PAUSE.
func ValidateCreate(cl *kafkalinkv1alpha1.ClusterLink) (field.ErrorList, []string) {
	errs := validateSpec(&cl.Spec)
	for i := range cl.Spec.MirrorTopics {
		t := &cl.Spec.MirrorTopics[i]
		if d := t.DesiredState(); oneWay(d) {
			errs = append(errs, field.Invalid(topicPath(t.Name).Child("state"), string(d),
				fmt.Sprintf("a new mirror topic must start ACTIVE or PAUSE: %s applies to a mirror that exists; create %q as ACTIVE first", d, t.Name)))
		}
	}
	return errs, nil
}

// ValidateUpdate validates a change of a ClusterLink against the state
// machine, using the old object's status as the observed state. Updates of
// a terminating object and updates that leave the spec unchanged are never
// denied, so finalizers and metadata can always be changed. (reflect's
// DeepEqual, not apimachinery's Semantic one: it allocates nothing, and the
// only difference, nil versus empty, merely re-validates a valid spec.)
func ValidateUpdate(old, cl *kafkalinkv1alpha1.ClusterLink) (field.ErrorList, []string) {
	if old.DeletionTimestamp != nil || cl.DeletionTimestamp != nil || SpecEqual(&old.Spec, &cl.Spec) {
		return nil, nil
	}
	errs := validateSpec(&cl.Spec)
	errs = append(errs, validateLinkIdentity(old, cl)...)

	observed := make(map[string]*kafkalinkv1alpha1.MirrorTopicStatus, len(old.Status.MirrorTopics))
	for i := range old.Status.MirrorTopics {
		observed[old.Status.MirrorTopics[i].Name] = &old.Status.MirrorTopics[i]
	}
	oldTopics := make(map[string]*kafkalinkv1alpha1.MirrorTopic, len(old.Spec.MirrorTopics))
	for i := range old.Spec.MirrorTopics {
		oldTopics[old.Spec.MirrorTopics[i].Name] = &old.Spec.MirrorTopics[i]
	}
	var warnings, restored, reversed []string
	inNew := make(map[string]bool, len(cl.Spec.MirrorTopics))
	for i := range cl.Spec.MirrorTopics {
		t := &cl.Spec.MirrorTopics[i]
		inNew[t.Name] = true
		terrs := validateTopicUpdate(oldTopics[t.Name], t, observed[t.Name], cl.Spec.LinkMode())
		errs = append(errs, terrs...)
		if len(terrs) == 0 && t.RestoreAccepted() && !oneWay(t.DesiredState()) && observedStatus(observed[t.Name]) == StatusStopped {
			restored = append(restored, t.Name)
		}
		if o := oldTopics[t.Name]; len(terrs) == 0 && o != nil && t.Reverse && o.EffectiveDirection() != t.EffectiveDirection() {
			reversed = append(reversed, fmt.Sprintf("%s (now on the %s cluster)", t.Name, clusterOf(t.EffectiveDirection())))
		}
	}
	if len(reversed) > 0 {
		sort.Strings(reversed)
		warnings = append(warnings, fmt.Sprintf("reverse (one-way): each topic becomes writable where its mirror was, and its same-named topic on the other cluster becomes its mirror: %s", names(reversed)))
	}
	if len(restored) > 0 {
		sort.Strings(restored)
		warnings = append(warnings, fmt.Sprintf("truncate-and-restore will DELETE the records written since they stopped (restore.acceptTruncation) and make them mirrors again: %s", names(restored)))
	}
	var deleted, deletedAtSource, released, kept []string
	deleteRemoved := DeletesRemovedTopics(&cl.Spec)
	for i := range old.Spec.MirrorTopics {
		name := old.Spec.MirrorTopics[i].Name
		if inNew[name] {
			continue
		}
		if !deleteRemoved {
			// deleteRemovedMirrorTopics: false — a removal only ends
			// management, whatever the topic's state: nothing to refuse.
			kept = append(kept, name)
			continue
		}
		st := observedStatus(observed[name])
		desired, last := old.Spec.MirrorTopics[i].DesiredState(), Action("")
		if o := observed[name]; o != nil {
			last = Action(o.LastAction)
			if oneWay(o.DesiredState) {
				desired = o.DesiredState
			}
		}
		switch OnRemovalOf(st, desired, last) {
		case RemovalRelease:
			released = append(released, name)
		case RemovalDelete, RemovalWait:
			if old.Spec.MirrorTopics[i].EffectiveDirection() == kafkalinkv1alpha1.DirectionToSource {
				deletedAtSource = append(deletedAtSource, name)
			} else {
				deleted = append(deleted, name)
			}
		case RemovalRefused:
			msg := fmt.Sprintf("mirror topic %q cannot be removed while its one-way %s is under way (observed status %s): removing it would DELETE the topic on the destination. "+
				"Keep it in spec.mirrorTopics until its status is STOPPED, then remove it to stop managing it", name, desired, st)
			if desired == DesiredPromote {
				msg += "; if the source cluster is gone, change its state to FAILOVER"
			}
			errs = append(errs, field.Forbidden(topicPath(name), msg))
		}
	}
	if len(deleted) > 0 {
		sort.Strings(deleted)
		warnings = append(warnings, fmt.Sprintf("%s DELETED on the destination (the source is untouched): %s", removedTopics(len(deleted), "will be"), names(deleted)))
	}
	if len(deletedAtSource) > 0 {
		sort.Strings(deletedAtSource)
		warnings = append(warnings, fmt.Sprintf("%s DELETED on the source cluster (direction toSource; the destination's topic is untouched): %s", removedTopics(len(deletedAtSource), "will be"), names(deletedAtSource)))
	}
	if len(kept) > 0 {
		sort.Strings(kept)
		warnings = append(warnings, fmt.Sprintf("%s kept unchanged and no longer managed (mirrorTopicOptions.deleteRemovedMirrorTopics is false): %s", removedTopics(len(kept), "are"), names(kept)))
	}
	if len(released) > 0 {
		sort.Strings(released)
		warnings = append(warnings, fmt.Sprintf("%s stopped and kept on the destination, no longer managed: %s", removedTopics(len(released), "are"), names(released)))
	}
	if o, n := old.Spec.SourceKafkaCluster.BootstrapEndpoint, cl.Spec.SourceKafkaCluster.BootstrapEndpoint; o != "" && n != o {
		warnings = append(warnings, fmt.Sprintf("spec.sourceKafkaCluster.bootstrapEndpoint changes to %q: it must reach the same source cluster", n))
	}
	return errs, warnings
}

// clusterOf names the cluster a direction puts a mirror topic on.
func clusterOf(d kafkalinkv1alpha1.MirrorTopicDirection) string {
	if d == kafkalinkv1alpha1.DirectionToSource {
		return "source"
	}
	return "destination"
}

func observedStatus(s *kafkalinkv1alpha1.MirrorTopicStatus) Status {
	if s == nil {
		return StatusAbsent
	}
	return ParseStatus(s.Status)
}

// validateTopicUpdate checks one topic of the new spec against its old spec
// entry (nil when added) and its observed status (nil when never observed).
func validateTopicUpdate(old, t *kafkalinkv1alpha1.MirrorTopic, s *kafkalinkv1alpha1.MirrorTopicStatus, mode kafkalinkv1alpha1.LinkMode) field.ErrorList {
	var errs field.ErrorList
	// The path is built only for an error: admitting a large link must not
	// allocate per topic.
	p := func() *field.Path { return topicPath(t.Name) }
	st, stoppedSeen := observedStatus(s), HistoryFromStatus(s)
	d := t.DesiredState()
	if old == nil {
		if oneWay(d) {
			return append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf(
				"mirror topic %q is new in spec.mirrorTopics and must start ACTIVE or PAUSE (observed status %s)", t.Name, st)))
		}
		if dec := Plan(Topic{Desired: d, Status: st, StoppedSeen: stoppedSeen}); dec.Invalid {
			errs = append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf("mirror topic %q: %s", t.Name, dec.Reason)))
		}
		return errs
	}
	od := old.DesiredState()
	if old.SourceName() != t.SourceName() {
		errs = append(errs, field.Invalid(p().Child("sourceTopicName"), t.SourceName(), fmt.Sprintf(
			"mirror topic %q mirrors source topic %q and that cannot change; remove the topic and add a new one instead", t.Name, old.SourceName())))
	}
	if o, n := old.EffectiveDirection(), t.EffectiveDirection(); o != n {
		switch {
		case !t.Reverse:
			errs = append(errs, field.Invalid(p().Child("direction"), string(n), fmt.Sprintf(
				"mirror topic %q lives on the %s cluster (direction %s) and cannot move; set reverse: true to reverse the mirror (one-way), or remove the topic and add a new one for the other direction", t.Name, clusterOf(o), o)))
		case mode != kafkalinkv1alpha1.LinkModeBidirectional:
			errs = append(errs, field.Invalid(p().Child("reverse"), true, fmt.Sprintf(
				"mirror topic %q: a reverse needs a bidirectional link (sourceInitiatedLink.linkMode: Bidirectional on both sides); this link's mode is %s", t.Name, mode)))
		case old.DesiredState() != t.DesiredState() && oneWay(old.DesiredState()):
			errs = append(errs, field.Invalid(p().Child("reverse"), true, fmt.Sprintf(
				"mirror topic %q: a reverse needs a mirror, and %s was asked for it", t.Name, old.DesiredState())))
		default:
			if st := observedStatus(s); st.Stopped() {
				errs = append(errs, field.Invalid(p().Child("reverse"), true, fmt.Sprintf(
					"mirror topic %q: a reverse needs a mirror, and the topic is %s on the %s cluster", t.Name, st, clusterOf(o))))
			} else if dec := PlanReverse(t.DesiredState(), st, 0); dec.Invalid || dec.Action == ActionBlocked {
				errs = append(errs, field.Invalid(p().Child("reverse"), true, fmt.Sprintf("mirror topic %q: %s (observed status on the %s cluster)", t.Name, dec.Reason, clusterOf(o))))
			}
		}
		return errs
	}
	created := s != nil && s.Created
	if created && !int32PtrEqual(old.ReplicationFactor, t.ReplicationFactor) {
		errs = append(errs, field.Invalid(p().Child("replicationFactor"), int32PtrString(t.ReplicationFactor), fmt.Sprintf(
			"mirror topic %q exists on the destination with replicationFactor %s; it is immutable after creation", t.Name, int32PtrString(old.ReplicationFactor))))
	}
	if d == od {
		// An unchanged desired state is never re-judged: a topic changed
		// outside kafkalink must not block unrelated edits of the object.
		return errs
	}
	switch {
	case oneWay(od) && !oneWay(d) && t.RestoreAccepted():
		// Back from a one-way state: only truncate-and-restore, and only
		// from STOPPED (the plan names the precondition otherwise).
		// A one-way state was asked for: the topic stopped, or is stopping.
		if dec := Plan(Topic{Desired: d, Status: st, StoppedSeen: true, Restore: true, OneWayAsked: true}); dec.Action != ActionRestore {
			reason := dec.Reason
			if !dec.Invalid {
				reason = fmt.Sprintf("truncate-and-restore needs the topic STOPPED, and it is %s", st)
			}
			errs = append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf("mirror topic %q: %s", t.Name, reason)))
		}
	case oneWay(od) && !oneWay(d):
		errs = append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf(
			"mirror topic %q: %s cannot be undone (observed status %s); allowed: %s, or %s with restore.acceptTruncation: true once it is STOPPED (truncate-and-restore)",
			t.Name, od, st, joinDesired(transitionsFrom(od)), d)))
	case od == DesiredFailover && d == DesiredPromote:
		errs = append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf(
			"mirror topic %q: FAILOVER cannot be changed to PROMOTE (observed status %s); allowed: FAILOVER", t.Name, st)))
	default:
		if dec := Plan(Topic{Desired: d, Status: st, StoppedSeen: stoppedSeen}); dec.Invalid {
			errs = append(errs, field.Invalid(p().Child("state"), string(d), fmt.Sprintf("mirror topic %q: %s", t.Name, dec.Reason)))
		}
	}
	return errs
}

// Transition reports whether the desired state of an existing topic may
// change from old to next, ignoring the observed status: PROMOTE and
// FAILOVER are one-way, PROMOTE may escalate to FAILOVER.
func Transition(old, next Desired) bool {
	for _, d := range transitionsFrom(old) {
		if d == next {
			return true
		}
	}
	return false
}

func transitionsFrom(d Desired) []Desired {
	switch d {
	case DesiredPromote:
		return []Desired{DesiredPromote, DesiredFailover}
	case DesiredFailover:
		return []Desired{DesiredFailover}
	}
	return DesiredStates
}

// validateLinkIdentity repeats the immutability rules of the CRD (so the
// webhook holds them on API servers without CEL) and adds the ones that
// need status.
func validateLinkIdentity(old, cl *kafkalinkv1alpha1.ClusterLink) field.ErrorList {
	var errs field.ErrorList
	if o, n := old.LinkName(), cl.LinkName(); o != n {
		errs = append(errs, field.Invalid(specPath.Child("name"), n, fmt.Sprintf(
			"the link name on the destination is %q and is immutable; create a new ClusterLink for a new link", o)))
	}
	if o, n := old.Spec.LinkMode(), cl.Spec.LinkMode(); o != n {
		errs = append(errs, field.Invalid(specPath.Child("sourceInitiatedLink", "linkMode"), string(n), fmt.Sprintf(
			"linkMode is %s and is immutable; create a new ClusterLink for a link of another mode", o)))
	}
	src := specPath.Child("sourceKafkaCluster", "clusterID")
	wasID := old.Spec.SourceKafkaCluster.ClusterID
	if wasID == "" {
		wasID = old.Status.SourceKafkaClusterID
	}
	if n := cl.Spec.SourceKafkaCluster.ClusterID; wasID != "" && n != "" && n != wasID {
		errs = append(errs, field.Invalid(src, n, fmt.Sprintf(
			"the link mirrors from source cluster %q; a link cannot be moved to another source cluster: create a new ClusterLink", wasID)))
	} else if n == "" && old.Spec.SourceKafkaCluster.ClusterID != "" {
		errs = append(errs, field.Invalid(src, n, fmt.Sprintf("sourceKafkaCluster.clusterID %q cannot be removed once set", old.Spec.SourceKafkaCluster.ClusterID)))
	}
	dst := specPath.Child("destinationKafkaCluster", "clusterID")
	wasDst := old.Spec.DestinationKafkaCluster.ClusterID
	if wasDst == "" {
		wasDst = old.Status.DestinationKafkaClusterID
	}
	if n := cl.Spec.DestinationKafkaCluster.ClusterID; wasDst != "" && n != "" && n != wasDst {
		errs = append(errs, field.Invalid(dst, n, fmt.Sprintf(
			"the link lives on destination cluster %q; moving it would orphan the link and its mirror topics there: create a new ClusterLink", wasDst)))
	}
	return errs
}

// validateSpec checks what the CRD schema cannot: names that collide after
// prefixing and the endpoints each link mode needs.
func validateSpec(spec *kafkalinkv1alpha1.ClusterLinkSpec) field.ErrorList {
	var errs field.ErrorList
	// Sized up front: 10,000 topics would otherwise rehash both maps a
	// dozen times per admission.
	names := make(map[string]bool, len(spec.MirrorTopics))
	sources := make(map[string]string, len(spec.MirrorTopics))
	prefix := ""
	if spec.MirrorTopicOptions != nil {
		prefix = spec.MirrorTopicOptions.Prefix
	}
	if p, ok := spec.Configs["cluster.link.prefix"]; ok && prefix != "" && p != prefix {
		errs = append(errs, field.Invalid(specPath.Child("configs").Key("cluster.link.prefix"), p, fmt.Sprintf(
			"conflicts with spec.mirrorTopicOptions.prefix %q; set the prefix in one place", prefix)))
	}
	if p, ok := spec.Configs["cluster.link.prefix"]; ok && prefix == "" {
		prefix = p
	}
	for i := range spec.MirrorTopics {
		t := &spec.MirrorTopics[i]
		p := func() *field.Path { return topicPath(t.Name) }
		if names[t.Name] {
			errs = append(errs, field.Duplicate(p().Child("name"), t.Name))
			continue
		}
		names[t.Name] = true
		// The prefix is this link's, on this cluster: a toSource topic
		// lives under the other side's link and follows its prefix.
		toSource := t.Direction == kafkalinkv1alpha1.DirectionToSource
		if prefix != "" && !toSource && !strings.HasPrefix(t.Name, prefix) {
			errs = append(errs, field.Invalid(p().Child("name"), t.Name, fmt.Sprintf("mirror topic names must start with the link prefix %q", prefix)))
		}
		src := t.SourceName()
		key := src
		if toSource {
			key = "\x00" + src // each direction mirrors its own cluster's topics
		}
		if other, ok := sources[key]; ok {
			errs = append(errs, field.Invalid(p().Child("sourceTopicName"), src, fmt.Sprintf(
				"source topic %q is already mirrored by %q on this link; a source topic can be mirrored once per link and direction", src, other)))
		} else {
			sources[key] = t.Name
		}
		if toSource && spec.LinkMode() != kafkalinkv1alpha1.LinkModeBidirectional {
			errs = append(errs, field.Invalid(p().Child("direction"), string(t.Direction), fmt.Sprintf(
				"direction toSource creates the mirror topic on the source cluster, under the other side of a bidirectional link; this link's mode is %s (set sourceInitiatedLink.linkMode: Bidirectional on both ClusterLinks of the pair)", spec.LinkMode())))
		}
	}
	errs = append(errs, validateEndpoints(spec)...)
	return errs
}

// validateEndpoints requires, per link mode, only what cannot be derived:
// cluster ids come from a kafkaRestClassRef when one is given, and a
// bootstrap endpoint is needed only by the side that opens the connection.
func validateEndpoints(spec *kafkalinkv1alpha1.ClusterLinkSpec) field.ErrorList {
	var errs field.ErrorList
	src, dst := specPath.Child("sourceKafkaCluster"), specPath.Child("destinationKafkaCluster")
	inbound := spec.ConnectionMode() == kafkalinkv1alpha1.ConnectionModeInbound
	mode := spec.LinkMode()
	switch mode {
	case kafkalinkv1alpha1.LinkModeSource:
		if spec.SourceKafkaCluster.KafkaRestClassRef == nil {
			errs = append(errs, field.Required(src.Child("kafkaRestClassRef"), "a linkMode: Source link is created through the source cluster's REST API"))
		}
		if !inbound && spec.DestinationKafkaCluster.BootstrapEndpoint == "" {
			errs = append(errs, field.Required(dst.Child("bootstrapEndpoint"), "a linkMode: Source link connects out to the destination through it"))
		}
		if spec.DestinationKafkaCluster.ClusterID == "" && spec.DestinationKafkaCluster.KafkaRestClassRef == nil {
			errs = append(errs, field.Required(dst.Child("clusterID"),
				"a linkMode: Source link names the destination cluster it pairs with: give destinationKafkaCluster.clusterID, or destinationKafkaCluster.kafkaRestClassRef to read it from"))
		}
		return errs
	case kafkalinkv1alpha1.LinkModeBidirectional:
		if spec.SourceKafkaCluster.KafkaRestClassRef == nil && spec.HasToSourceTopics() {
			errs = append(errs, field.Required(src.Child("kafkaRestClassRef"),
				"direction: toSource mirror topics are created on the source cluster, through its REST API"))
		}
	}
	if spec.DestinationKafkaCluster.KafkaRestClassRef == nil {
		errs = append(errs, field.Required(dst.Child("kafkaRestClassRef"), "the link is created through the destination cluster's REST API"))
	}
	switch {
	case inbound && spec.SourceKafkaCluster.ClusterID == "" && spec.SourceKafkaCluster.KafkaRestClassRef == nil:
		errs = append(errs, field.Required(src.Child("clusterID"),
			"an Inbound link waits for the source cluster to connect and must name it: give sourceKafkaCluster.clusterID, or sourceKafkaCluster.kafkaRestClassRef to read it from"))
	case !inbound && spec.SourceKafkaCluster.BootstrapEndpoint == "":
		msg := "the destination connects to the source through it"
		if mode == kafkalinkv1alpha1.LinkModeDestination {
			msg += " (only Inbound links go without: the destination side of a source-initiated link, sourceInitiatedLink.linkMode: Destination)"
		}
		errs = append(errs, field.Required(src.Child("bootstrapEndpoint"), msg))
	}
	return errs
}

// ValidateDelete decides whether a ClusterLink may be deleted and warns what
// deleting it does on the destination.
func ValidateDelete(cl *kafkalinkv1alpha1.ClusterLink) (field.ErrorList, []string) {
	if cl.DeletionTimestamp != nil {
		return nil, nil
	}
	if cl.Spec.DeletionProtection {
		return field.ErrorList{field.Forbidden(specPath.Child("deletionProtection"), fmt.Sprintf(
			"ClusterLink %s/%s is protected from deletion; to delete it, first set spec.deletionProtection to false "+
				"(kubectl patch clusterlink %s -n %s --type merge -p '{\"spec\":{\"deletionProtection\":false}}')",
			cl.Namespace, cl.Name, cl.Name, cl.Namespace))}, nil
	}
	link := cl.LinkName()
	if cl.EffectiveDeletionPolicy() == kafkalinkv1alpha1.DeletionPolicyRetain {
		return nil, []string{fmt.Sprintf("deletionPolicy is Retain: link %q and its mirror topics stay unchanged on the destination", link)}
	}
	var mirroring []string
	for _, s := range cl.Status.MirrorTopics {
		if st := ParseStatus(s.Status); !st.Stopped() && st != StatusAbsent {
			mirroring = append(mirroring, s.Name)
		}
	}
	sort.Strings(mirroring)
	n := len(mirroring) + int(cl.Status.UnmanagedMirrorTopics)
	if n == 0 {
		return nil, []string{fmt.Sprintf("deletes link %q on the destination; no mirror topic is mirroring, none is failed over", link)}
	}
	msg := fmt.Sprintf("will fail over %s of link %q (cannot be undone)", Count(n, "mirror topic"), link)
	if len(mirroring) > 0 {
		msg += ": " + names(mirroring)
	}
	if u := cl.Status.UnmanagedMirrorTopics; u > 0 {
		msg += fmt.Sprintf(" (%d unmanaged)", u)
	}
	return nil, []string{msg + "; deletionPolicy: Retain keeps them"}
}

// removedTopics starts a warning about n removed topics in the right
// number: "removed mirror topic is", "removed mirror topics are".
func removedTopics(n int, verb string) string {
	if n != 1 {
		return "removed mirror topics " + verb
	}
	if verb == "are" {
		verb = "is"
	}
	return "removed mirror topic " + verb
}

// names lists topic names for a warning within about 80 characters: the
// API server truncates long warnings, so the rest become "and N more".
func names(n []string) string {
	var b strings.Builder
	for i, name := range n {
		if i > 0 && b.Len()+len(name) > 80 {
			return fmt.Sprintf("%s and %d more", b.String(), len(n)-i)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
	}
	return b.String()
}

func int32PtrEqual(a, b *int32) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func int32PtrString(p *int32) string {
	if p == nil {
		return "unset (the destination default)"
	}
	return fmt.Sprint(*p)
}
