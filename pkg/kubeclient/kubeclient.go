// Package kubeclient holds the Kubernetes client settings both kafkalink
// binaries share: the request rate limits and how they are set by flag.
//
// client-go's defaults (5 requests per second, bursts of 10) are meant for
// small tools; a controller that writes the status of a thousand
// ClusterLinks, or a webhook whose informers list every Secret's metadata,
// would spend minutes waiting on its own client-side rate limiter. The
// defaults here are sized for fleets and still far below what one
// kube-apiserver serves (its default is 400 concurrent read and 200
// concurrent mutating requests).
package kubeclient

import (
	"flag"
	"fmt"

	"k8s.io/client-go/rest"
)

// Defaults for Options.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

// Options are the client settings a binary takes from flags.
type Options struct {
	// QPS is the sustained request rate to the kube-apiserver.
	QPS float64
	// Burst is how many requests may go at once above QPS.
	Burst int
}

// AddFlags registers --kube-api-qps and --kube-api-burst on fs with the
// fleet-sized defaults.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.Float64Var(&o.QPS, "kube-api-qps", DefaultQPS, "Sustained requests per second to the Kubernetes API server (client-side rate limit).")
	fs.IntVar(&o.Burst, "kube-api-burst", DefaultBurst, "Requests allowed at once above --kube-api-qps.")
}

// Validate rejects settings that would stall every request.
func (o *Options) Validate() error {
	if o.QPS <= 0 {
		return fmt.Errorf("--kube-api-qps must be positive, got %v", o.QPS)
	}
	if o.Burst < 1 {
		return fmt.Errorf("--kube-api-burst must be at least 1, got %d", o.Burst)
	}
	return nil
}

// Apply returns a copy of cfg with the rate limits set.
func (o *Options) Apply(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = float32(o.QPS)
	cfg.Burst = o.Burst
	return cfg
}
