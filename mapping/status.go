package mapping

import (
	"maps"
	"strings"
)

// Status is one of the four service statuses. Every inbound delivery that
// changes something ends as exactly one of them.
type Status string

// The four statuses. Their string values are the words of the HTTP API and of
// the database, so they never change.
const (
	Operational Status = "operational"
	Degraded    Status = "degraded"
	Down        Status = "down"
	Maintenance Status = "maintenance"
)

// Ignored is not a status: it is the one extra value a status_mapping entry
// may take, saying that the word carries no status change (an acknowledgement,
// a ping, an informational notice). A delivery whose status maps to it is
// ignored with the reason [ReasonIgnoredValue], never failed. [Status.Valid]
// is false for it, so it can never be stored as a service's status.
const Ignored Status = "ignore"

// ReasonIgnoredValue is Extraction.IgnoreReason (and Update.IgnoreReason) when
// a status_mapping entry said [Ignored]: a stable code the receiver can turn
// into its delivery reason, where the preset's own ignore rules carry a
// sentence.
const ReasonIgnoredValue = "ignored_value"

// ParseMappingValue accepts what a status_mapping entry may map a word to: one
// of the four statuses or "ignore" ([Ignored]), case-insensitively and
// trimmed.
func ParseMappingValue(s string) (Status, bool) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	return st, st.Valid() || st == Ignored
}

// Statuses lists the four statuses from the least to the most severe
// (operational, maintenance, degraded, down), the same order as
// [Status.Severity], so a status page can sort by it and a legend reads from
// healthy to broken. Treat it as read-only.
var Statuses = []Status{Operational, Maintenance, Degraded, Down}

// ParseStatus accepts only the four canonical words, case-insensitively and
// ignoring surrounding whitespace. It is meant for configuration values (a
// receiver's status_mapping targets, a manual status change), where a
// vocabulary word such as "ok" would hide a typo; payload values go through
// the vocabulary in [Extract] instead.
func ParseStatus(s string) (Status, bool) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	return st, st.Valid()
}

// Valid reports whether s is exactly one of the four canonical statuses, so
// that a Status built by a plain conversion can be checked before it is
// stored.
func (s Status) Valid() bool {
	switch s {
	case Operational, Degraded, Down, Maintenance:
		return true
	}
	return false
}

// Severity ranks a status for worst-of comparisons: operational 0,
// maintenance 1, degraded 2, down 3. Maintenance ranks below degraded because
// it is planned and announced; a degraded service is an unplanned problem.
// An invalid status ranks -1, below every real one, so it never wins a
// worst-of.
func (s Status) Severity() int {
	switch s {
	case Operational:
		return 0
	case Maintenance:
		return 1
	case Degraded:
		return 2
	case Down:
		return 3
	}
	return -1
}

// defaultVocabulary is the table of DESIGN.md; keys are already normalized.
var defaultVocabulary = map[string]Status{
	"operational": Operational,
	"up":          Operational,
	"ok":          Operational,
	"healthy":     Operational,
	"none":        Operational,
	"resolved":    Operational,

	"degraded": Degraded,
	"partial":  Degraded,
	"warning":  Degraded,
	"minor":    Degraded,

	"down":     Down,
	"outage":   Down,
	"major":    Down,
	"critical": Down,
	"error":    Down,

	"maintenance":       Maintenance,
	"scheduled":         Maintenance,
	"under_maintenance": Maintenance,
}

// DefaultVocabulary returns a copy of the words every receiver understands
// without configuration, keyed by their normalized (lower-case, trimmed)
// form. It is a copy so that callers, for instance an API handler that lists
// it, cannot change what other receivers match.
func DefaultVocabulary() map[string]Status {
	return maps.Clone(defaultVocabulary)
}

// normalizeWord is the one definition of "case-insensitive, ignoring
// surrounding whitespace" used for vocabulary keys and payload values alike.
func normalizeWord(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
