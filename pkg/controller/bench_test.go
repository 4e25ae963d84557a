package controller

import (
	"fmt"
	"testing"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// BenchmarkReconcileSteadyState measures one reconcile of a converged link
// with 100 mirror topics: REST calls and apiserver writes per reconcile are
// reported as metrics (the targets: 2 REST reads, 0 REST writes, 0 writes).
func BenchmarkReconcileSteadyState(b *testing.B) {
	var names []string
	var topics []kafkalinkv1alpha1.MirrorTopic
	for i := 0; i < 100; i++ {
		n := fmt.Sprintf("topic-%03d", i)
		names = append(names, n)
		topics = append(topics, mt(n, ""))
	}
	r := newREST(b, names...)
	f := newFixture(b, DefaultRESTClientFactory(nil), r.objects(clusterLink("demo", topics...))...)
	for i := 0; i < 5; i++ {
		if _, err := f.sync("demo"); err != nil {
			b.Fatal(err)
		}
	}
	mark := len(r.emu.Requests())
	f.resetActions()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.sync("demo"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reads, writes, _ := r.calls(mark)
	b.ReportMetric(float64(reads)/float64(b.N), "rest-reads/op")
	b.ReportMetric(float64(writes)/float64(b.N), "rest-writes/op")
	b.ReportMetric(float64(f.writes())/float64(b.N), "apiserver-writes/op")
}
