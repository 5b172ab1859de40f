package main

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI is the API reference, kept beside the wiring that registers the routes it
// describes; a test checks that every registered route is in it.
//
//go:embed openapi.yaml
var openAPI []byte

func handleOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}
