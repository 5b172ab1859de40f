package statuspage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

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

// Register adds the public routes, which need no API key.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/status/assets/status.css", h.handleCSS)
	e.GET("/status/:slug", h.handlePage)
	e.GET("/status/:slug/feed.atom", h.handleFeed)
	e.GET("/status/:slug/badge/:file", h.handleBadge)
	e.GET("/api/v1/public/:slug/summary.json", h.handleSummary)
}

func (h *Handler) handleCSS(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, cacheAsset)
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", stylesheet)
}

func (h *Handler) handlePage(c echo.Context) error {
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{days: true, incidents: true, posts: pagePosts})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		return h.renderHTML(c, http.StatusNotFound, "notfound.html", nil)
	}
	if err != nil {
		return err
	}
	// The page runs no script and loads only its own stylesheet; say so to the browser.
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'")
	return h.renderHTML(c, http.StatusOK, "page.html", h.pageData(snap))
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
	// One post, so that page.updated_at also moves when an operator posts.
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{incidents: true, posts: 1})
	if err != nil {
		return err
	}
	// Anyone may read this from a browser widget on another site: it is public.
	c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, "*")
	c.Response().Header().Set(echo.HeaderCacheControl, cacheShort)
	return c.JSON(http.StatusOK, h.summary(snap))
}

func (h *Handler) handleFeed(c echo.Context) error {
	snap, err := h.load(c.Request().Context(), c.Param("slug"), loadOptions{incidents: true, recent: true, posts: feedPosts})
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
