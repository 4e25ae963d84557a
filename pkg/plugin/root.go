// Package plugin is the kubectl-kafkalink plugin: day-2 operations on
// ClusterLinks (mirror tables, state changes by server-side apply, a
// one-screen describe, and a dry plan of a changed manifest computed with
// the controller's own state machine, pkg/mirror).
package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
)

// FieldManager is the server-side apply field manager of the plugin's
// state changes: managedFields show who paused or failed over a topic.
const FieldManager = "kubectl-kafkalink"

// Clients are what the commands talk to; tests replace them with fakes.
type Clients struct {
	Kafkalink versioned.Interface
	Kube      kubernetes.Interface
	// Namespace is the namespace of -n, else the kubeconfig context's.
	Namespace string
}

// Options are shared by every command.
type Options struct {
	genericiooptions.IOStreams
	// Clients builds the clients from the kubeconfig flags.
	Clients func() (*Clients, error)
}

// exitError carries an exit code for a failure already printed to the
// user (a webhook denial, a plan the webhook would reject, a wait that
// cannot finish): main exits with it without printing more.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// ExitCode is the process exit code for an error returned by the command:
// 0 for nil, the code of an already reported failure, else 1.
func ExitCode(err error) int {
	var e *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.code
	}
	return 1
}

// Reported reports whether err was already printed for the user.
func Reported(err error) bool {
	var e *exitError
	return errors.As(err, &e)
}

// NewCommand is `kubectl kafkalink`, with kubectl's connection flags
// (--kubeconfig, --context, -n, ...) from cli-runtime.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	o := &Options{IOStreams: streams}
	o.Clients = func() (*Clients, error) { return clientsFromFlags(flags, streams.ErrOut) }
	cmd := NewCommandWith(o)
	flags.AddFlags(cmd.PersistentFlags())
	return cmd
}

// NewCommandWith builds the command tree on the given options.
func NewCommandWith(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-kafkalink",
		Short: "Operate kafkalink ClusterLinks: mirror topics, state changes, describe, plan",
		Long: `Operate kafkalink ClusterLinks during day-2 work and incidents.

  kubectl kafkalink mirrors -A --sort-by lag        every mirror topic, most lagging first
  kubectl kafkalink failover LINK orders --wait     stop mirroring "orders" now, and watch it stop
  kubectl kafkalink describe LINK                   state, conditions, counts and recent events
  kubectl kafkalink plan -f link.yaml               what applying a changed manifest would do`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl kafkalink"},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(o.Out)
	cmd.SetErr(o.ErrOut)
	cmd.AddCommand(newMirrorsCommand(o), newDescribeCommand(o), newPlanCommand(o))
	for _, v := range stateVerbs {
		cmd.AddCommand(newStateCommand(o, v))
	}
	return cmd
}

// clientsFromFlags builds clients the way kubectl does, and prints API
// warnings (the webhook's admission warnings among them) to stderr as
// kubectl prints them.
func clientsFromFlags(flags *genericclioptions.ConfigFlags, errOut io.Writer) (*Clients, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.WarningHandler = rest.NewWarningWriter(errOut, rest.WarningWriterOptions{Deduplicate: true})
	cfg.UserAgent = "kubectl-kafkalink"
	ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("read the namespace from kubeconfig: %w", err)
	}
	kl, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kafkalink client: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Clients{Kafkalink: kl, Kube: kube, Namespace: ns}, nil
}

// Run runs the command and returns the process exit code, printing an
// error that was not already reported.
func Run(ctx context.Context, cmd *cobra.Command, errOut io.Writer) int {
	err := cmd.ExecuteContext(ctx)
	if err != nil && !Reported(err) {
		fmt.Fprintln(errOut, "error:", err)
	}
	return ExitCode(err)
}
