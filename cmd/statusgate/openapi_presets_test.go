package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/statusgate/statusgate/mapping"
)

// The PresetName enum of the OpenAPI document names exactly the presets mapping ships,
// so a client validating against it accepts every preset the server does.
func TestOpenAPIListsEveryPreset(t *testing.T) {
	m := regexp.MustCompile(`(?m)^    PresetName:\n(?:      .*\n)*?      enum: \[(.*)\]`).FindStringSubmatch(string(openAPI))
	if m == nil {
		t.Fatalf("openapi.yaml has no PresetName enum")
	}
	var documented []string
	for _, name := range strings.Split(m[1], ",") {
		if name = strings.Trim(strings.TrimSpace(name), `"`); name != "" {
			documented = append(documented, name)
		}
	}
	var shipped []string
	for _, p := range mapping.Presets() {
		shipped = append(shipped, p.Name)
	}
	slices.Sort(documented)
	slices.Sort(shipped)
	if !slices.Equal(documented, shipped) {
		t.Fatalf("PresetName enum = %v\nmapping's presets = %v", documented, shipped)
	}
}
