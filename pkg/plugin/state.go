package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	applyv1alpha1 "github.com/kafkalink/kafkalink/pkg/generated/applyconfiguration/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

// stateVerb is one of the commands that set spec.mirrorTopics[].state.
type stateVerb struct {
	name  string
	state kafkalinkv1alpha1.MirrorTopicState
	short string
}

var stateVerbs = []stateVerb{
	{"pause", mirror.DesiredPause, "Pause mirror topics (state PAUSE)"},
	{"resume", mirror.DesiredActive, "Resume paused mirror topics (state ACTIVE)"},
	{"promote", mirror.DesiredPromote, "Promote mirror topics once caught up (state PROMOTE; cannot be undone)"},
	{"failover", mirror.DesiredFailover, "Fail mirror topics over now, even if the source is gone (state FAILOVER; cannot be undone)"},
}

type stateOptions struct {
	all            bool
	wait           bool
	timeout        time.Duration
	forceConflicts bool
	pollInterval   time.Duration
}

func newStateCommand(o *Options, v stateVerb) *cobra.Command {
	so := stateOptions{pollInterval: time.Second}
	cmd := &cobra.Command{
		Use:   v.name + " LINK (TOPIC... | --all)",
		Short: v.short,
		Long: v.short + `.

Changes spec.mirrorTopics[].state of the named topics with server-side apply
(field manager "` + FieldManager + `"): only those entries' state is sent; every
other field of the ClusterLink and of the entries stays as it is. The
kafkalink webhook judges the change; its warnings are printed on stderr and a
denial is printed as it is, with a non-zero exit.

A topic whose state is set in a manifest that another field manager applied
(kubectl apply, a GitOps tool) conflicts: change the manifest instead, or pass
--force-conflicts to take the field over (the GitOps tool may set it back).`,
		Example: fmt.Sprintf(`  kubectl kafkalink %[1]s clusterlink-demo orders payments
  kubectl kafkalink %[1]s clusterlink-demo --all --wait --timeout 5m`, v.name),
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if so.all == (len(args) > 1) {
				return fmt.Errorf("name the topics to %s, or pass --all (not both)", v.name)
			}
			c, err := o.Clients()
			if err != nil {
				return err
			}
			return setState(cmd.Context(), o, c, v, args[0], args[1:], so)
		},
	}
	cmd.Flags().BoolVar(&so.all, "all", false, "Every topic in spec.mirrorTopics that may move to this state (the others are listed and skipped).")
	cmd.Flags().BoolVar(&so.wait, "wait", false, "Wait until every topic reaches the state, printing progress; fail with the reason when one cannot.")
	cmd.Flags().DurationVar(&so.timeout, "timeout", 5*time.Minute, "How long --wait waits.")
	cmd.Flags().BoolVar(&so.forceConflicts, "force-conflicts", false, "Take over the state fields from another field manager (e.g. the one that applied the manifest).")
	return cmd
}

// StateApply is the apply configuration that sets the state of topics of a
// ClusterLink and nothing else: mirrorTopics is a map-list keyed by name,
// so the apiserver merges each entry by name and keeps the other fields.
// states must hold every state the plugin's field manager owns already
// (OwnedStates), not only the changed ones: server-side apply removes a
// field its manager applied before and leaves out now, which would reset
// an earlier FAILOVER to the default ACTIVE.
func StateApply(name, namespace string, states map[string]kafkalinkv1alpha1.MirrorTopicState) *applyv1alpha1.ClusterLinkApplyConfiguration {
	names := make([]string, 0, len(states))
	for t := range states {
		names = append(names, t)
	}
	sort.Strings(names)
	entries := make([]*applyv1alpha1.MirrorTopicApplyConfiguration, 0, len(names))
	for _, t := range names {
		entries = append(entries, applyv1alpha1.MirrorTopic().WithName(t).WithState(states[t]))
	}
	return applyv1alpha1.ClusterLink(name, namespace).WithSpec(applyv1alpha1.ClusterLinkSpec().WithMirrorTopics(entries...))
}

// OwnedStates returns the topics whose spec state the field manager owns
// through server-side apply, with their current state. Topics no longer
// in spec.mirrorTopics are left out: applying them would add them back.
func OwnedStates(cl *kafkalinkv1alpha1.ClusterLink, manager string) (map[string]kafkalinkv1alpha1.MirrorTopicState, error) {
	current := make(map[string]kafkalinkv1alpha1.MirrorTopicState, len(cl.Spec.MirrorTopics))
	for i := range cl.Spec.MirrorTopics {
		current[cl.Spec.MirrorTopics[i].Name] = cl.Spec.MirrorTopics[i].State
	}
	owned := map[string]kafkalinkv1alpha1.MirrorTopicState{}
	for _, mf := range cl.ManagedFields {
		if mf.Manager != manager || mf.Operation != metav1.ManagedFieldsOperationApply || mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		// FieldsV1: {"f:spec":{"f:mirrorTopics":{"k:{\"name\":\"orders\"}":{"f:state":{}}}}}
		var fields struct {
			Spec struct {
				MirrorTopics map[string]map[string]json.RawMessage `json:"f:mirrorTopics"`
			} `json:"f:spec"`
		}
		if err := json.Unmarshal(mf.FieldsV1.Raw, &fields); err != nil {
			return nil, fmt.Errorf("read the managed fields of %s: %w", manager, err)
		}
		for key, entry := range fields.Spec.MirrorTopics {
			k, ok := strings.CutPrefix(key, "k:")
			if !ok {
				continue
			}
			var id struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal([]byte(k), &id); err != nil {
				return nil, fmt.Errorf("read the managed fields of %s: key %s: %w", manager, key, err)
			}
			st, inSpec := current[id.Name]
			if _, ownsState := entry["f:state"]; ownsState && inSpec && st != "" {
				owned[id.Name] = st
			}
		}
	}
	return owned, nil
}

// SelectTopics picks the topics a state command changes. Named topics must
// be in spec.mirrorTopics (the command changes states; a new topic belongs in
// the manifest) and are sent as asked, so the webhook is the judge. With all,
// every topic not yet in the state whose change the one-way rules allow is
// picked, and the others are returned as skipped with the reason.
func SelectTopics(cl *kafkalinkv1alpha1.ClusterLink, named []string, all bool, state kafkalinkv1alpha1.MirrorTopicState) (topics, skipped []string, err error) {
	desired := make(map[string]kafkalinkv1alpha1.MirrorTopicState, len(cl.Spec.MirrorTopics))
	for i := range cl.Spec.MirrorTopics {
		desired[cl.Spec.MirrorTopics[i].Name] = cl.Spec.MirrorTopics[i].DesiredState()
	}
	if !all {
		var missing []string
		for _, t := range named {
			if _, ok := desired[t]; !ok {
				missing = append(missing, t)
			} else if !slices.Contains(topics, t) {
				topics = append(topics, t)
			}
		}
		if len(missing) > 0 {
			return nil, nil, fmt.Errorf("not in spec.mirrorTopics of ClusterLink %s/%s: %s (add new topics to the manifest)", cl.Namespace, cl.Name, strings.Join(missing, ", "))
		}
		return topics, nil, nil
	}
	for i := range cl.Spec.MirrorTopics {
		t := &cl.Spec.MirrorTopics[i]
		d := t.DesiredState()
		switch {
		case d == state:
		case !mirror.Transition(d, state):
			skipped = append(skipped, fmt.Sprintf("%s: %s cannot be changed to %s", t.Name, d, state))
		default:
			topics = append(topics, t.Name)
		}
	}
	sort.Strings(topics)
	return topics, skipped, nil
}

func setState(ctx context.Context, o *Options, c *Clients, v stateVerb, link string, named []string, so stateOptions) error {
	links := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(c.Namespace)
	var (
		topics  []string
		applied *kafkalinkv1alpha1.ClusterLink
		err     error
	)
	// The controller writes status all the time: an apply that lost the
	// race for the resourceVersion reads the object again and retries.
	for attempt := 1; ; attempt++ {
		var cl *kafkalinkv1alpha1.ClusterLink
		cl, err = links.Get(ctx, link, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get ClusterLink %s/%s: %w", c.Namespace, link, err)
		}
		var skipped []string
		topics, skipped, err = SelectTopics(cl, named, so.all, v.state)
		if err != nil {
			return err
		}
		if attempt == 1 {
			for _, s := range skipped {
				fmt.Fprintf(o.ErrOut, "skipped %s\n", s)
			}
		}
		if len(topics) == 0 {
			fmt.Fprintf(o.Out, "clusterlink.kafkalink.io/%s: no mirror topic to change to %s\n", link, v.state)
			return nil
		}
		var states map[string]kafkalinkv1alpha1.MirrorTopicState
		if states, err = OwnedStates(cl, FieldManager); err != nil {
			return err
		}
		for _, t := range topics {
			states[t] = v.state
		}
		// The resourceVersion makes the apply fail, rather than act on a
		// state it did not read, when the object changed since the GET.
		ac := StateApply(link, c.Namespace, states).WithResourceVersion(cl.ResourceVersion)
		applied, err = links.Apply(ctx, ac, metav1.ApplyOptions{FieldManager: FieldManager, Force: so.forceConflicts})
		if err == nil || !staleRead(err) || attempt == 5 {
			break
		}
	}
	if err != nil {
		printAPIError(o.ErrOut, err)
		if apierrors.IsConflict(err) && strings.Contains(err.Error(), "conflict with") && !so.forceConflicts {
			fmt.Fprintln(o.ErrOut, "hint: the manager named above owns these states (it applied them from a manifest): change the manifest, "+
				"or pass --force-conflicts to take them over (a GitOps tool that applies the manifest again sets them back)")
		}
		return &exitError{code: 1}
	}
	fmt.Fprintf(o.Out, "clusterlink.kafkalink.io/%s: %s -> %s\n", link, strings.Join(topics, ", "), v.state)
	if !so.wait {
		return nil
	}
	return waitForState(ctx, o, c, applied, topics, v.state, so)
}

// staleRead reports a conflict on the resourceVersion (the object changed
// since it was read), not a field-ownership conflict of server-side apply.
func staleRead(err error) bool {
	return apierrors.IsConflict(err) && !strings.Contains(err.Error(), "conflict with")
}

// printAPIError prints an API error as kubectl does: the server's message
// as it is (for a denial, the webhook's own words).
func printAPIError(w io.Writer, err error) {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		reason := string(s.Reason)
		if reason == "" {
			reason = fmt.Sprint(s.Code)
		}
		fmt.Fprintf(w, "Error from server (%s): %s\n", reason, s.Message)
		return
	}
	fmt.Fprintln(w, "error:", err)
}

// topicProgress is what --wait prints about a topic when it changes.
type topicProgress struct {
	status, lastAction, message string
	maxLag                      int64
}

// waitForState polls the ClusterLink until the controller reports every
// topic in state for the applied generation, printing each change; it
// stops early when a topic is blocked or reconciliation is paused.
func waitForState(ctx context.Context, o *Options, c *Clients, applied *kafkalinkv1alpha1.ClusterLink, topics []string, state kafkalinkv1alpha1.MirrorTopicState, so stateOptions) error {
	gen := applied.Generation
	last := map[string]topicProgress{}
	var cl *kafkalinkv1alpha1.ClusterLink
	var why error
	err := wait.PollUntilContextTimeout(ctx, so.pollInterval, so.timeout, true, func(ctx context.Context) (bool, error) {
		got, err := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(applied.Namespace).Get(ctx, applied.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("ClusterLink %s/%s was deleted while waiting", applied.Namespace, applied.Name)
			}
			// Transient API errors: keep polling until the timeout.
			return false, nil
		}
		cl = got
		if cl.Status.ObservedGeneration < gen {
			return false, nil // the status does not describe the change yet
		}
		done := true
		for _, t := range topics {
			s := findTopicStatus(cl, t)
			p := topicProgress{}
			if s != nil {
				p = topicProgress{status: s.Status, lastAction: s.LastAction, message: s.Message, maxLag: s.MaxLag}
			}
			if p != last[t] {
				last[t] = p
				fmt.Fprintln(o.Out, progressLine(t, p))
			}
			if s == nil || !mirror.InDesiredState(state, mirror.ParseStatus(s.Status)) {
				done = false
				if d := decide(s, state); d.Action == mirror.ActionBlocked {
					why = fmt.Errorf("%s cannot reach %s: %s", t, state, d.Reason)
					return false, why
				}
			}
		}
		if !done {
			if r := meta.FindStatusCondition(cl.Status.Conditions, kafkalinkv1alpha1.ConditionReady); r != nil && r.Reason == kafkalinkv1alpha1.ReasonReconciliationPaused {
				why = fmt.Errorf("reconciliation of %s/%s is paused (annotation %s): nothing changes until it is removed", cl.Namespace, cl.Name, kafkalinkv1alpha1.AnnotationPauseReconciliation)
				return false, why
			}
		}
		return done, nil
	})
	switch {
	case err == nil:
		fmt.Fprintf(o.Out, "clusterlink.kafkalink.io/%s: %s reached %s\n", applied.Name, strings.Join(topics, ", "), state)
		return nil
	case why != nil:
		fmt.Fprintln(o.ErrOut, "error:", why)
	case wait.Interrupted(err):
		fmt.Fprintf(o.ErrOut, "error: timed out after %s waiting for %s to reach %s\n", so.timeout, strings.Join(topics, ", "), state)
		for _, line := range pendingReasons(cl, topics, state, gen) {
			fmt.Fprintln(o.ErrOut, "  "+line)
		}
	default:
		fmt.Fprintln(o.ErrOut, "error:", err)
	}
	return &exitError{code: 1}
}

func findTopicStatus(cl *kafkalinkv1alpha1.ClusterLink, name string) *kafkalinkv1alpha1.MirrorTopicStatus {
	for i := range cl.Status.MirrorTopics {
		if cl.Status.MirrorTopics[i].Name == name {
			return &cl.Status.MirrorTopics[i]
		}
	}
	return nil
}

// decide is the controller's decision for a topic, from its status entry.
func decide(s *kafkalinkv1alpha1.MirrorTopicStatus, state kafkalinkv1alpha1.MirrorTopicState) mirror.Decision {
	if s == nil {
		return mirror.Plan(mirror.Topic{Desired: state, Status: mirror.StatusAbsent})
	}
	return mirror.Plan(mirror.Topic{Desired: state, Status: mirror.ParseStatus(s.Status), MaxLag: s.MaxLag,
		StoppedSeen: mirror.HistoryFromStatus(s), LastAction: mirror.Action(s.LastAction)})
}

func progressLine(topic string, p topicProgress) string {
	if p.status == "" {
		return fmt.Sprintf("%s: not reported yet", topic)
	}
	line := fmt.Sprintf("%s: %s (max lag %d", topic, p.status, p.maxLag)
	if p.lastAction != "" {
		line += ", last action " + p.lastAction
	}
	line += ")"
	if p.message != "" {
		line += ": " + oneLine(p.message)
	}
	return line
}

// pendingReasons says, for each topic not in its state, why: the topic's
// own message, what the controller waits for, and the Ready condition.
func pendingReasons(cl *kafkalinkv1alpha1.ClusterLink, topics []string, state kafkalinkv1alpha1.MirrorTopicState, gen int64) []string {
	if cl == nil {
		return []string{"the ClusterLink could not be read"}
	}
	var out []string
	if cl.Status.ObservedGeneration < gen {
		out = append(out, fmt.Sprintf("the controller has not reconciled the change yet (observed generation %d, want %d): is it running?", cl.Status.ObservedGeneration, gen))
	}
	for _, t := range topics {
		s := findTopicStatus(cl, t)
		if s != nil && mirror.InDesiredState(state, mirror.ParseStatus(s.Status)) {
			continue
		}
		line := t + ": "
		switch {
		case s == nil:
			line += "no status reported"
		case s.Message != "":
			line += s.Status + ": " + oneLine(s.Message)
		default:
			d := decide(s, state)
			line += s.Status
			if d.Reason != "" {
				line += ": " + d.Reason
			}
		}
		out = append(out, line)
	}
	if r := meta.FindStatusCondition(cl.Status.Conditions, kafkalinkv1alpha1.ConditionReady); r != nil && r.Status != metav1.ConditionTrue {
		out = append(out, fmt.Sprintf("Ready: %s: %s", r.Reason, oneLine(r.Message)))
	}
	return out
}
