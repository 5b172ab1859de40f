package statuspage

import (
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/orgs"
)

// The Statuspage-compatible read API: the same answers under /status/{org}/api/v2/
// and, for the organization the request's Host names (the default one unless
// HostOrgFunc says otherwise), under /api/v2/, because Atlassian's embeddable widget
// replaces the whole path of the address it is given with /api/v2/summary.json.

// v2Load is what every file of the API reads, the same for all so that their
// page.updated_at agree: a resolved incident moves it too. One post, so that an
// operator's post moves it as well.
var v2Load = loadOptions{past: true, posts: 1}

// v2Endpoints are the files of the API, each with what it answers.
var v2Endpoints = []struct {
	path string
	// answer builds the body from the snapshot and the maintenances.
	answer func(h *Handler, s snapshot, maint []SummaryMaintenance) any
}{
	{"/summary.json", func(h *Handler, s snapshot, m []SummaryMaintenance) any {
		return h.summary(s, activeOrUpcoming(m))
	}},
	{"/status.json", func(h *Handler, s snapshot, _ []SummaryMaintenance) any {
		return StatusAnswer{Page: h.page(s), Status: SummaryStatus{Indicator: s.Status.Indicator, Description: s.Status.Description}}
	}},
	{"/components.json", func(h *Handler, s snapshot, _ []SummaryMaintenance) any {
		return ComponentsAnswer{Page: h.page(s), Components: components(s)}
	}},
	{"/incidents.json", func(h *Handler, s snapshot, _ []SummaryMaintenance) any {
		// Statuspage answers its newest 50 incidents, open or resolved, newest first.
		all := append(slices.Clone(s.Open), s.Past...)
		slices.SortStableFunc(all, byStartDesc)
		if len(all) > maxPast {
			all = all[:maxPast]
		}
		return IncidentsAnswer{Page: h.page(s), Incidents: h.summaryIncidents(s, all, components(s))}
	}},
	{"/incidents/unresolved.json", func(h *Handler, s snapshot, _ []SummaryMaintenance) any {
		return IncidentsAnswer{Page: h.page(s), Incidents: h.summaryIncidents(s, s.Open, components(s))}
	}},
	{"/scheduled-maintenances.json", func(h *Handler, s snapshot, m []SummaryMaintenance) any {
		return MaintenancesAnswer{Page: h.page(s), ScheduledMaintenances: m}
	}},
	{"/scheduled-maintenances/upcoming.json", func(h *Handler, s snapshot, m []SummaryMaintenance) any {
		return MaintenancesAnswer{Page: h.page(s), ScheduledMaintenances: filterMaintenances(m, maintenanceScheduled)}
	}},
	{"/scheduled-maintenances/active.json", func(h *Handler, s snapshot, m []SummaryMaintenance) any {
		return MaintenancesAnswer{Page: h.page(s), ScheduledMaintenances: filterMaintenances(m, maintenanceInProgress, maintenanceVerifying)}
	}},
}

// registerV2 adds the API under both prefixes. Each group has a catch-all, so an
// unknown file under either answers the usual 404 JSON.
func (h *Handler) registerV2(e *echo.Echo) {
	bySlug := e.Group("/status/:slug/api/v2")
	root := e.Group("/api/v2")
	for _, ep := range v2Endpoints {
		bySlug.GET(ep.path, h.v2Handler(ep.answer, func(c echo.Context) string { return c.Param("slug") }))
		root.GET(ep.path, h.v2Handler(ep.answer, h.rootSlug))
	}
	for _, g := range []*echo.Group{bySlug, root} {
		g.RouteNotFound("/*", notFoundJSON)
	}
}

func notFoundJSON(echo.Context) error { return apierr.New(apierr.CodeNotFound, "no such route") }

// rootSlug is the organization the root /api/v2/ serves for this request.
func (h *Handler) rootSlug(c echo.Context) string {
	if h.hostOrg != nil {
		host := c.Request().Host
		if name, _, err := net.SplitHostPort(host); err == nil {
			host = name
		}
		if slug := h.hostOrg(strings.ToLower(host)); slug != "" {
			return slug
		}
	}
	return orgs.DefaultSlug
}

func (h *Handler) v2Handler(answer func(*Handler, snapshot, []SummaryMaintenance) any, slugOf func(echo.Context) string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		snap, err := h.load(ctx, slugOf(c), v2Load)
		if err != nil {
			return err
		}
		maint, err := h.maintenances(ctx, snap)
		if err != nil {
			return err
		}
		setCORS(c)
		c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
		return c.JSON(http.StatusOK, answer(h, snap, maint))
	}
}

// Maintenance statuses, as Statuspage spells them.
const (
	maintenanceScheduled  = "scheduled"
	maintenanceInProgress = "in_progress"
	maintenanceVerifying  = "verifying"
	maintenanceCompleted  = "completed"
)

// filterMaintenances keeps the maintenances in the given statuses.
func filterMaintenances(list []SummaryMaintenance, statuses ...string) []SummaryMaintenance {
	out := []SummaryMaintenance{}
	for _, m := range list {
		if slices.Contains(statuses, m.Status) {
			out = append(out, m)
		}
	}
	return out
}

// activeOrUpcoming is what summary.json lists: maintenances not yet over, as
// Statuspage's summary does.
func activeOrUpcoming(list []SummaryMaintenance) []SummaryMaintenance {
	out := []SummaryMaintenance{}
	for _, m := range list {
		if m.Status != maintenanceCompleted {
			out = append(out, m)
		}
	}
	return out
}

// setCORS lets a page on any origin read the answer: it is public anyway, and
// carries no credentials.
func setCORS(c echo.Context) {
	c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, "*")
}

// isPublicAPI reports whether a path belongs to the public JSON API, whose
// preflight requests preflight answers.
func isPublicAPI(path string) bool {
	if strings.HasPrefix(path, "/api/v2/") || strings.HasPrefix(path, "/api/v1/public/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/status/")
	if !ok {
		return false
	}
	_, tail, ok := strings.Cut(rest, "/")
	return ok && strings.HasPrefix(tail, "api/v2/")
}

// preflight answers CORS preflight (OPTIONS) requests to the public API before
// routing: the router would otherwise answer them with a bare Allow header and no
// CORS headers, which a browser reads as a refusal. Every other request passes.
func preflight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodOptions || !isPublicAPI(req.URL.Path) {
			return next(c)
		}
		hd := c.Response().Header()
		hd.Set(echo.HeaderAccessControlAllowOrigin, "*")
		hd.Set(echo.HeaderAccessControlAllowMethods, "GET, OPTIONS")
		if asked := req.Header.Get(echo.HeaderAccessControlRequestHeaders); asked != "" {
			hd.Set(echo.HeaderAccessControlAllowHeaders, asked)
		}
		hd.Set(echo.HeaderAccessControlMaxAge, "86400")
		hd.Set(echo.HeaderAllow, "GET, OPTIONS")
		return c.NoContent(http.StatusNoContent)
	}
}
