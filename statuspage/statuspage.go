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
	// feedPosts is how many posts the Atom feed carries.
	feedPosts = 50
	// feedIncidentWindow is how far back the feed lists incidents.
	feedIncidentWindow = 30 * 24 * time.Hour
)

// IncidentSource is what the page reads of incidents; *incidents.Store implements it.
// It is an interface so that the page can be wired (and tested) before or without the
// incidents package's store, and a nil source simply shows no incidents.
type IncidentSource interface {
	// ListOpen returns the organization's unresolved incidents.
	ListOpen(ctx context.Context, orgID uuid.UUID) ([]incidents.Incident, error)
	// ListRecent returns the organization's incidents since the given time.
	ListRecent(ctx context.Context, orgID uuid.UUID, since time.Time) ([]incidents.Incident, error)
}

var _ IncidentSource = (*incidents.Store)(nil)

// Config is what the public pages need.
type Config struct {
	Orgs      *orgs.Store
	Services  *services.Store
	Incidents IncidentSource
	// PublicURL is the base of the absolute URLs the summary and the feed hand out
	// (STATUSGATE_PUBLIC_URL), e.g. "https://status.example.com".
	PublicURL string
	// NowFunc is the clock; time.Now when nil.
	NowFunc func() time.Time
	Logger  *slog.Logger
}

// Handler serves the public status page, its summary JSON, feed and badges.
type Handler struct {
	orgs      *orgs.Store
	services  *services.Store
	incidents IncidentSource
	publicURL string
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
		orgs: cfg.Orgs, services: cfg.Services, incidents: cfg.Incidents,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"), now: now, log: log,
	}
}

func (h *Handler) clock() time.Time { return h.now().UTC().Truncate(time.Microsecond) }

// pageURL is the absolute address of an organization's status page.
func (h *Handler) pageURL(slug string) string { return h.publicURL + "/status/" + slug }

// serviceView is one public service with what the page shows of it.
type serviceView struct {
	services.Service
	// Days is the uptime history, oldest first; empty unless asked for.
	Days []services.Day
}

// snapshot is everything public about one organization at one moment.
type snapshot struct {
	Org      orgs.Organization
	Now      time.Time
	Services []serviceView
	// Open holds the unresolved incidents that name no service or a public one.
	Open []incidents.Incident
	// Recent holds resolved public incidents of the feed window (feed only).
	Recent []incidents.Incident
	Posts  []services.Post
	Status overall
}

// what a snapshot should load beyond the organization and its public services.
type loadOptions struct {
	days      bool // uptime bars
	incidents bool // open incidents
	recent    bool // incidents of the feed window too
	posts     int  // how many posts, none when 0
}

// load reads one organization's public state. An unknown slug answers the orgs
// package's not_found error.
func (h *Handler) load(ctx context.Context, slug string, opt loadOptions) (snapshot, error) {
	org, err := h.orgs.OrgBySlug(ctx, slug)
	if err != nil {
		return snapshot{}, err
	}
	snap := snapshot{Org: org, Now: h.clock()}
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
		}
	}
	if h.incidents != nil && opt.incidents {
		open, err := h.incidents.ListOpen(ctx, org.ID)
		if err != nil {
			return snapshot{}, fmt.Errorf("listing open incidents: %w", err)
		}
		snap.Open = publicIncidents(open, public)
		if opt.recent {
			recent, err := h.incidents.ListRecent(ctx, org.ID, snap.Now.Add(-feedIncidentWindow))
			if err != nil {
				return snapshot{}, fmt.Errorf("listing recent incidents: %w", err)
			}
			snap.Recent = publicIncidents(recent, public)
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
		if inc.Service == nil || public[inc.Service.ID] {
			out = append(out, inc)
		}
	}
	slices.SortStableFunc(out, func(a, b incidents.Incident) int { return b.StartedAt.Compare(a.StartedAt) })
	return out
}

// updatedAt is the last moment anything the page shows changed: the page's
// "updated_at" and the feed's <updated>.
func (s snapshot) updatedAt() time.Time {
	var t time.Time
	for _, svc := range s.Services {
		t = later(t, svc.UpdatedAt, svc.StatusChangedAt)
	}
	for _, inc := range append(slices.Clone(s.Open), s.Recent...) {
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
