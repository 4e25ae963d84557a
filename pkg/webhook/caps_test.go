package webhook

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The summary of what was left out counts in the right number.
func TestCapsCountInTheRightNumber(t *testing.T) {
	for name, tc := range map[string]struct {
		extra        int
		wantErrors   string
		wantWarnings string
	}{
		"one left out": {1, "and 1 more error, not listed", "and 1 more warning"},
		"two left out": {2, "and 2 more errors, not listed", "and 2 more warnings"},
	} {
		t.Run(name, func(t *testing.T) {
			var errs field.ErrorList
			var warnings []string
			for i := range maxReportedErrors + tc.extra {
				errs = append(errs, field.Invalid(field.NewPath("spec", "mirrorTopics").Index(i), i, "bad"))
			}
			for i := range maxWarnings + tc.extra {
				warnings = append(warnings, fmt.Sprintf("warning %d", i))
			}
			gotErrs := capErrors(errs)
			if last := gotErrs[len(gotErrs)-1].Detail; !strings.HasPrefix(last, tc.wantErrors) {
				t.Errorf("errors summary %q, want prefix %q", last, tc.wantErrors)
			}
			gotWarnings := capWarnings(warnings)
			if last := gotWarnings[len(gotWarnings)-1]; last != tc.wantWarnings {
				t.Errorf("warnings summary %q, want %q", last, tc.wantWarnings)
			}
		})
	}
}
