// Command kafkalink-webhook serves kafkalink's validating admission webhook.
package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	"github.com/kafkalink/kafkalink/pkg/kubeclient"
	"github.com/kafkalink/kafkalink/pkg/webhook"
)

func main() {
	klog.InitFlags(nil)
	var opts webhook.Options
	var kubeconfig string
	var checkReferences bool
	var watchNamespaces []string
	var client kubeclient.Options
	var certs webhook.CertificateManager
	var manageCerts bool
	flag.StringVar(&opts.Addr, "listen-address", ":9443", "HTTPS address for admission reviews.")
	flag.StringVar(&opts.CertDir, "cert-dir", "/etc/kafkalink/webhook-certs", "Directory with tls.crt and tls.key; reloaded when they change.")
	flag.StringVar(&opts.MetricsAddr, "metrics-address", ":8080", "HTTP address for /metrics, /healthz and /readyz (0 disables).")
	flag.BoolVar(&opts.Profiling, "profiling", false, "Serve /debug/pprof/ on the metrics address (heap and CPU profiles).")
	flag.StringVar(&kubeconfig, "kubeconfig", "", "Path to a kubeconfig; in-cluster configuration when empty.")
	flag.BoolVar(&checkReferences, "check-references", true, "Check referenced KafkaRestClasses and Secrets from informer caches (needs list and watch on kafkarestclasses and secrets; Secrets are watched as metadata only).")
	flag.Func("watch-namespaces", "Comma-separated namespaces whose KafkaRestClasses and Secrets the reference checks cache (one watch each, so the webhook needs Roles there only). Default: every namespace.", func(v string) error {
		watchNamespaces = append(watchNamespaces, splitList(v)...)
		return nil
	})
	flag.IntVar(&opts.Limits.MaxConcurrent, "max-concurrent-admissions", webhook.DefaultMaxConcurrentAdmissions, "Admission reviews answered at once; more wait up to --admission-queue-wait, then get HTTP 429 (the apiserver retries).")
	flag.Int64Var(&opts.Limits.MaxInflightBytes, "max-inflight-bytes", webhook.DefaultMaxInflightBytes, "Request bytes held by admissions being answered; bounds memory when large reviews arrive together (at least 3 MiB).")
	flag.DurationVar(&opts.Limits.QueueWait, "admission-queue-wait", webhook.DefaultQueueWait, "How long a review waits for room before HTTP 429.")
	flag.BoolVar(&manageCerts, "manage-certificates", false, "Keep a self-managed CA and serving certificate in --certificate-secret, write them to --cert-dir and keep the caBundle of --webhook-configuration current.")
	flag.StringVar(&certs.SecretName, "certificate-secret", "kafkalink-webhook-certs", "Secret holding the self-managed CA and serving certificate.")
	flag.StringVar(&certs.WebhookConfiguration, "webhook-configuration", "kafkalink-validating-webhook", "ValidatingWebhookConfiguration whose caBundle is kept current.")
	flag.StringVar(&certs.ServiceName, "service-name", "kafkalink-webhook", "Service in front of the webhook; the serving certificate names it.")
	flag.StringVar(&certs.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "Namespace of the webhook's Service, certificate Secret and the Lease of the replica that repairs it.")
	flag.Func("certificate-extra-hosts", "Comma-separated extra DNS names or IP addresses for the self-managed serving certificate.", func(v string) error {
		certs.ExtraHosts = append(certs.ExtraHosts, splitList(v)...)
		return nil
	})
	flag.DurationVar(&certs.CAOverlap, "ca-overlap", time.Hour, "Minimum time a replaced self-managed CA stays in the caBundle; it leaves only once every live replica serves a certificate of the new CA, so none fails admissions.")
	flag.DurationVar(&certs.CheckInterval, "certificate-check-interval", 30*time.Second, "How often the elected replica checks the certificate Secret and the caBundle, besides watching the Secret, and how often every replica refreshes its entry on the Secret saying which CA it serves (an entry 3 intervals old is a gone replica's).")
	flag.DurationVar(&opts.ShutdownDelay, "shutdown-delay", 5*time.Second, "On SIGTERM, keep answering (not ready, closing each connection after its answer) this long before stopping, while the Service stops routing here.")
	client.AddFlags(flag.CommandLine)
	opts.Directories.AddFlags(flag.CommandLine)
	flag.Parse()
	if err := errors.Join(client.Validate(), opts.Directories.Validate()); err != nil {
		klog.ErrorS(err, "Invalid flags")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = klog.NewContext(ctx, klog.Background())

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil && (checkReferences || manageCerts) {
		klog.ErrorS(err, "Building the Kubernetes client configuration failed")
		os.Exit(1)
	}
	if cfg != nil {
		cfg = client.Apply(cfg)
	}
	if manageCerts {
		certs.Client = kubernetes.NewForConfigOrDie(cfg)
		opts.Certificates = &certs
	}
	if checkReferences {
		cfg.UserAgent = "kafkalink-webhook"
		lookup, err := webhook.NewCacheLookup(versioned.NewForConfigOrDie(cfg), metadata.NewForConfigOrDie(cfg), watchNamespaces...)
		if err != nil {
			klog.ErrorS(err, "Setting up the reference caches failed")
			os.Exit(1)
		}
		opts.Lookup = lookup
	}
	if err := webhook.Run(ctx, opts); err != nil {
		klog.ErrorS(err, "Webhook failed")
		os.Exit(1)
	}
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
