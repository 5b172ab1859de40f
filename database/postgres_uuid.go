package database

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// encodeUUIDsDirectly makes pgx send a uuid.UUID parameter as the 16 bytes it is.
// uuid.UUID is a driver.Valuer, and pgx tries a Valuer only when nothing else fits:
// it calls Value (a 36-character string), fails to encode that string as a binary
// uuid, builds the error with fmt, parses the string back, and encodes what it got.
// Every id of every statement went that way, about 9 % of the gateway's CPU on
// PostgreSQL's unchanged path. What is stored is the same uuid either way.
func encodeUUIDsDirectly(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUID}, m.TryWrapEncodePlanFuncs...)
	return nil
}

// tryWrapUUID offers a uuid.UUID to pgx as a [16]byte, which pgx's uuid codec
// encodes itself. Where a [16]byte does not fit the parameter's type, pgx finds no
// plan for it and goes on to its other ways, the Valuer among them, as before.
func tryWrapUUID(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	u, ok := value.(uuid.UUID)
	if !ok {
		return nil, nil, false
	}
	return &uuidEncodePlan{}, [16]byte(u), true
}

// uuidEncodePlan hands a uuid.UUID's bytes to the plan pgx found for a [16]byte.
type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode([16]byte(value.(uuid.UUID)), buf)
}
