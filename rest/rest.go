package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
)

// maxAdminBody caps admin request bodies; configuration objects are small.
const maxAdminBody = 1 << 20

// Bind decodes the JSON request body into v. Unknown fields are rejected, so a typo in
// a field name is an error the operator sees rather than a setting silently ignored.
func Bind(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxAdminBody+1))
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	if len(body) > maxAdminBody {
		return apierr.New(apierr.CodePayloadTooLarge, "request body is larger than %d bytes", maxAdminBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return apierr.New(apierr.CodeInvalidJSON, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apierr.New(apierr.CodeInvalidJSON, "request body has data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return apierr.New(apierr.CodeInvalidJSON, "request body is not valid JSON (at byte %d): %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierr.New(apierr.CodeInvalidJSON, "request body is not valid JSON: it ends too early")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apierr.New(apierr.CodeInvalidJSON, "request body must be a JSON object")
		}
		return apierr.Invalid(field, "%s must be %s, got %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apierr.Invalid(name, "unknown field %q", name)
	}
	var apiErr *apierr.Error
	if errors.As(err, &apiErr) { // from a custom UnmarshalJSON
		return apiErr
	}
	return apierr.New(apierr.CodeInvalidJSON, "request body is not valid JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	default:
		return "a number"
	}
}

// Page is a request's ?limit=&cursor=.
type Page struct {
	Limit  int
	Cursor uuid.UUID // uuid.Nil for the first page
}

// Paging limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ParsePage reads ?limit= (default 50, at most 200) and ?cursor= (an opaque value a
// previous answer's next_cursor gave: the id of its last item).
func ParsePage(c echo.Context) (Page, error) {
	p := Page{Limit: DefaultLimit}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return p, apierr.Invalid("limit", "limit must be a whole number from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	if s := c.QueryParam("cursor"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return p, apierr.Invalid("cursor", "cursor %q is not one this API handed out", s)
		}
		p.Cursor = id
	}
	return p, nil
}

// PathID reads a UUID path parameter; a malformed one is simply not found.
func PathID(c echo.Context, name, kind string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, apierr.NotFound(kind)
	}
	return id, nil
}

// Nullable is a JSON field that distinguishes absent (Set false), null (Set true,
// Value nil) and a value, which PATCH needs to clear an optional setting.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// ListAnswer writes a list in the shape every list endpoint shares:
// {"<name>": [...], "next_cursor": "..." or null at the end}. Stores fetch one item
// more than the page (Limit+1), so the answer knows whether another page exists and
// a full last page still ends with null.
func ListAnswer[T any](c echo.Context, name string, page Page, items []T, idOf func(T) uuid.UUID) error {
	var next *string
	if len(items) > page.Limit {
		items = items[:page.Limit]
		s := idOf(items[len(items)-1]).String()
		next = &s
	}
	if items == nil {
		items = []T{}
	}
	return c.JSON(http.StatusOK, map[string]any{name: items, "next_cursor": next})
}
