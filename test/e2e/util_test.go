package e2e

import (
	"os"

	"github.com/kafkalink/kafkalink/pkg/kafkarest/emulator"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func faultsAuthFailure() emulator.Faults { return emulator.Faults{AuthFailure: true} }

func noFaults() emulator.Faults { return emulator.Faults{} }
