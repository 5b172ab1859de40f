package statuspage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
)

//go:embed assets templates
var files embed.FS

// Cache lifetimes. The public answers change with every status change, so caches
// (and CDNs in front of us) may keep them only briefly; the stylesheet's address
// carries its content hash, so it may be kept for long.
const (
	cacheShort = "public, max-age=30"
	cacheAsset = "public, max-age=86400, immutable"
)

// stylesheet is the embedded CSS and the version its address carries.
var stylesheet, stylesheetVersion = func() ([]byte, string) {
	b, err := files.ReadFile("assets/status.css")
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build mistake
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:6])
}()

// Register adds the public routes, which need no API key. An unknown path under
// /status/, /api/v2/ or /api/v1/public/ answers 404 JSON; the last needs its own
// catch-all, or the admin group's /api/v1/* would answer it 401.
func (h *Handler) Register(e *echo.Echo) {
	e.Pre(preflight)
	e.GET("/status/assets/status.css", h.handleCSS)
	e.GET("/status/:slug", h.handlePage)
	e.GET("/status/:slug/favicon.svg", h.handleFavicon)
	e.GET("/status/:slug/incidents/:id", h.handleIncident)
	e.GET("/status/:slug/feed.atom", h.handleFeed)
	e.GET("/status/:slug/badge/:file", h.handleBadge)
	e.GET("/api/v1/public/:slug/summary.json", h.handleSummary)
	e.RouteNotFound("/status/*", notFoundJSON)
	e.RouteNotFound("/api/v1/public/*", notFoundJSON)
	h.registerV2(e)
}

func (h *Handler) handleCSS(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, cacheAsset)
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", stylesheet)
}

func (h *Handler) handlePage(c echo.Context) error {
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{days: true, past: true, posts: pagePosts})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return h.renderHTML(c, http.StatusNotFound, "notfound.html", nil)
	}
	if err != nil {
		return err
	}
	maint, err := h.maintenances(c.Request().Context(), snap)
	if err != nil {
		return err
	}
	data := h.pageData(snap)
	data.Maintenances = maintenanceRows(snap, activeOrUpcoming(maint))
	c.Response().Header().Set("Content-Security-Policy", cspFor(snap.Identity))
	return h.renderHTML(c, http.StatusOK, "page.html", data)
}

// handleIncident is one incident's page, where the feed's and the API's links lead.
// An incident about a service that is not public is not found, like one that does
// not exist.
func (h *Handler) handleIncident(c echo.Context) error {
	ctx := c.Request().Context()
	notFound := func() error { return h.renderHTML(c, http.StatusNotFound, "notfound.html", nil) }
	id, err := uuid.Parse(c.Param("id"))
	if err != nil || h.incidents == nil {
		return notFound()
	}
	snap, err := h.load(ctx, c.Param("slug"), loadOptions{incidents: true})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return notFound()
	}
	if err != nil {
		return err
	}
	inc, err := h.incidents.Get(ctx, snap.Org.ID, id)
	if apierr.CodeOf(err) == apierr.CodeNotFound || (err == nil && !isPublic(inc, snap.publicSet())) {
		return notFound()
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", cspFor(snap.Identity))
	return h.renderHTML(c, http.StatusOK, "incident.html", incidentView{chrome: h.chromeOf(snap), Incident: h.incidentRowOf(snap, inc)})
}

// handleFavicon draws the page's overall status as its icon; an unknown organization
// gets a grey one with 404.
func (h *Handler) handleFavicon(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	c.Response().Header().Set(echo.HeaderXContentTypeOptions, "nosniff")
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{incidents: true})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return c.Blob(http.StatusNotFound, svgType, favicon(""))
	}
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, svgType, favicon(snap.Status.Indicator))
}

func (h *Handler) renderHTML(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	return c.HTMLBlob(status, buf.Bytes())
}

func (h *Handler) handleSummary(c echo.Context) error {
	ctx := c.Request().Context()
	snap, err := h.load(ctx, c.Param("slug"), v2Load)
	if err != nil {
		return err
	}
	maint, err := h.maintenances(ctx, snap)
	if err != nil {
		return err
	}
	// Anyone may read this from a browser widget on another site: it is public.
	setCORS(c)
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	return c.JSON(http.StatusOK, h.summary(snap, activeOrUpcoming(maint)))
}

func (h *Handler) handleFeed(c echo.Context) error {
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{past: true, posts: feedPosts})
	if err != nil {
		return err
	}
	body, err := h.feed(snap)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", body)
}

// handleBadge answers an SVG in every case, a grey "not found" badge with 404 for an
// unknown organization or a service that is unknown or not public, so that an <img>
// in a README shows something readable rather than a broken image.
func (h *Handler) handleBadge(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	c.Response().Header().Set(echo.HeaderXContentTypeOptions, "nosniff")
	name, ok := strings.CutSuffix(c.Param("file"), ".svg")
	if ok && c.Request().URL.RawPath != "" {
		// Echo hands the raw segment back when the path needed escaping ("a%2Fb").
		name, ok = unescape(name)
	}
	if !ok || name == "" {
		return c.Blob(http.StatusNotFound, svgType, notFoundBadge())
	}
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return c.Blob(http.StatusNotFound, svgType, notFoundBadge())
	}
	if err != nil {
		return err
	}
	svc, found := findPublic(snap.Services, name)
	if !found {
		return c.Blob(http.StatusNotFound, svgType, notFoundBadge())
	}
	return c.Blob(http.StatusOK, svgType, statusBadge(svc.Name, svc.Status))
}

func unescape(s string) (string, bool) {
	u, err := url.PathUnescape(s)
	return u, err == nil
}

// findPublic finds a public service by its id or by its name, compared the way
// service names are everywhere: case-insensitively, ignoring outer spaces.
func findPublic(list []serviceView, name string) (serviceView, bool) {
	key := strings.ToLower(strings.TrimSpace(name))
	for _, svc := range list {
		if svc.ID.String() == key || strings.ToLower(strings.TrimSpace(svc.Name)) == key {
			return svc, true
		}
	}
	return serviceView{}, false
}
