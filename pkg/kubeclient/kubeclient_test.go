package kubeclient

import (
	"flag"
	"testing"

	"k8s.io/client-go/rest"
)

func TestFlags(t *testing.T) {
	tests := map[string]struct {
		args      []string
		qps       float32
		burst     int
		wantError bool
	}{
		"fleet defaults":  {args: nil, qps: DefaultQPS, burst: DefaultBurst},
		"set by flag":     {args: []string{"--kube-api-qps=200", "--kube-api-burst=400"}, qps: 200, burst: 400},
		"zero qps":        {args: []string{"--kube-api-qps=0"}, wantError: true},
		"burst below one": {args: []string{"--kube-api-burst=0"}, wantError: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var o Options
			o.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := o.Validate()
			if (err != nil) != tc.wantError {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantError)
			}
			if tc.wantError {
				return
			}
			in := &rest.Config{Host: "https://example.invalid"}
			out := o.Apply(in)
			if out.QPS != tc.qps || out.Burst != tc.burst {
				t.Errorf("Apply: QPS %v burst %d, want %v %d", out.QPS, out.Burst, tc.qps, tc.burst)
			}
			if in.QPS != 0 || in.Burst != 0 {
				t.Errorf("Apply changed its input: %+v", in)
			}
		})
	}
}
