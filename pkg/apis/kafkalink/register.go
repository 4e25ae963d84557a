// Package kafkalink holds the API group name shared by every version.
package kafkalink

// GroupName is the API group of kafkalink's resources.
const GroupName = "kafkalink.io"
