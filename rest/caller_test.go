package rest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

func TestCaller(t *testing.T) {
	t.Parallel()
	e := echo.New()
	newContext := func(p *rest.Principal) echo.Context {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if p != nil {
			req = req.WithContext(rest.WithPrincipal(req.Context(), *p))
		}
		return e.NewContext(req, httptest.NewRecorder())
	}

	t.Run("a request without a principal is unauthorized", func(t *testing.T) {
		_, err := rest.Caller(newContext(nil))
		if got := apierr.CodeOf(err); got != apierr.CodeUnauthorized {
			t.Fatalf("code = %q (err %v), want %q", got, err, apierr.CodeUnauthorized)
		}
	})
	t.Run("the stored principal comes back", func(t *testing.T) {
		want := rest.Principal{OrgID: uuid.New(), OrgSlug: "acme", Role: "viewer", KeyID: uuid.New()}
		got, err := rest.Caller(newContext(&want))
		if err != nil || got != want {
			t.Fatalf("Caller = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("a malformed id is not found for its kind", func(t *testing.T) {
		c := newContext(&rest.Principal{OrgID: uuid.New()})
		c.SetParamNames("id")
		c.SetParamValues("not-a-uuid")
		_, _, err := rest.CallerAndID(c, "receiver")
		if e, ok := apierr.As(err); !ok || e.Code != apierr.CodeNotFound || e.Message != "receiver not found" {
			t.Fatalf("err = %v, want receiver not_found", err)
		}
	})
}
