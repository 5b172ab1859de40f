package database

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm/schema"
)

// QueryRow runs one statement that returns at most one row on the transaction ctx
// carries (or the pool), without gorm: no statement building, no callbacks, no
// reflection over a model. Every delivery to a fixed service reads it through this;
// gorm's work around the statement was as much CPU as SQLite's. Write placeholders
// as "?"; PostgreSQL gets them numbered. Scan targets are what database/sql takes,
// as with gorm's Raw, and Scan reports sql.ErrNoRows when the statement returned
// none.
//
// It runs under the context of the transaction ctx carries, as gorm's statements
// do: inside a group commit that is the batch's, whose deadline bounds it, not the
// caller's (which the batch detaches from cancellation).
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	c := db.Conn(ctx)
	return c.Statement.ConnPool.QueryRowContext(c.Statement.Context, db.rebind(query), args...)
}

// Query is QueryRow for a statement that returns any number of rows; the caller
// closes them.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c := db.Conn(ctx)
	return c.Statement.ConnPool.QueryContext(c.Statement.Context, db.rebind(query), args...)
}

// Exec is QueryRow for a statement that returns no rows. Unlike gorm's Exec it
// passes a slice as one parameter (a PostgreSQL array), not as a list.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c := db.Conn(ctx)
	return c.Statement.ConnPool.ExecContext(c.Statement.Context, db.rebind(query), args...)
}

// rebound caches each query's PostgreSQL form: the texts are few and constant.
var rebound sync.Map // string → string

// rebind numbers the "?" placeholders of query for PostgreSQL ($1, $2, ...). The
// queries it serves hold no "?" inside a string literal.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	return numberPlaceholders(query)
}

// numberPlaceholders is query with its "?" placeholders numbered as PostgreSQL's
// ($1, $2, ...), cached.
func numberPlaceholders(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	rebound.Store(query, b.String())
	return b.String()
}

// Columns lists the columns of a gorm model's table, each qualified by alias when
// it is not "", in the order ScanInto gives their destinations: a statement written
// by hand reads a model's row exactly as gorm's Take would, and a column added to
// the model is read without another list to keep in step. model is a value or a
// pointer of the struct type.
func Columns(model any, alias string) string {
	shape := shapeOf(reflect.TypeOf(model))
	cols := make([]string, len(shape.columns))
	for i, c := range shape.columns {
		if alias != "" {
			c = alias + "." + c
		}
		cols[i] = c
	}
	return strings.Join(cols, ", ")
}

// ScanInto returns the scan destinations of the fields of *row, in Columns' order.
func ScanInto(row any) []any {
	v := reflect.ValueOf(row).Elem()
	shape := shapeOf(v.Type())
	dest := make([]any, len(shape.index))
	for i, index := range shape.index {
		dest[i] = v.FieldByIndex(index).Addr().Interface()
	}
	return dest
}

// rowShape is what gorm's schema says of a model: its table, its columns and the
// fields they are read from and into, and what gorm sets on an INSERT.
type rowShape struct {
	table   string
	columns []string
	index   [][]int
	// autoTime marks the columns gorm sets to now on an INSERT that leaves them zero
	// (CreatedAt, and UpdatedAt unless told otherwise).
	autoTime []bool
	// autoKey is the column of an integer primary key the store numbers, or -1.
	autoKey int
	// gormInserts says the model has what only gorm's Create writes right (a
	// serializer, an automatic time that is not a time.Time).
	gormInserts bool
}

var shapes sync.Map // reflect.Type → *rowShape

func shapeOf(t reflect.Type) *rowShape {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*rowShape)
	}
	sch, err := schema.Parse(reflect.New(t).Interface(), &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("database: %s is not a gorm model: %v", t, err)) // a programming error, found by any test
	}
	shape := &rowShape{table: sch.Table, autoKey: -1}
	for _, f := range sch.Fields {
		if f.DBName == "" {
			continue // not a column
		}
		if f.AutoIncrement {
			shape.autoKey = len(shape.columns)
		}
		autoTime := f.AutoCreateTime > 0 || f.AutoUpdateTime > 0
		if f.Serializer != nil || (autoTime && f.FieldType != reflect.TypeOf(time.Time{})) {
			shape.gormInserts = true
		}
		shape.columns = append(shape.columns, f.DBName)
		shape.index = append(shape.index, f.StructField.Index)
		shape.autoTime = append(shape.autoTime, autoTime)
	}
	shapes.Store(t, shape)
	return shape
}

// SetClause is an UPDATE's "a = ?, b = ?" for cols, and its arguments in that order.
// cols must name columns of the caller's choosing, never a sender's; they are
// sorted, so each set of columns is one statement text and one cached statement.
func SetClause(cols map[string]any) (string, []any) {
	names := slices.Sorted(maps.Keys(cols))
	var b strings.Builder
	args := make([]any, 0, len(names)+4)
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name + " = ?")
		args = append(args, cols[name])
	}
	return b.String(), args
}

// Update runs "UPDATE table SET <cols> WHERE where" with cols' values (SetClause),
// then args for where's placeholders, as Exec does: for an UPDATE on the writer's
// path, where gorm's building and callbacks cost more CPU than the statement.
// table, where and cols' names are the caller's text, never a sender's.
func (db *DB) Update(ctx context.Context, table string, cols map[string]any, where string, args ...any) (sql.Result, error) {
	set, setArgs := SetClause(cols)
	return db.Exec(ctx, "UPDATE "+table+" SET "+set+" WHERE "+where, append(setArgs, args...)...)
}
