package controller

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// controllerMetrics are the controller's Prometheus metrics (README, Metrics).
// Label values are names and statuses, never credentials.
type controllerMetrics struct {
	reconciles   *prometheus.CounterVec
	duration     prometheus.Histogram
	restRequests *prometheus.CounterVec
	restDuration *prometheus.HistogramVec
	mirrorTopics *prometheus.GaugeVec
	leader       prometheus.Gauge
	leaderLost   prometheus.Counter
	fenced       *prometheus.CounterVec
}

func newControllerMetrics(reg prometheus.Registerer) *controllerMetrics {
	m := &controllerMetrics{
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafkalink_reconcile_total", Help: "ClusterLink reconciles, by result (success or error).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kafkalink_reconcile_duration_seconds", Help: "Time one ClusterLink reconcile takes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
		restRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafkalink_rest_requests_total", Help: "Kafka REST API requests, by endpoint, method and status code (0: no response).",
		}, []string{"endpoint", "method", "code"}),
		restDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kafkalink_rest_request_duration_seconds", Help: "Kafka REST API request latency, by endpoint and method.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"endpoint", "method"}),
		mirrorTopics: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafkalink_mirror_topics", Help: "Managed mirror topics by observed status, per ClusterLink.",
		}, []string{"namespace", "clusterlink", "status"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kafkalink_leader", Help: "1 while this replica holds the leader lease.",
		}),
	}
	m.leaderLost = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kafkalink_leader_lost_total", Help: "Times this replica lost the leader lease (it then stops every worker and campaigns again).",
	})
	m.fenced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafkalink_fenced_total", Help: "Reconciles this replica did not run (stage=reconcile) or stopped before a REST write (stage=write) because its last lease renewal was older than the renew deadline.",
	}, []string{"stage"})
	reg.MustRegister(m.reconciles, m.duration, m.restRequests, m.restDuration, m.mirrorTopics, m.leader, m.leaderLost, m.fenced)
	return m
}

func (m *controllerMetrics) observeReconcile(err error, d time.Duration) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.reconciles.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}

// observeREST is the REST client's request hook.
func (m *controllerMetrics) observeREST(endpoint, method string, code int, d time.Duration) {
	m.restRequests.WithLabelValues(endpoint, method, strconv.Itoa(code)).Inc()
	m.restDuration.WithLabelValues(endpoint, method).Observe(d.Seconds())
}

// setMirrorTopics replaces a link's per-status gauges.
func (m *controllerMetrics) setMirrorTopics(namespace, name string, byStatus map[string]int) {
	m.mirrorTopics.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "clusterlink": name})
	for status, n := range byStatus {
		m.mirrorTopics.WithLabelValues(namespace, name, status).Set(float64(n))
	}
}

func (m *controllerMetrics) forgetLink(namespace, name string) {
	m.mirrorTopics.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "clusterlink": name})
}

func (m *controllerMetrics) leadershipLost() { m.leaderLost.Inc() }

func (m *controllerMetrics) fencedAt(stage string) { m.fenced.WithLabelValues(stage).Inc() }

// SetLeader records leadership for the kafkalink_leader gauge.
func (c *Controller) SetLeader(leading bool) {
	if leading {
		c.metrics.leader.Set(1)
	} else {
		c.metrics.leader.Set(0)
	}
}
