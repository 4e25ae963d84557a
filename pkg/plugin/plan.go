package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/printers"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

// Step is one thing kafkalink would do for a mirror topic.
type Step struct {
	// Action is what the controller does: CREATE, PAUSE, RESUME, PROMOTE,
	// FAILOVER, DELETE, RELEASE (stop managing a stopped topic, keep it),
	// WAIT or BLOCKED.
	Action string
	Topic  string
	Detail string
}

// LinkChange is what applying a manifest of one ClusterLink would do.
type LinkChange struct {
	Namespace, Name string
	// Create: no such ClusterLink exists; applying creates it and the link.
	Create bool
	// Deleting: the live ClusterLink is being deleted; its spec no longer matters.
	Deleting bool
	// StaleStatus: the live status describes an older generation than the
	// live spec, so the plan is from slightly old observations.
	StaleStatus bool
	// SpecFields are changed spec fields other than mirrorTopics.
	SpecFields []string
	Steps      []Step
	// Unchanged counts topics with nothing to do.
	Unchanged int
	// Errors and Warnings are the webhook's answer to the change.
	Errors   field.ErrorList
	Warnings []string
}

// actionOrder is the order the controller acts in (creates, batches,
// deletions), then what it only reports.
var actionOrder = map[string]int{"CREATE": 0, "PAUSE": 1, "RESUME": 2, "PROMOTE": 3, "FAILOVER": 4, "DELETE": 5, "RELEASE": 6, "WAIT": 7, "BLOCKED": 8}

// PlanChange computes, with the controller's and the webhook's own state
// machine, what applying next would do given the live object (nil when it
// does not exist) and its status. It calls nothing.
func PlanChange(live, next *kafkalinkv1alpha1.ClusterLink) LinkChange {
	ch := LinkChange{Namespace: next.Namespace, Name: next.Name}
	var prev []kafkalinkv1alpha1.MirrorTopicStatus
	var observed []mirror.ObservedMirror
	if live == nil {
		ch.Create = true
		ch.Errors, ch.Warnings = mirror.ValidateCreate(next)
	} else {
		if live.DeletionTimestamp != nil {
			ch.Deleting = true
			return ch
		}
		ch.StaleStatus = live.Status.ObservedGeneration < live.Generation
		// The webhook judges the new spec against the old object and its
		// status; metadata comes from the live object.
		upd := live.DeepCopy()
		upd.Spec = next.Spec
		ch.Errors, ch.Warnings = mirror.ValidateUpdate(live, upd)
		ch.SpecFields = changedSpecFields(&live.Spec, &next.Spec)
		prev = live.Status.MirrorTopics
	}
	// A bidirectional link keeps mirrors on both clusters: each direction
	// is planned from the status entries observed on its cluster.
	for _, dir := range []kafkalinkv1alpha1.MirrorTopicDirection{kafkalinkv1alpha1.DirectionToDestination, kafkalinkv1alpha1.DirectionToSource} {
		observed = observed[:0]
		for i := range prev {
			s := &prev[i]
			if mirror.StatusDirection(s) != dir || mirror.ParseStatus(s.Status) == mirror.StatusAbsent {
				continue // the other cluster's, or not listed under the link
			}
			observed = append(observed, mirror.ObservedMirror{Name: s.Name, SourceTopicName: s.SourceName(), Status: s.Status, MaxLag: s.MaxLag})
		}
		where := ""
		plan := mirror.PlanLink(&next.Spec, prev, observed)
		if dir == kafkalinkv1alpha1.DirectionToSource {
			where = " (on the source cluster)"
			plan = mirror.PlanToSource(&next.Spec, prev, observed)
		}
		ch.addSteps(plan, where)
	}
	sort.SliceStable(ch.Steps, func(i, j int) bool {
		a, b := ch.Steps[i], ch.Steps[j]
		if actionOrder[a.Action] != actionOrder[b.Action] {
			return actionOrder[a.Action] < actionOrder[b.Action]
		}
		return a.Topic < b.Topic
	})
	return ch
}

// addSteps adds the steps of one direction's plan; where names the
// cluster when it is not the destination.
func (ch *LinkChange) addSteps(plan mirror.LinkPlan, where string) {
	step := func(action, topic, detail string) {
		if where != "" {
			detail = strings.TrimSpace(detail + where)
		}
		ch.Steps = append(ch.Steps, Step{Action: action, Topic: topic, Detail: detail})
	}
	for _, c := range plan.Create {
		d := plan.Decisions[c.Name]
		detail := "mirror of source topic " + c.SourceTopicName
		if d.Then == mirror.ActionPause {
			detail += ", then paused"
		}
		step(string(mirror.ActionCreate), c.Name, detail)
	}
	for _, a := range []struct {
		action mirror.Action
		topics []string
		detail string
	}{
		{mirror.ActionPause, plan.Pause, ""},
		{mirror.ActionResume, plan.Resume, ""},
		{mirror.ActionPromote, plan.Promote, "stops mirroring once caught up; the topic becomes writable (cannot be undone)"},
		{mirror.ActionFailover, plan.Failover, "stops mirroring now; the topic becomes writable (cannot be undone)"},
		{mirror.ActionRestore, plan.Restore, "truncate-and-restore: records written since it stopped are DELETED and it mirrors its source again (cannot be undone)"},
		{mirror.ActionReverseStart, plan.ReverseStart, "reverse: the topic becomes writable here and the other cluster's same-named topic its mirror, started (cannot be undone)"},
		{mirror.ActionReversePause, plan.ReversePause, "reverse: the topic becomes writable here and the other cluster's same-named topic its mirror, paused (cannot be undone)"},
		{mirror.ActionDelete, plan.Delete, "DELETED on the destination (the source is untouched)"},
	} {
		for _, t := range a.topics {
			if a.action == mirror.ActionPause && plan.Decisions[t].Then == mirror.ActionPause {
				continue // shown with its CREATE
			}
			detail := a.detail
			if a.action == mirror.ActionDelete && where != "" {
				detail = "DELETED (the topic it mirrors is untouched)"
			}
			step(string(a.action), t, detail)
		}
	}
	for _, t := range plan.Release {
		step("RELEASE", t, "kept as it is, no longer managed")
	}
	for name, d := range plan.Decisions {
		switch d.Action {
		case mirror.ActionWait, mirror.ActionBlocked:
			step(string(d.Action), name, d.Reason)
		case mirror.ActionNone:
			ch.Unchanged++
		}
	}
	for _, t := range plan.Wait {
		if _, inSpec := plan.Decisions[t]; !inSpec {
			step(string(mirror.ActionWait), t, "removed, status unknown: nothing is deleted until it is known")
		}
	}
}

// changedSpecFields names the top-level spec fields, other than
// mirrorTopics, that the manifest sets to something the live spec does not
// hold. What the manifest leaves out is not a change: the live value may
// be an API default.
func changedSpecFields(live, next *kafkalinkv1alpha1.ClusterLinkSpec) []string {
	toMap := func(s *kafkalinkv1alpha1.ClusterLinkSpec) map[string]any {
		var m map[string]any
		raw, _ := json.Marshal(s)
		_ = json.Unmarshal(raw, &m)
		return m
	}
	lm, nm := toMap(live), toMap(next)
	var out []string
	for k, v := range nm {
		if k != "mirrorTopics" && !covers(lm[k], v) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// covers reports whether the live value holds everything the manifest's
// value sets (map keys the manifest omits are ignored, recursively).
func covers(live, manifest any) bool {
	switch m := manifest.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return len(m) == 0 && live == nil
		}
		for k, v := range m {
			if !covers(l[k], v) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok {
			return len(m) == 0 && live == nil
		}
		if len(l) != len(m) {
			return false
		}
		for i := range m {
			if !covers(l[i], m[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(live, manifest)
}

// ReadClusterLinks decodes the ClusterLinks of a YAML or JSON stream (one
// or more documents); other kinds are returned by kind/name in skipped.
// namespace is used for documents without one.
func ReadClusterLinks(r io.Reader, namespace string) (links []*kafkalinkv1alpha1.ClusterLink, skipped []string, err error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	for i := 1; ; i++ {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return links, skipped, nil
			}
			return nil, nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(u.Object) == 0 {
			continue // an empty document between separators
		}
		gvk := u.GroupVersionKind()
		if gvk.Group != kafkalinkv1alpha1.SchemeGroupVersion.Group || gvk.Kind != "ClusterLink" {
			skipped = append(skipped, fmt.Sprintf("%s/%s", gvk.Kind, u.GetName()))
			continue
		}
		if gvk.Version != kafkalinkv1alpha1.SchemeGroupVersion.Version {
			return nil, nil, fmt.Errorf("document %d: ClusterLink %s has apiVersion %s; this plugin knows %s", i, u.GetName(), u.GetAPIVersion(), kafkalinkv1alpha1.SchemeGroupVersion)
		}
		cl := &kafkalinkv1alpha1.ClusterLink{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, cl, true); err != nil {
			return nil, nil, fmt.Errorf("document %d: ClusterLink %s: %w", i, u.GetName(), err)
		}
		if cl.Namespace == "" {
			cl.Namespace = namespace
		}
		links = append(links, cl)
	}
}

// PrintChange writes a LinkChange for people.
func PrintChange(out io.Writer, ch LinkChange) error {
	w := printers.GetNewTabWriter(out)
	head := fmt.Sprintf("ClusterLink %s/%s", ch.Namespace, ch.Name)
	switch {
	case ch.Deleting:
		fmt.Fprintf(w, "%s: being deleted; applying changes nothing kafkalink does (the finalizer fails over and deletes the link)\n", head)
		return w.Flush()
	case ch.Create:
		fmt.Fprintf(w, "%s: created (the link is created on the destination)\n", head)
	default:
		fmt.Fprintf(w, "%s: updated\n", head)
	}
	if ch.StaleStatus {
		fmt.Fprintln(w, "  note: the live status describes an older generation; the controller has not caught up with the live spec yet")
	}
	if len(ch.SpecFields) > 0 {
		fmt.Fprintf(w, "  link settings change: spec.%s\n", strings.Join(ch.SpecFields, ", spec."))
	}
	if len(ch.Steps) > 0 {
		fmt.Fprintln(w, "  ACTION\tTOPIC\tDETAIL")
		for _, s := range ch.Steps {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", s.Action, s.Topic, s.Detail)
		}
	}
	if ch.Unchanged > 0 {
		fmt.Fprintf(w, "  unchanged: %s\n", mirror.Count(ch.Unchanged, "mirror topic"))
	}
	if len(ch.Steps) == 0 && len(ch.SpecFields) == 0 && !ch.Create {
		fmt.Fprintln(w, "  no change")
	}
	for _, warning := range ch.Warnings {
		fmt.Fprintf(w, "  Warning: %s\n", warning)
	}
	if len(ch.Errors) > 0 {
		fmt.Fprintln(w, "  The webhook would deny this change:")
		for _, e := range ch.Errors {
			fmt.Fprintf(w, "    %s\n", e.Error())
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the plan: %w", err)
	}
	return nil
}

func newPlanCommand(o *Options) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "plan -f FILE",
		Short: "Show what applying a changed ClusterLink manifest would do, computed with kafkalink's state machine; changes nothing",
		Long: `Show what applying a changed ClusterLink manifest would do: which mirror topics
kafkalink would create, pause, resume, promote, fail over, delete or stop managing,
what waits or is blocked, and what the webhook would warn about or deny. It reads
the live object and its status and computes the plan with the controller's own
state machine; it writes nothing. It exits 1 when the webhook would deny the change.`,
		Example: `  kubectl kafkalink plan -f artifacts/examples/clusterlink-demo.yaml
  kustomize build overlays/prod | kubectl kafkalink plan -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("-f FILE is required (- reads stdin)")
			}
			c, err := o.Clients()
			if err != nil {
				return err
			}
			return runPlan(cmd.Context(), o, c, file, cmd.InOrStdin())
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "The manifest to plan (YAML or JSON, one or more documents; - for stdin).")
	return cmd
}

func runPlan(ctx context.Context, o *Options, c *Clients, file string, stdin io.Reader) error {
	in := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("open manifest: %w", err)
		}
		defer f.Close()
		in = f
	}
	links, skipped, err := ReadClusterLinks(in, c.Namespace)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(o.ErrOut, "not ClusterLinks, not planned: %s\n", strings.Join(skipped, ", "))
	}
	if len(links) == 0 {
		return fmt.Errorf("%s holds no ClusterLink", file)
	}
	denied := false
	for i, next := range links {
		live, err := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(next.Namespace).Get(ctx, next.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			live = nil
		case err != nil:
			return fmt.Errorf("get ClusterLink %s/%s: %w", next.Namespace, next.Name, err)
		}
		ch := PlanChange(live, next)
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		if err := PrintChange(o.Out, ch); err != nil {
			return err
		}
		denied = denied || len(ch.Errors) > 0
	}
	if denied {
		return &exitError{code: 1}
	}
	return nil
}
