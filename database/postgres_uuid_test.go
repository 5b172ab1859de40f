package database_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// A uuid.UUID parameter reaches PostgreSQL as the same uuid whatever the parameter's
// type: a uuid column, a text one, or nil through a pointer. The first is the bytes
// path of encodeUUIDsDirectly; the others must still take pgx's own ways.
func TestPostgresUUIDParameters(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	var asUUID, asText string
	if err := db.QueryRow(ctx, "SELECT CAST(? AS uuid)::text, CAST(? AS text)", id, id).Scan(&asUUID, &asText); err != nil {
		t.Fatalf("query with uuid parameters: %v", err)
	}
	if asUUID != id.String() || asText != id.String() {
		t.Fatalf("uuid parameter arrived as %q (uuid) and %q (text), want %q", asUUID, asText, id)
	}
	var absent *uuid.UUID
	var isNull bool
	if err := db.QueryRow(ctx, "SELECT CAST(? AS uuid) IS NULL, CAST(? AS uuid)::text", absent, &id).Scan(&isNull, &asUUID); err != nil {
		t.Fatalf("query with uuid pointers: %v", err)
	}
	if !isNull || asUUID != id.String() {
		t.Fatalf("nil *uuid.UUID is null = %v, a pointer to %s arrived as %q", isNull, id, asUUID)
	}
}
