// Command kubectl-kafkalink is the kafkalink kubectl plugin; kubectl runs it
// as `kubectl kafkalink ...` when it is on PATH.
//
//	kubectl kafkalink mirrors -A --sort-by lag
//	kubectl kafkalink failover LINK orders --wait
//	kubectl kafkalink describe LINK
//	kubectl kafkalink plan -f link.yaml
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kafkalink/kafkalink/pkg/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	code := plugin.Run(ctx, plugin.NewCommand(streams), os.Stderr)
	stop()
	os.Exit(code)
}
