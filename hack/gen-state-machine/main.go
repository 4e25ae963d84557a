// Command gen-state-machine writes docs/state-machine.md from pkg/mirror.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kafkalink/kafkalink/pkg/mirror"
)

func main() {
	out := flag.String("o", "docs/state-machine.md", "output file")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(mirror.Markdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-state-machine:", err)
		os.Exit(1)
	}
}
