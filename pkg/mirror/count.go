package mirror

import "strconv"

// Count writes a count and its noun for a user-facing message: "1 mirror
// topic", "3 mirror topics", "0 mirror topics". Events, warnings and
// condition messages print counts of one as often as any other, so every
// one of them goes through here. noun is the singular; its plural adds "s".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
