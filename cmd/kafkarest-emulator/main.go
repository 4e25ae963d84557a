// Command kafkarest-emulator serves emulated Confluent Kafka REST API v3
// clusters (Cluster Linking endpoints), one listener per cluster, until
// SIGINT/SIGTERM.
//
//	kafkarest-emulator --config clusters.yaml
//	kafkarest-emulator --cluster lkc-src=127.0.0.1:8090 --cluster lkc-dst=127.0.0.1:8091 \
//	    --topic lkc-src/orders=3 --stop-delay 2s --lag 1000 --lag-decay 200
//
// Config file (YAML or JSON):
//
//	prefix: /kafka/v3          # or /v3 (standalone REST Proxy)
//	stopDelay: 2s              # PENDING_STOPPED -> STOPPED
//	lag: {initial: 1000, perSecond: 200}
//	latency: 0s
//	clusters:
//	- id: lkc-src
//	  bootstrap: onprem-kafka:9092
//	  listen: 127.0.0.1:8090
//	  username: key              # ${ENV} references are expanded
//	  password: ${SRC_SECRET}
//	  bearerToken: ""
//	  tls: {cert: tls.crt, key: tls.key}
//	  topics: {orders: 3}
//
// The admin API (faults, source outages, request log, topics, state) is served
// under /admin/ on every listener.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"

	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

// Config is the --config file.
type Config struct {
	Prefix    string          `json:"prefix,omitempty"`
	StopDelay string          `json:"stopDelay,omitempty"`
	Lag       LagConfig       `json:"lag,omitempty"`
	Latency   string          `json:"latency,omitempty"`
	Clusters  []ClusterConfig `json:"clusters"`
}

// LagConfig configures the mirror lag of new mirrors.
type LagConfig struct {
	Initial   int64 `json:"initial,omitempty"`
	PerSecond int64 `json:"perSecond,omitempty"`
}

// ClusterConfig is one emulated cluster.
type ClusterConfig struct {
	ID          string         `json:"id"`
	Bootstrap   string         `json:"bootstrap,omitempty"`
	Listen      string         `json:"listen"`
	Username    string         `json:"username,omitempty"`
	Password    string         `json:"password,omitempty"`
	BearerToken string         `json:"bearerToken,omitempty"`
	TLS         *TLSConfig     `json:"tls,omitempty"`
	Topics      map[string]int `json:"topics,omitempty"`
}

// TLSConfig names PEM files.
type TLSConfig struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		klog.ErrorS(err, "kafkarest-emulator failed")
		klog.Flush()
		os.Exit(1)
	}
	klog.Flush()
}

// run parses args, starts the listeners, prints one "id url" line per cluster
// to out and serves until ctx is done.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kafkarest-emulator", flag.ContinueOnError)
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	klogFlags.VisitAll(func(f *flag.Flag) { fs.Var(f.Value, f.Name, f.Usage) })
	var (
		configFile = fs.String("config", "", "YAML/JSON config file")
		clusters   multiFlag
		topics     multiFlag
		prefix     = fs.String("prefix", "", "REST path prefix (default /kafka/v3)")
		stopDelay  = fs.Duration("stop-delay", -1, "PENDING_STOPPED -> STOPPED delay (default 2s)")
		lag        = fs.Int64("lag", -1, "initial per-partition lag of new mirrors")
		lagDecay   = fs.Int64("lag-decay", -1, "lag decrease per second")
		latency    = fs.Duration("latency", -1, "latency added to every REST request")
	)
	fs.Var(&clusters, "cluster", "quick cluster: id=listen-addr[,bootstrap] (repeatable)")
	fs.Var(&topics, "topic", "topic on a cluster: id/name=partitions (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := Config{}
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
			return fmt.Errorf("config %s: %w", *configFile, err)
		}
	}
	for _, c := range clusters {
		id, addr, ok := strings.Cut(c, "=")
		if !ok || id == "" || addr == "" {
			return fmt.Errorf("--cluster %q: want id=listen-addr[,bootstrap]", c)
		}
		addr, bootstrap, _ := strings.Cut(addr, ",")
		if bootstrap == "" {
			bootstrap = id + ":9092"
		}
		cfg.Clusters = append(cfg.Clusters, ClusterConfig{ID: id, Listen: addr, Bootstrap: bootstrap})
	}
	for _, t := range topics {
		idName, parts, ok := strings.Cut(t, "=")
		id, name, ok2 := strings.Cut(idName, "/")
		n, err := strconv.Atoi(parts)
		if !ok || !ok2 || err != nil || name == "" {
			return fmt.Errorf("--topic %q: want cluster-id/name=partitions", t)
		}
		found := false
		for i := range cfg.Clusters {
			if cfg.Clusters[i].ID == id {
				if cfg.Clusters[i].Topics == nil {
					cfg.Clusters[i].Topics = map[string]int{}
				}
				cfg.Clusters[i].Topics[name] = n
				found = true
			}
		}
		if !found {
			return fmt.Errorf("--topic %q: unknown cluster %q", t, id)
		}
	}
	if len(cfg.Clusters) == 0 {
		return errors.New("no clusters: use --config or --cluster")
	}

	var opts []emulator.Option
	if *prefix != "" {
		cfg.Prefix = *prefix
	}
	if cfg.Prefix != "" {
		opts = append(opts, emulator.WithPrefix(cfg.Prefix))
	}
	d, err := durationOr(cfg.StopDelay, *stopDelay)
	if err != nil {
		return fmt.Errorf("stopDelay: %w", err)
	}
	if d >= 0 {
		opts = append(opts, emulator.WithStopDelay(d))
	}
	if d, err = durationOr(cfg.Latency, *latency); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	if d > 0 {
		opts = append(opts, emulator.WithLatency(d))
	}
	if *lag >= 0 {
		cfg.Lag.Initial = *lag
	}
	if *lagDecay >= 0 {
		cfg.Lag.PerSecond = *lagDecay
	}
	if cfg.Lag.Initial > 0 {
		opts = append(opts, emulator.WithLagDecay(cfg.Lag.Initial, cfg.Lag.PerSecond))
	}

	e := emulator.New(opts...)
	seen := map[string]bool{}
	for _, c := range cfg.Clusters {
		if c.ID == "" || c.Listen == "" {
			return fmt.Errorf("cluster %q: id and listen are required", c.ID)
		}
		if seen[c.ID] {
			return fmt.Errorf("cluster %q defined twice", c.ID)
		}
		seen[c.ID] = true
		e.AddCluster(emulator.ClusterConfig{
			ID: c.ID, Bootstrap: c.Bootstrap, Topics: c.Topics,
			Username: os.ExpandEnv(c.Username), Password: os.ExpandEnv(c.Password), BearerToken: os.ExpandEnv(c.BearerToken),
		})
	}
	for _, c := range cfg.Clusters {
		var tlsCfg *tls.Config
		if c.TLS != nil {
			cert, err := tls.LoadX509KeyPair(c.TLS.Cert, c.TLS.Key)
			if err != nil {
				return fmt.Errorf("cluster %q TLS: %w", c.ID, err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		u, err := e.Serve(ctx, c.ID, c.Listen, tlsCfg)
		if err != nil {
			return fmt.Errorf("cluster %q: %w", c.ID, err)
		}
		topicNames := make([]string, 0, len(c.Topics))
		for n := range c.Topics {
			topicNames = append(topicNames, n)
		}
		sort.Strings(topicNames)
		// Never log credentials: only whether auth is required.
		klog.InfoS("serving emulated cluster", "id", c.ID, "url", u+e.Prefix(), "bootstrap", c.Bootstrap,
			"auth", c.Username != "" || c.BearerToken != "", "tls", tlsCfg != nil, "topics", topicNames)
		fmt.Fprintf(out, "%s %s\n", c.ID, u)
	}
	<-ctx.Done()
	klog.InfoS("shutting down")
	return nil
}

// durationOr parses s unless the flag value f (>= 0) overrides it; -1 when
// neither is set.
func durationOr(s string, f time.Duration) (time.Duration, error) {
	if f >= 0 {
		return f, nil
	}
	if s == "" {
		return -1, nil
	}
	return time.ParseDuration(s)
}
