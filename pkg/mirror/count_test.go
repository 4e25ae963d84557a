package mirror

import "testing"

func TestCount(t *testing.T) {
	for name, tc := range map[string]struct {
		n    int
		want string
	}{
		"zero is plural":  {0, "0 mirror topics"},
		"one is singular": {1, "1 mirror topic"},
		"two is plural":   {2, "2 mirror topics"},
		"many":            {1000, "1000 mirror topics"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Count(tc.n, "mirror topic"); got != tc.want {
				t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}
