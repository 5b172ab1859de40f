package database

import (
	"context"
	"reflect"

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
	if !isGoogleUUID(reflect.TypeOf(value)) {
		return nil, nil, false
	}
	return &uuidEncodePlan{}, uuidBytes(value), true
}

// isGoogleUUID recognises github.com/google/uuid's UUID by name: this package
// imports no domain-level library (DESIGN.md), and the type is a [16]byte whose
// bytes are the uuid's.
func isGoogleUUID(t reflect.Type) bool {
	return t != nil && t.PkgPath() == "github.com/google/uuid" && t.Name() == "UUID" &&
		t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8
}

var byte16Type = reflect.TypeFor[[16]byte]()

func uuidBytes(value any) [16]byte {
	return reflect.ValueOf(value).Convert(byte16Type).Interface().([16]byte)
}

// uuidEncodePlan hands a uuid.UUID's bytes to the plan pgx found for a [16]byte.
type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(uuidBytes(value), buf)
}
