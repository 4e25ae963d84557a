package webhook

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook's Prometheus metrics.
type Metrics struct {
	admissions    *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	throttledReqs *prometheus.CounterVec
	inflightBytes prometheus.Gauge
}

// NewMetrics creates the webhook metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafkalink_webhook_admissions_total",
			Help: "Admission reviews answered, by resource, operation and whether they were allowed.",
		}, []string{"resource", "operation", "allowed"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kafkalink_webhook_admission_duration_seconds",
			Help:    "Time to answer an admission review, by resource and operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"resource", "operation"}),
		throttledReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafkalink_webhook_admissions_throttled_total",
			Help: "Admission reviews refused with HTTP 429 because the concurrency or in-flight byte limit stayed full for the queue wait.",
		}, []string{"resource"}),
		inflightBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kafkalink_webhook_inflight_request_bytes",
			Help: "Bytes reserved by admission reviews being answered (a small review reserves its share of the concurrency limit).",
		}),
	}
	reg.MustRegister(m.admissions, m.duration, m.throttledReqs, m.inflightBytes)
	return m
}

func (m *Metrics) observe(resource, operation string, allowed bool, d time.Duration) {
	if m == nil {
		return
	}
	m.admissions.WithLabelValues(resource, operation, strconv.FormatBool(allowed)).Inc()
	m.duration.WithLabelValues(resource, operation).Observe(d.Seconds())
}

func (m *Metrics) throttled(resource string) {
	if m != nil {
		m.throttledReqs.WithLabelValues(resource).Inc()
	}
}

func (m *Metrics) inflightAdd(bytes int64) {
	if m != nil {
		m.inflightBytes.Add(float64(bytes))
	}
}
