package plugin

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// MirrorRow is one managed mirror topic in the mirrors table.
type MirrorRow struct {
	Namespace, Link, Topic string
	// Desired is the spec state; "(removed)" for a topic removed from the
	// spec that the controller is still deleting or releasing.
	Desired string
	// Status is the observed mirror status; "" before the controller has
	// reported the topic.
	Status  string
	MaxLag  int64
	Message string
}

// Sort orders of the mirrors table.
const (
	SortByName   = "name"
	SortByLag    = "lag"
	SortByStatus = "status"
)

// MirrorRows lists the managed mirror topics of links: every topic in
// spec.mirrorTopics, with what status reports of it, and the topics still
// in status after their removal from the spec. statuses, when not empty,
// keeps only rows whose observed status is one of them (case-insensitive;
// PENDING matches any PENDING_*).
func MirrorRows(links []kafkalinkv1alpha1.ClusterLink, statuses []string, sortBy string) ([]MirrorRow, error) {
	var rows []MirrorRow
	for i := range links {
		cl := &links[i]
		observed := make(map[string]*kafkalinkv1alpha1.MirrorTopicStatus, len(cl.Status.MirrorTopics))
		for j := range cl.Status.MirrorTopics {
			observed[cl.Status.MirrorTopics[j].Name] = &cl.Status.MirrorTopics[j]
		}
		inSpec := make(map[string]bool, len(cl.Spec.MirrorTopics))
		for j := range cl.Spec.MirrorTopics {
			t := &cl.Spec.MirrorTopics[j]
			inSpec[t.Name] = true
			r := MirrorRow{Namespace: cl.Namespace, Link: cl.Name, Topic: t.Name, Desired: string(t.DesiredState())}
			if s := observed[t.Name]; s != nil {
				r.Status, r.MaxLag, r.Message = s.Status, s.MaxLag, s.Message
			}
			rows = append(rows, r)
		}
		for _, s := range cl.Status.MirrorTopics {
			if !inSpec[s.Name] {
				rows = append(rows, MirrorRow{Namespace: cl.Namespace, Link: cl.Name, Topic: s.Name, Desired: "(removed)", Status: s.Status, MaxLag: s.MaxLag, Message: s.Message})
			}
		}
	}
	if len(statuses) > 0 {
		kept := rows[:0]
		for _, r := range rows {
			if statusMatches(r.Status, statuses) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	byName := func(a, b MirrorRow) int {
		return strings.Compare(a.Namespace+"/"+a.Link+"/"+a.Topic, b.Namespace+"/"+b.Link+"/"+b.Topic)
	}
	var less func(a, b MirrorRow) bool
	switch sortBy {
	case SortByName, "":
		less = func(a, b MirrorRow) bool { return byName(a, b) < 0 }
	case SortByLag:
		// Most lagging first: the rows an incident starts from.
		less = func(a, b MirrorRow) bool {
			if a.MaxLag != b.MaxLag {
				return a.MaxLag > b.MaxLag
			}
			return byName(a, b) < 0
		}
	case SortByStatus:
		less = func(a, b MirrorRow) bool {
			if a.Status != b.Status {
				return a.Status < b.Status
			}
			return byName(a, b) < 0
		}
	default:
		return nil, fmt.Errorf("--sort-by %q: want %s, %s or %s", sortBy, SortByName, SortByLag, SortByStatus)
	}
	sort.SliceStable(rows, func(i, j int) bool { return less(rows[i], rows[j]) })
	return rows, nil
}

func statusMatches(status string, want []string) bool {
	for _, w := range want {
		w = strings.ToUpper(strings.TrimSpace(w))
		switch {
		case w == status:
			return true
		case w == "PENDING" && strings.HasPrefix(status, "PENDING_"):
			return true
		case w == "UNKNOWN" && status == "":
			return true
		}
	}
	return false
}

// PrintMirrors writes the mirrors table; the NAMESPACE column only when
// the rows span namespaces (-A), as kubectl get does.
func PrintMirrors(out io.Writer, rows []MirrorRow, withNamespace bool) error {
	w := printers.GetNewTabWriter(out)
	header := "LINK\tTOPIC\tDESIRED\tSTATUS\tMAX LAG\tMESSAGE"
	if withNamespace {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(w, header)
	for _, r := range rows {
		status := r.Status
		if status == "" {
			status = "<unknown>"
		}
		line := strings.Join([]string{r.Link, r.Topic, r.Desired, status, strconv.FormatInt(r.MaxLag, 10), oneLine(r.Message)}, "\t")
		if withNamespace {
			line = r.Namespace + "\t" + line
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	return nil
}

// oneLine keeps a table row on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newMirrorsCommand(o *Options) *cobra.Command {
	var (
		allNamespaces bool
		sortBy        string
		statuses      []string
	)
	cmd := &cobra.Command{
		Use:   "mirrors [LINK]",
		Short: "List the mirror topics of one ClusterLink, of every ClusterLink in the namespace, or in all namespaces (-A)",
		Example: `  kubectl kafkalink mirrors clusterlink-demo
  kubectl kafkalink mirrors -A --sort-by lag
  kubectl kafkalink mirrors -A --status SOURCE_UNAVAILABLE,FAILED,PENDING`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Clients()
			if err != nil {
				return err
			}
			if allNamespaces && len(args) == 1 {
				return fmt.Errorf("a LINK name cannot be combined with --all-namespaces")
			}
			ctx := cmd.Context()
			var links []kafkalinkv1alpha1.ClusterLink
			switch {
			case len(args) == 1:
				cl, err := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(c.Namespace).Get(ctx, args[0], metav1.GetOptions{})
				if err != nil {
					return fmt.Errorf("get ClusterLink %s/%s: %w", c.Namespace, args[0], err)
				}
				links = append(links, *cl)
			default:
				ns := c.Namespace
				if allNamespaces {
					ns = metav1.NamespaceAll
				}
				list, err := c.Kafkalink.KafkalinkV1alpha1().ClusterLinks(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					return fmt.Errorf("list ClusterLinks: %w", err)
				}
				links = list.Items
			}
			rows, err := MirrorRows(links, statuses, sortBy)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				where := "namespace " + c.Namespace
				if allNamespaces {
					where = "any namespace"
				}
				fmt.Fprintf(o.ErrOut, "No mirror topics found in %s.\n", where)
				return nil
			}
			return PrintMirrors(o.Out, rows, allNamespaces)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "List the mirror topics of ClusterLinks in all namespaces.")
	cmd.Flags().StringVar(&sortBy, "sort-by", SortByName, "Sort by name (namespace, link, topic), lag (largest first) or status.")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "Show only topics with these observed statuses (comma-separated; PENDING matches every PENDING_*).")
	return cmd
}
