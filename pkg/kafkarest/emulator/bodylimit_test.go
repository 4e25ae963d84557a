package emulator

import (
	"net/http"
	"strings"
	"testing"
)

func TestRequestBodyLimit(t *testing.T) {
	_, _, dst, _ := newFixture(t)
	createLink(t, dst, "l1")
	lk := pfx + "/clusters/" + dstID + "/links/l1"
	big := `{"source_topic_name":"orders","mirror_topic_name":"` + strings.Repeat("x", MaxRequestBody) + `"}`
	for _, tc := range []struct{ name, method, path string }{
		{"create link", "POST", pfx + "/clusters/" + dstID + "/links?link_name=l2"},
		{"create mirror", "POST", lk + "/mirrors"},
		{"alter configs", "PUT", lk + "/configs:alter"},
		{"batch action", "POST", lk + "/mirrors:pause"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, dst.Handler(), tc.method, tc.path, big)
			mustCode(t, r, http.StatusRequestEntityTooLarge)
			if errCode(r) != 413 {
				t.Fatalf("error_code %v, want 413: %s", r.obj["error_code"], r.raw)
			}
			if msg, _ := r.obj["message"].(string); !strings.Contains(msg, "larger than") {
				t.Fatalf("message %q", msg)
			}
		})
	}
	// Exactly at the limit is accepted (and judged on its content).
	exact := `{"source_topic_name":"orders"}`
	exact += strings.Repeat(" ", MaxRequestBody-len(exact))
	mustCode(t, do(t, dst.Handler(), "POST", lk+"/mirrors", exact), http.StatusCreated)
	if got := dst.Links(); len(got) != 1 {
		t.Fatalf("links %v", got)
	}
}
