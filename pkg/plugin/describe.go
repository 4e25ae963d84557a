package plugin

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// maxEvents is how many of the most recent Events describe shows.
const maxEvents = 10

func newDescribeCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:     "describe LINK",
		Short:   "One screen about a ClusterLink: state, conditions, mirror topics by status, recent events",
		Example: "  kubectl kafkalink describe clusterlink-demo -n operator",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Clients()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cl, err := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(c.Namespace).Get(ctx, args[0], metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("get ClusterLink %s/%s: %w", c.Namespace, args[0], err)
			}
			events, err := recentEvents(ctx, c, cl)
			if err != nil {
				// The link is described without them: reading Events may
				// be forbidden where reading ClusterLinks is not.
				fmt.Fprintf(o.ErrOut, "warning: %v\n", err)
			}
			return Describe(o.Out, cl, events, time.Now())
		},
	}
}

// recentEvents lists the Events about the ClusterLink, newest last.
func recentEvents(ctx context.Context, c *Clients, cl *kafkalinkv1alpha1.ClusterLink) ([]corev1.Event, error) {
	sel := fields.Set{
		"involvedObject.kind":      "ClusterLink",
		"involvedObject.name":      cl.Name,
		"involvedObject.namespace": cl.Namespace,
		"involvedObject.uid":       string(cl.UID),
	}.AsSelector().String()
	list, err := c.Kube.CoreV1().Events(cl.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list events of ClusterLink %s/%s: %w", cl.Namespace, cl.Name, err)
	}
	events := list.Items
	sort.SliceStable(events, func(i, j int) bool { return eventTime(&events[i]).Before(eventTime(&events[j])) })
	if len(events) > maxEvents {
		events = events[len(events)-maxEvents:]
	}
	return events, nil
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// Describe writes the one-screen summary of a ClusterLink.
func Describe(out io.Writer, cl *kafkalinkv1alpha1.ClusterLink, events []corev1.Event, now time.Time) error {
	w := printers.GetNewTabWriter(out)
	age := func(t time.Time) string {
		if t.IsZero() {
			return "<unknown>"
		}
		return duration.HumanDuration(now.Sub(t))
	}
	st := &cl.Status
	orNone := func(s string) string {
		if s == "" {
			return "<none>"
		}
		return s
	}
	fmt.Fprintf(w, "Name:\t%s\n", cl.Name)
	fmt.Fprintf(w, "Namespace:\t%s\n", cl.Namespace)
	fmt.Fprintf(w, "Link:\t%s\tid %s\n", cl.LinkName(), orNone(st.ClusterLinkID))
	state := orNone(st.State)
	if st.LinkState != "" && st.LinkState != st.State {
		state += " (link state " + st.LinkState + ")"
	}
	if st.LinkError != "" && st.LinkError != "NO_ERROR" {
		state += ", link error " + st.LinkError
	}
	fmt.Fprintf(w, "State:\t%s\n", state)
	fmt.Fprintf(w, "Clusters:\tsource %s -> destination %s\n", orNone(st.SourceKafkaClusterID), orNone(st.DestinationKafkaClusterID))
	fmt.Fprintf(w, "Generation:\t%d (observed %d)\n", cl.Generation, st.ObservedGeneration)
	if cl.DeletionTimestamp != nil {
		fmt.Fprintf(w, "Deleting:\tsince %s ago, deletionPolicy %s\n", age(cl.DeletionTimestamp.Time), cl.EffectiveDeletionPolicy())
	}
	if cl.Annotations[kafkalinkv1alpha1.AnnotationPauseReconciliation] == "true" {
		fmt.Fprintf(w, "Paused:\treconciliation is paused (%s)\n", kafkalinkv1alpha1.AnnotationPauseReconciliation)
	}

	// Each section is its own table: the columns of one never widen another.
	section := func() error {
		err := w.Flush()
		w = printers.GetNewTabWriter(out)
		return err
	}
	if err := section(); err != nil {
		return fmt.Errorf("write the description: %w", err)
	}
	fmt.Fprintln(w, "Conditions:")
	if len(st.Conditions) == 0 {
		fmt.Fprintln(w, "  <none>")
	} else {
		fmt.Fprintln(w, "  TYPE\tSTATUS\tREASON\tAGE\tMESSAGE")
		for _, c := range st.Conditions {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(c.LastTransitionTime.Time), oneLine(c.Message))
		}
	}

	if err := section(); err != nil {
		return fmt.Errorf("write the description: %w", err)
	}
	fmt.Fprintf(w, "Mirror topics:\t%s\n", mirrorCounts(cl))
	rows, _ := MirrorRows([]kafkalinkv1alpha1.ClusterLink{*cl}, nil, SortByName)
	var notes []MirrorRow
	for _, r := range rows {
		if r.Message != "" {
			notes = append(notes, r)
		}
	}
	for _, r := range notes {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", r.Topic, orNone(r.Status), oneLine(r.Message))
	}

	if err := section(); err != nil {
		return fmt.Errorf("write the description: %w", err)
	}
	fmt.Fprintln(w, "Events:")
	if len(events) == 0 {
		fmt.Fprintln(w, "  <none>")
	} else {
		fmt.Fprintln(w, "  LAST SEEN\tTYPE\tREASON\tCOUNT\tMESSAGE")
		for i := range events {
			e := &events[i]
			count := e.Count
			if count == 0 {
				count = 1
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\n", age(eventTime(e)), e.Type, e.Reason, count, oneLine(e.Message))
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the description: %w", err)
	}
	return nil
}

// mirrorCounts is "3 managed (ACTIVE 2, PAUSED 1), 1 unmanaged; 2 of 3 in
// their desired state".
func mirrorCounts(cl *kafkalinkv1alpha1.ClusterLink) string {
	byStatus := map[string]int{}
	for _, s := range cl.Status.MirrorTopics {
		st := s.Status
		if st == "" {
			st = "<unknown>"
		}
		byStatus[st]++
	}
	// Topics in the spec that status does not list yet.
	for i := range cl.Spec.MirrorTopics {
		if findTopicStatus(cl, cl.Spec.MirrorTopics[i].Name) == nil {
			byStatus["<not reported>"]++
		}
	}
	statuses := make([]string, 0, len(byStatus))
	total := 0
	for s, n := range byStatus {
		statuses = append(statuses, s)
		total += n
	}
	sort.Strings(statuses)
	parts := make([]string, 0, len(statuses))
	for _, s := range statuses {
		parts = append(parts, fmt.Sprintf("%s %d", s, byStatus[s]))
	}
	out := fmt.Sprintf("%d managed", total)
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	out += fmt.Sprintf(", %d unmanaged", cl.Status.UnmanagedMirrorTopics)
	if r := cl.Status.MirrorTopicsReady; r != "" {
		out += "; in their desired state: " + r
	}
	return out
}
