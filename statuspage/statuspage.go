package statuspage

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/maintenances"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
)

// How much history each view shows.
const (
	// uptimeDays is the length of the uptime bars.
	uptimeDays = 90
	// pagePosts is how many posts the HTML page lists.
	pagePosts = 10
	// feedPosts is how many posts the Atom feed reads.
	feedPosts = 50
	// feedEntries is the most entries the feed carries, newest first.
	feedEntries = 100
	// pastWindow is how far back the page, the feed and incidents.json list resolved
	// incidents (by when they were resolved).
	pastWindow = 90 * 24 * time.Hour
	// maxPast caps the past incidents listed, as Statuspage's incidents.json answers
	// its newest 50.
	maxPast = 50
)

// IncidentSource is what the page reads of incidents; *incidents.Store implements it.
// It is an interface so that the page can be wired (and tested) before or without the
// incidents package's store, and a nil source simply shows no incidents.
type IncidentSource interface {
	// ListOpen returns the organization's unresolved incidents.
	ListOpen(ctx context.Context, orgID uuid.UUID) ([]incidents.Incident, error)
	// ListRecent returns the organization's open incidents and those resolved since
	// the given time.
	ListRecent(ctx context.Context, orgID uuid.UUID, since time.Time) ([]incidents.Incident, error)
	// Get returns one incident of the organization.
	Get(ctx context.Context, orgID, id uuid.UUID) (incidents.Incident, error)
}

var _ IncidentSource = (*incidents.Store)(nil)

// MaintenanceSource is what the page reads of planned maintenance windows;
// *maintenances.Store implements it, and a nil source shows none.
type MaintenanceSource interface {
	// ListRecent returns the organization's scheduled and running windows and those
	// completed since the given time, at most limit, latest start first.
	ListRecent(ctx context.Context, orgID uuid.UUID, since time.Time, limit int) ([]maintenances.Maintenance, error)
}

var _ MaintenanceSource = (*maintenances.Store)(nil)

// Config is what the public pages need.
type Config struct {
	Orgs      *orgs.Store
	Services  *services.Store
	Incidents IncidentSource
	// Maintenances lists planned maintenance windows; nil for none.
	Maintenances MaintenanceSource
	// PublicURL is the base of the absolute URLs the summary and the feed hand out
	// (STATUSGATE_PUBLIC_URL), e.g. "https://status.example.com".
	PublicURL string
	// HostOrgFunc names the organization whose page the root /api/v2/ API serves for
	// a request's Host (without port); nil, or an answer of "", means the default
	// organization. It is where a configured page host per organization plugs in.
	HostOrgFunc func(host string) string
	// NowFunc is the clock; time.Now when nil.
	NowFunc func() time.Time
	Logger  *slog.Logger
}

// Handler serves the public status page, its summary JSON, feed and badges.
type Handler struct {
	orgs      *orgs.Store
	services  *services.Store
	incidents IncidentSource
	maint     MaintenanceSource
	publicURL string
	hostOrg   func(host string) string
	now       func() time.Time
	log       *slog.Logger
}

// New returns a Handler.
func New(cfg Config) *Handler {
	now := cfg.NowFunc
	if now == nil {
		now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		orgs: cfg.Orgs, services: cfg.Services, incidents: cfg.Incidents, maint: cfg.Maintenances,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"), hostOrg: cfg.HostOrgFunc, now: now, log: log,
	}
}

func (h *Handler) clock() time.Time { return h.now().UTC().Truncate(time.Microsecond) }

// pageURL is the absolute address of an organization's status page.
func (h *Handler) pageURL(slug string) string { return h.publicURL + "/status/" + slug }

// incidentURL is the absolute address of one incident's page.
func (h *Handler) incidentURL(slug string, id uuid.UUID) string {
	return h.pageURL(slug) + "/incidents/" + id.String()
}

// identity is how the public side presents an organization: its profile
// (GET|PATCH /api/v1/organization) with the fallbacks filled in. It is read here and
// nowhere else.
type identity struct {
	// Name is what the page calls the organization: its display name, else its
	// name, else its slug.
	Name string
	// Title is the page's <title> and the feed's title: the page title, else
	// "<Name> status".
	Title string
	// LogoURL is shown beside the name when set; SupportURL is the "Contact support"
	// link when set. Both were checked to be http(s) (or mailto:) when saved.
	LogoURL    string
	SupportURL string
	// Location is the time zone the page writes times in, and TimeZone its IANA name
	// (Statuspage's page.time_zone).
	Location *time.Location
	TimeZone string
}

func identityOf(org orgs.Organization) identity {
	name := strings.TrimSpace(org.DisplayName)
	if name == "" {
		name = strings.TrimSpace(org.Name)
	}
	if name == "" {
		name = org.Slug
	}
	title := strings.TrimSpace(org.PageTitle)
	if title == "" {
		title = name + " status"
	}
	loc, zone := org.Location(), org.TimeZone
	if loc == time.UTC {
		zone = orgs.DefaultTimeZone
	}
	return identity{Name: name, Title: title, LogoURL: org.LogoURL, SupportURL: org.SupportURL, Location: loc, TimeZone: zone}
}

// serviceView is one public service with what the page shows of it.
type serviceView struct {
	services.Service
	// Days is the uptime history, oldest first; empty unless asked for.
	Days []services.Day
	// Lifetime is the SLA since the service was created; nil unless asked for, or
	// when it could not be read.
	Lifetime *services.SLAReport
}

// snapshot is everything public about one organization at one moment.
type snapshot struct {
	Org      orgs.Organization
	Identity identity
	Now      time.Time
	// Services are in the page's order (position, then name).
	Services []serviceView
	// Open holds the unresolved incidents that name no service or a public one.
	Open []incidents.Incident
	// Past holds the public incidents resolved within pastWindow, newest first, at
	// most maxPast of them.
	Past   []incidents.Incident
	Posts  []services.Post
	Status overall
}

// what a snapshot should load beyond the organization and its public services.
type loadOptions struct {
	days      bool // uptime bars and the lifetime uptime
	incidents bool // open incidents
	past      bool // resolved incidents of the past window too
	posts     int  // how many posts, none when 0
}

// load reads one organization's public state. An unknown slug answers the orgs
// package's not_found error.
func (h *Handler) load(ctx context.Context, slug string, opt loadOptions) (snapshot, error) {
	org, err := h.orgs.OrgBySlug(ctx, slug)
	if err != nil {
		return snapshot{}, err
	}
	return h.loadOrg(ctx, org, opt)
}

// loadOrg is load for an organization already read.
func (h *Handler) loadOrg(ctx context.Context, org orgs.Organization, opt loadOptions) (snapshot, error) {
	snap := snapshot{Org: org, Identity: identityOf(org), Now: h.clock()}
	list, err := h.services.ListPublic(ctx, org.ID)
	if err != nil {
		return snapshot{}, err
	}
	public := make(map[uuid.UUID]bool, len(list))
	snap.Services = make([]serviceView, len(list))
	for i, svc := range list {
		public[svc.ID] = true
		snap.Services[i] = serviceView{Service: svc}
		if opt.days {
			days, err := h.services.DailyUptime(ctx, org.ID, svc.ID, uptimeDays)
			if err != nil {
				// The current status matters more than the history: show the service
				// without its bars rather than no page at all.
				h.log.WarnContext(ctx, "reading uptime for the status page", slog.String("service_id", svc.ID.String()), slog.Any("err", err))
				continue
			}
			snap.Services[i].Days = days
			life, err := h.services.LifetimeSLA(ctx, svc)
			if err != nil {
				h.log.WarnContext(ctx, "reading lifetime uptime for the status page", slog.String("service_id", svc.ID.String()), slog.Any("err", err))
				continue
			}
			snap.Services[i].Lifetime = &life
		}
	}
	if h.incidents != nil && (opt.incidents || opt.past) {
		var list []incidents.Incident
		if opt.past {
			list, err = h.incidents.ListRecent(ctx, org.ID, snap.Now.Add(-pastWindow))
		} else {
			list, err = h.incidents.ListOpen(ctx, org.ID)
		}
		if err != nil {
			return snapshot{}, fmt.Errorf("listing incidents: %w", err)
		}
		for _, inc := range publicIncidents(list, public) {
			if inc.Open() {
				snap.Open = append(snap.Open, inc)
			} else if len(snap.Past) < maxPast {
				snap.Past = append(snap.Past, inc)
			}
		}
	}
	if opt.posts > 0 {
		snap.Posts, err = h.services.ListPosts(ctx, org.ID, services.PostFilter{PublicOnly: true}, rest.Page{Limit: opt.posts})
		if len(snap.Posts) > opt.posts { // the store reads one more to tell the API a next page exists
			snap.Posts = snap.Posts[:opt.posts]
		}
		if err != nil {
			return snapshot{}, err
		}
	}
	snap.Status = rollUp(snap.Services, snap.Open)
	return snap, nil
}

// publicIncidents keeps the incidents a visitor may see: those about no single
// service and those about a public one, newest first.
func publicIncidents(list []incidents.Incident, public map[uuid.UUID]bool) []incidents.Incident {
	out := make([]incidents.Incident, 0, len(list))
	for _, inc := range list {
		if isPublic(inc, public) {
			out = append(out, inc)
		}
	}
	slices.SortStableFunc(out, func(a, b incidents.Incident) int { return b.StartedAt.Compare(a.StartedAt) })
	return out
}

func isPublic(inc incidents.Incident, public map[uuid.UUID]bool) bool {
	return inc.Service == nil || public[inc.Service.ID]
}

// publicSet is the set of a snapshot's service ids.
func (s snapshot) publicSet() map[uuid.UUID]bool {
	m := make(map[uuid.UUID]bool, len(s.Services))
	for _, svc := range s.Services {
		m[svc.ID] = true
	}
	return m
}

// updatedAt is the last moment anything the page shows changed: the page's
// "updated_at" and the feed's <updated>.
func (s snapshot) updatedAt() time.Time {
	var t time.Time
	for _, svc := range s.Services {
		t = later(t, svc.UpdatedAt, svc.StatusChangedAt)
	}
	for _, inc := range append(slices.Clone(s.Open), s.Past...) {
		t = later(t, inc.UpdatedAt)
	}
	for _, p := range s.Posts {
		t = later(t, p.CreatedAt)
	}
	if t.IsZero() {
		// Nothing public yet: the page has existed, unchanged, since the organization.
		t = s.Org.CreatedAt
	}
	return t.UTC()
}

func later(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}

// Indicator values of the page's overall status, as Statuspage spells them.
const (
	IndicatorNone        = "none"
	IndicatorMaintenance = "maintenance"
	IndicatorMinor       = "minor"
	IndicatorMajor       = "major"
	IndicatorCritical    = "critical"
)

// indicatorRank orders indicators from healthy to worst; any problem outranks a
// maintenance, as mapping.Status.Severity ranks maintenance below degraded.
var indicatorRank = map[string]int{
	IndicatorNone: 0, IndicatorMaintenance: 1, IndicatorMinor: 2, IndicatorMajor: 3, IndicatorCritical: 4,
}

// indicatorDescription is the sentence Statuspage shows for each indicator.
var indicatorDescription = map[string]string{
	IndicatorNone:        "All Systems Operational",
	IndicatorMaintenance: "Service Under Maintenance",
	IndicatorMinor:       "Minor Service Outage",
	IndicatorMajor:       "Partial System Outage",
	IndicatorCritical:    "Major Service Outage",
}

// overall is the page's rolled-up status.
type overall struct {
	Indicator   string
	Description string
}

// rollUp computes the page's status from its public services and open incidents; the
// table is in the package documentation.
func rollUp(svcs []serviceView, open []incidents.Incident) overall {
	ind := IndicatorNone
	raise := func(to string) {
		if indicatorRank[to] > indicatorRank[ind] {
			ind = to
		}
	}
	down := 0
	for _, svc := range svcs {
		switch svc.Status {
		case mapping.Maintenance:
			raise(IndicatorMaintenance)
		case mapping.Degraded:
			raise(IndicatorMinor)
		case mapping.Down:
			down++
			raise(IndicatorMajor)
		}
	}
	if down > 0 && down == len(svcs) {
		raise(IndicatorCritical)
	}
	for _, inc := range open {
		if _, ok := indicatorRank[inc.Severity]; ok && inc.Severity != IndicatorNone && inc.Severity != IndicatorMaintenance {
			raise(inc.Severity)
		}
	}
	return overall{Indicator: ind, Description: indicatorDescription[ind]}
}

// componentStatus is a status in Statuspage's component vocabulary.
func componentStatus(st mapping.Status) string {
	switch st {
	case mapping.Degraded:
		return "degraded_performance"
	case mapping.Down:
		return "major_outage"
	case mapping.Maintenance:
		return "under_maintenance"
	}
	return "operational"
}

// statusLabel is what a visitor reads for a status, beside its colour.
func statusLabel(st mapping.Status) string {
	switch st {
	case mapping.Operational:
		return "Operational"
	case mapping.Degraded:
		return "Degraded performance"
	case mapping.Down:
		return "Major outage"
	case mapping.Maintenance:
		return "Under maintenance"
	}
	return "No data"
}
