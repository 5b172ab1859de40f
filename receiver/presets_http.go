package receiver

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/mapping"
)

// PresetView is one preset as GET /api/v1/presets lists it.
type PresetView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Settings are what a receiver set to the preset reads a payload with, under the
	// receiver API's field names; the receiver's own fields override each of them.
	Settings map[string]any `json:"settings"`
	// Sample is a real payload of the sender, to try with a dry run; SampleHeader
	// the headers it is sent with, when the sender puts the event kind there.
	Sample       json.RawMessage   `json:"sample"`
	SampleHeader map[string]string `json:"sample_header,omitempty"`
}

// presetView splits a preset into what identifies it, its settings and its sample.
// The settings are the preset's own JSON form, so a field mapping adds to presets
// shows up here without a change in this package.
func presetView(p mapping.Preset) (PresetView, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return PresetView{}, fmt.Errorf("preset %s: %w", p.Name, err)
	}
	settings := map[string]any{}
	if err := json.Unmarshal(data, &settings); err != nil {
		return PresetView{}, fmt.Errorf("preset %s: %w", p.Name, err)
	}
	for _, k := range []string{"name", "description", "sample_header", "sample_payload"} {
		delete(settings, k)
	}
	sample := p.SamplePayload
	if len(sample) == 0 {
		sample = json.RawMessage("null")
	}
	return PresetView{Name: p.Name, Description: p.Description, Settings: settings, Sample: sample, SampleHeader: p.SampleHeader}, nil
}

func (h *Handler) handlePresets(c echo.Context) error {
	list := mapping.Presets()
	out := make([]PresetView, len(list))
	for i, p := range list {
		v, err := presetView(p)
		if err != nil {
			return err
		}
		out[i] = v
	}
	return c.JSON(http.StatusOK, map[string]any{"presets": out})
}
