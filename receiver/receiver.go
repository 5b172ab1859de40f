package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
)

// TokenLength is the length of a receiver token, from [A-Za-z0-9].
const TokenLength = 64

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{64}$`)

// Receiver is one inbound integration: a URL a sender posts to and how to read it.
type Receiver struct {
	ID               uuid.UUID                 `json:"id"`
	Name             string                    `json:"name"`
	ServiceID        *uuid.UUID                `json:"service_id"`
	ServiceNameField string                    `json:"service_name_field"`
	StatusField      PathList                  `json:"status_field"`
	MessageField     string                    `json:"message_field"`
	EventIDField     string                    `json:"event_id_field"`
	TimestampField   string                    `json:"timestamp_field"`
	StatusMapping    map[string]mapping.Status `json:"status_mapping"`
	Preset           string                    `json:"preset"`
	Signature        *Signature                `json:"signature"`
	AutoIncidents    services.IncidentPolicy   `json:"auto_incidents"`
	// ItemsField is the path of an array whose elements are one update each.
	ItemsField string `json:"items_field"`
	// ExpectEverySeconds is how long the sender may stay silent (0: forever);
	// then the service goes to SilenceStatus.
	ExpectEverySeconds int            `json:"expect_every_seconds"`
	SilenceStatus      mapping.Status `json:"silence_status"`
	// LastValidDeliveryAt is when the last authenticated, not failed delivery
	// arrived; kept only while ExpectEverySeconds is set.
	LastValidDeliveryAt *time.Time `json:"last_valid_delivery_at"`
	// SilencedAt is when the silence sweeper last put the service into
	// SilenceStatus; null again after the next valid delivery.
	SilencedAt *time.Time `json:"silenced_at"`
	Enabled    bool       `json:"enabled"`
	// Token and URL are set only in the answers of create and rotate-token.
	Token     string    `json:"token,omitempty"`
	URL       string    `json:"url,omitempty"`
	TokenHint string    `json:"token_hint"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	orgID uuid.UUID
}

// Signature is a receiver's signature requirement as the API shows it. Secrets are
// filled only in the answers of create and rotate-token.
type Signature struct {
	Scheme           string `json:"scheme"`
	Header           string `json:"header"`
	ToleranceSeconds int    `json:"tolerance_seconds,omitempty"`
	HMACParams
	Secrets     []string `json:"secrets,omitempty"`
	SecretCount int      `json:"secret_count"`
}

// HMACParams describe the generic "hmac" scheme (see mapping.SignatureConfig); every
// named scheme defines its own and refuses them. Stored as one JSON column.
type HMACParams struct {
	Algorithm       string `json:"algorithm,omitempty"`
	Encoding        string `json:"encoding,omitempty"`
	SignedPayload   string `json:"signed_payload,omitempty"`
	Prefix          string `json:"prefix,omitempty"`
	TimestampHeader string `json:"timestamp_header,omitempty"`
}

// normalized trims the names and lower-cases the enumerations; the template and the
// prefix are signed bytes and stay as given.
func (p HMACParams) normalized() HMACParams {
	p.Algorithm = strings.ToLower(strings.TrimSpace(p.Algorithm))
	p.Encoding = strings.ToLower(strings.TrimSpace(p.Encoding))
	p.TimestampHeader = strings.TrimSpace(p.TimestampHeader)
	return p
}

// SignatureInput is the "signature" object of a create or update.
type SignatureInput struct {
	Scheme           string   `json:"scheme"`
	Secret           string   `json:"secret"`
	Secrets          []string `json:"secrets"`
	Header           string   `json:"header"`
	ToleranceSeconds int      `json:"tolerance_seconds"`
	HMACParams
}

// secretList returns the configured secrets, from "secret" or "secrets".
func (in SignatureInput) secretList() []string {
	if in.Secret != "" {
		return append([]string{in.Secret}, in.Secrets...)
	}
	return in.Secrets
}

// config turns the input into what mapping verifies with.
func (in SignatureInput) config() mapping.SignatureConfig {
	cfg := mapping.SignatureConfig{
		Scheme:    strings.ToLower(strings.TrimSpace(in.Scheme)),
		Header:    strings.TrimSpace(in.Header),
		Tolerance: time.Duration(in.ToleranceSeconds) * time.Second,
	}
	p := in.normalized()
	cfg.Algorithm, cfg.Encoding, cfg.SignedPayload, cfg.Prefix, cfg.TimestampHeader = p.Algorithm, p.Encoding, p.SignedPayload, p.Prefix, p.TimestampHeader
	for _, s := range in.secretList() {
		cfg.Secrets = append(cfg.Secrets, []byte(s))
	}
	return cfg
}

// fillFromPreset takes the preset's scheme when none is given, and its header when
// the scheme is the preset's and no header is given, so a GitHub receiver needs only
// its secret to check X-Hub-Signature-256.
func (in *SignatureInput) fillFromPreset(d mapping.SignatureDefaults) {
	if d.Scheme == "" {
		return
	}
	if strings.TrimSpace(in.Scheme) == "" {
		in.Scheme = d.Scheme
	}
	if strings.TrimSpace(in.Header) == "" && strings.EqualFold(strings.TrimSpace(in.Scheme), d.Scheme) {
		in.Header = d.Header
	}
}

// Validate checks the signature settings.
func (in SignatureInput) Validate() error {
	if in.Secret != "" && len(in.Secrets) > 0 {
		return apierr.Invalid("signature.secrets", "give either signature.secret or signature.secrets, not both")
	}
	if in.ToleranceSeconds < 0 || in.ToleranceSeconds > 86400 {
		return apierr.Invalid("signature.tolerance_seconds", "signature.tolerance_seconds must be from 0 to 86400")
	}
	return fromMappingValidation(in.config().Validate())
}

// CreateInput is the body of POST /api/v1/receivers.
type CreateInput struct {
	Name             string            `json:"name"`
	ServiceID        *uuid.UUID        `json:"service_id"`
	ServiceNameField string            `json:"service_name_field"`
	StatusField      PathList          `json:"status_field"`
	MessageField     string            `json:"message_field"`
	EventIDField     string            `json:"event_id_field"`
	TimestampField   string            `json:"timestamp_field"`
	StatusMapping    map[string]string `json:"status_mapping"`
	Preset           string            `json:"preset"`
	Signature        *SignatureInput   `json:"signature"`
	AutoIncidents    *AutoIncidents    `json:"auto_incidents"`
	ItemsField       string            `json:"items_field"`
	// ExpectEverySeconds and SilenceStatus: see Receiver.
	ExpectEverySeconds int    `json:"expect_every_seconds"`
	SilenceStatus      string `json:"silence_status"`
	Enabled            *bool  `json:"enabled"`
}

// AutoIncidents is the auto_incidents object of a create or update.
type AutoIncidents struct {
	Enabled          bool   `json:"enabled"`
	Severity         string `json:"severity"`
	OpenAfterSeconds int    `json:"open_after_seconds"`
}

// Validate checks the auto-incident policy and lower-cases its severity.
func (a *AutoIncidents) Validate() error {
	a.Severity = strings.ToLower(strings.TrimSpace(a.Severity))
	switch a.Severity {
	case "", "minor", "major", "critical":
	default:
		return apierr.Invalid("auto_incidents.severity", "auto_incidents.severity %q must be minor, major or critical (or left out: degraded opens minor, down major)", a.Severity)
	}
	if a.OpenAfterSeconds < 0 || a.OpenAfterSeconds > 86400 {
		return apierr.Invalid("auto_incidents.open_after_seconds", "auto_incidents.open_after_seconds must be from 0 to 86400")
	}
	return nil
}

// settings is the validated, normalized form of everything a receiver reads a payload
// with; create and update both end in one.
type settings struct {
	Name          string
	ServiceID     *uuid.UUID
	Rules         mapping.Rules
	Signature     *SignatureInput
	AutoIncidents AutoIncidents
	Silence       Silence
	Enabled       bool
}

// Bounds of expect_every_seconds: below a minute a sweep interval is a large part of
// the wait; beyond 30 days nobody remembers what the receiver was for.
const (
	minExpectEvery = 60
	maxExpectEvery = 30 * 24 * 3600
)

// Silence is when a fixed-service receiver counts its sender as gone silent, and
// what its service then becomes.
type Silence struct {
	// ExpectEverySeconds 0 means the sender may stay silent for ever.
	ExpectEverySeconds int
	// Status is the service's status once the sender went silent; default down.
	Status mapping.Status
}

// validate checks the silence settings of a receiver with (fixed) or without a
// service_id, and fills in the default status.
func (si *Silence) validate(fixed bool) error {
	if si.Status == "" {
		si.Status = mapping.Down
	}
	if st, ok := mapping.ParseStatus(string(si.Status)); ok {
		si.Status = st
	} else {
		return apierr.Invalid("silence_status", "silence_status %q must be one of operational, degraded, down, maintenance", si.Status)
	}
	if si.ExpectEverySeconds == 0 {
		return nil
	}
	if si.ExpectEverySeconds < minExpectEvery || si.ExpectEverySeconds > maxExpectEvery {
		return apierr.Invalid("expect_every_seconds", "expect_every_seconds must be 0 (off) or from %d to %d", minExpectEvery, maxExpectEvery)
	}
	if !fixed {
		return apierr.Invalid("expect_every_seconds", "expect_every_seconds needs a service_id: a receiver that names its service in each payload has no one service to mark silent")
	}
	return nil
}

// validate checks the combination of fields: exactly one of service_id and
// service_name_field (a preset may supply the latter), paths and words mapping accepts.
func (st *settings) validate() error {
	st.Name = strings.TrimSpace(st.Name)
	if st.Name == "" {
		return apierr.Invalid("name", "name is required")
	}
	if utf8.RuneCountInString(st.Name) > 200 {
		return apierr.Invalid("name", "name must be at most 200 characters")
	}
	if st.ServiceID != nil && st.Rules.ServiceNameField != "" {
		return apierr.Invalid("service_id", "give either service_id (one fixed service) or service_name_field (the service is named in each payload), not both")
	}
	st.Rules.FixedService = st.ServiceID != nil
	if err := fromMappingValidation(st.Rules.Validate()); err != nil {
		return err
	}
	preset, _ := mapping.LookupPreset(st.Rules.Preset)
	if st.ServiceID == nil && st.Rules.ServiceNameField == "" && preset.ServiceNameField == "" {
		return apierr.Invalid("service_id", "service_id or service_name_field is required")
	}
	if st.Signature != nil {
		st.Signature.fillFromPreset(preset.Signature)
		if err := st.Signature.Validate(); err != nil {
			return err
		}
	}
	if err := st.Silence.validate(st.ServiceID != nil); err != nil {
		return err
	}
	return st.AutoIncidents.Validate()
}

func fromMappingValidation(err error) error {
	if err == nil {
		return nil
	}
	var ve *mapping.ValidationError
	if errors.As(err, &ve) {
		// The rules' list of status paths is the API's status_field list.
		field := strings.Replace(ve.Field, "status_fields.", "status_field.", 1)
		return apierr.Invalid(field, "%s", ve.Message)
	}
	return apierr.Invalid("", "%v", err)
}

// normalizeMapping validates the receiver's own words and lower-cases their keys.
func normalizeMapping(in map[string]string) (map[string]mapping.Status, error) {
	out := make(map[string]mapping.Status, len(in))
	for k, v := range in {
		key := strings.ToLower(strings.TrimSpace(k))
		if key == "" {
			return nil, apierr.Invalid("status_mapping", "status_mapping has an empty key")
		}
		st, ok := mapping.ParseMappingValue(v)
		if !ok {
			return nil, apierr.Invalid("status_mapping."+k, "status_mapping[%q] is %q; it must be one of operational, degraded, down, maintenance, or ignore", k, v)
		}
		if prev, dup := out[key]; dup && prev != st {
			return nil, apierr.Invalid("status_mapping."+k, "status_mapping has %q twice (keys are case-insensitive) with different statuses", key)
		}
		out[key] = st
	}
	return out, nil
}

// UpdateInput is the body of PATCH /api/v1/receivers/{id}: absent fields stay;
// "signature": null removes the signature requirement; "service_id" and
// "service_name_field" replace each other.
type UpdateInput struct {
	Name             *string                       `json:"name"`
	ServiceID        *uuid.UUID                    `json:"service_id"`
	ServiceNameField *string                       `json:"service_name_field"`
	StatusField      *PathList                     `json:"status_field"`
	MessageField     *string                       `json:"message_field"`
	EventIDField     *string                       `json:"event_id_field"`
	TimestampField   *string                       `json:"timestamp_field"`
	StatusMapping    *map[string]string            `json:"status_mapping"`
	Preset           *string                       `json:"preset"`
	Signature        rest.Nullable[SignatureInput] `json:"signature"`
	AutoIncidents    *AutoIncidents                `json:"auto_incidents"`
	ItemsField       *string                       `json:"items_field"`
	// ExpectEverySeconds 0 turns silence detection off.
	ExpectEverySeconds *int    `json:"expect_every_seconds"`
	SilenceStatus      *string `json:"silence_status"`
	Enabled            *bool   `json:"enabled"`
}

func validToken(token string) bool { return tokenPattern.MatchString(token) }

// maxStatusPaths bounds status_field's list; a longer one is a paste error.
const maxStatusPaths = 10

// PathList is status_field: one path, or a list of paths tried in order (the first
// that holds a value is the status). One path reads and writes as a JSON string,
// several as an array.
type PathList []string

// UnmarshalJSON accepts a string or an array of strings.
func (p *PathList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*p = PathList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return apierr.Invalid("status_field", "status_field must be a path or a list of paths")
	}
	*p = many
	return nil
}

// MarshalJSON writes one path as a string and several as an array.
func (p PathList) MarshalJSON() ([]byte, error) {
	switch len(p) {
	case 0:
		return json.Marshal("")
	case 1:
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

// normalized trims each path and drops an empty single path (the default applies);
// an empty path inside a list is an error.
func (p PathList) normalized() (PathList, error) {
	if len(p) > maxStatusPaths {
		return nil, apierr.Invalid("status_field", "status_field lists at most %d paths", maxStatusPaths)
	}
	out := make(PathList, 0, len(p))
	for i, path := range p {
		path = strings.TrimSpace(path)
		if path == "" {
			if len(p) == 1 {
				return nil, nil
			}
			return nil, apierr.Invalid(fmt.Sprintf("status_field.%d", i), "status_field[%d] is empty", i)
		}
		out = append(out, path)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// setStatusPaths puts the receiver's status paths into the rules: one path in
// StatusField, a list in StatusFields, so mapping tries them in order.
func setStatusPaths(r *mapping.Rules, paths PathList) {
	r.StatusField, r.StatusFields = "", nil
	switch len(paths) {
	case 0:
	case 1:
		r.StatusField = paths[0]
	default:
		r.StatusFields = append([]string(nil), paths...)
	}
}

// statusPaths is the receiver's own status paths from the rules.
func statusPaths(r mapping.Rules) PathList {
	if len(r.StatusFields) > 0 {
		return append(PathList(nil), r.StatusFields...)
	}
	if r.StatusField != "" {
		return PathList{r.StatusField}
	}
	return nil
}
