package database

import (
	"context"
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// InsertLater writes rows that nothing reads back in the transaction that writes
// them (a delivery's log row, its outbox events and their deliveries, a status post,
// an incident's timeline entry) as one multi-row INSERT per table just before the
// transaction commits, instead of a statement each as they are made. A change
// queued five such rows, and a group commit of 64 changes then ran 320 INSERTs; now
// it runs a handful. On PostgreSQL each statement saved is a round trip the batch
// waited for; on SQLite it is a statement run through the VM.
//
// The promise of a commit is unchanged: the rows are written inside the same
// transaction, before its COMMIT, and a row that cannot be written fails it. Under
// group commit a failed flush of the whole batch makes the batch run again with a
// savepoint per function, each function's rows flushed before its savepoint is
// released, so a bad row fails only the delivery that made it.

// pendingKey carries the *pendingRows of the transaction (or, in a group commit's
// pass with savepoints, of the function) that InsertLater queues to.
type pendingKey struct{}

// pendingRows holds the rows queued by InsertLater, by model type, in the order the
// types were first queued, which is the order they are written in: a row whose
// foreign key names another queued row (an outbox delivery and its event) is queued
// after it by the code that makes both.
type pendingRows struct {
	order []reflect.Type
	rows  map[reflect.Type]reflect.Value // a slice of the model type
	// What Gather collected, by key, written after the rows in the order the keys
	// were first used.
	gatherOrder []any
	gathered    map[any]gatheredWrite
}

// gatheredWrite is one key's items of Gather and the statement that writes them.
type gatheredWrite interface {
	write(ctx context.Context) error
}

type gatheredOf[T any] struct {
	items []T
	fn    func(ctx context.Context, items []T) error
}

func (g *gatheredOf[T]) write(ctx context.Context) error { return g.fn(ctx, g.items) }

// Gather adds item to what write is handed, once, just before the transaction ctx
// carries commits: after InsertLater's rows, and in a group commit's pass with
// savepoints before the function's savepoint is left, so a failed write fails only
// the function that gathered. It is for many functions' writes that one statement
// makes, such as the outbox's records of the attempts that succeeded together:
// under group commit a statement each was a round trip each inside the batch on
// PostgreSQL. write gets a ctx that carries the transaction. Without a transaction
// write runs at once with item alone. Every call with one key must pass the same
// write, and nothing in the transaction may read what it will write.
func Gather[T any](ctx context.Context, key any, item T, write func(ctx context.Context, items []T) error) error {
	p, ok := ctx.Value(pendingKey{}).(*pendingRows)
	if !ok {
		return write(ctx, []T{item})
	}
	if p.gathered == nil {
		p.gathered = map[any]gatheredWrite{}
	}
	w, found := p.gathered[key]
	if !found {
		w = &gatheredOf[T]{fn: write}
		p.gathered[key] = w
		p.gatherOrder = append(p.gatherOrder, key)
	}
	g, ok := w.(*gatheredOf[T])
	if !ok {
		return fmt.Errorf("Gather: key %v already gathers %T", key, w)
	}
	g.items = append(g.items, item)
	return nil
}

// InsertLater queues row (a pointer to a gorm model) for INSERT before the
// transaction ctx carries commits; without a transaction it is written at once. The
// caller must not change row afterwards, nor read its table for it in the same
// transaction.
func (db *DB) InsertLater(ctx context.Context, row any) error {
	p, ok := ctx.Value(pendingKey{}).(*pendingRows)
	if !ok {
		return db.Conn(ctx).Create(row).Error
	}
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("InsertLater takes a pointer to a model, not %T", row)
	}
	p.add(v.Elem())
	return nil
}

// Insert writes row (a pointer to a gorm model) now, in the transaction ctx
// carries, with the hand-made INSERT the batches of InsertLater use rather than
// gorm's Create, whose building and callbacks cost as much CPU as SQLite's work on
// the one writer. What gorm would fill in on the way is not written back to row: a
// zero automatic time is written as now, and a model whose key the store numbers
// goes through gorm. Errors are translated as gorm's are, so ErrDuplicate matches.
func (db *DB) Insert(ctx context.Context, row any) error {
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("Insert takes a pointer to a model, not %T", row)
	}
	if shape := shapeOf(v.Type()); shape.gormInserts || shape.autoKey >= 0 {
		return db.Conn(ctx).Create(row).Error
	}
	rows := reflect.MakeSlice(reflect.SliceOf(v.Elem().Type()), 1, 1)
	rows.Index(0).Set(v.Elem())
	return insertRows(db.Conn(ctx), rows)
}

func (p *pendingRows) add(v reflect.Value) {
	t := v.Type()
	if p.rows == nil {
		p.rows = map[reflect.Type]reflect.Value{}
	}
	s, ok := p.rows[t]
	if !ok {
		p.order = append(p.order, t)
		s = reflect.MakeSlice(reflect.SliceOf(t), 0, 8)
	}
	p.rows[t] = reflect.Append(s, v)
}

// maxRowsPerInsert bounds one INSERT: 64 rows of the widest model (a delivery's
// 21 columns) stay far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const maxRowsPerInsert = 64

// flush writes the queued rows through tx and empties p. Each table's rows go in
// INSERTs of a power of two rows (45 rows are 32 + 8 + 4 + 1), so a table has at
// most seven statement texts, and the statement caches of both stores keep them
// all instead of preparing a new text for every batch size.
func (p *pendingRows) flush(tx *gorm.DB) error {
	defer func() { *p = pendingRows{} }()
	for _, t := range p.order {
		s := p.rows[t]
		for start := 0; start < s.Len(); {
			n := min(s.Len()-start, maxRowsPerInsert)
			n = 1 << (bits.Len(uint(n)) - 1) // the largest power of two ≤ n
			if err := insertRows(tx, s.Slice(start, start+n)); err != nil {
				return fmt.Errorf("writing %d rows to %s: %w", n, tableName(t), err)
			}
			start += n
		}
	}
	if len(p.gatherOrder) > 0 {
		ctx := context.WithValue(tx.Statement.Context, txKey{}, tx)
		for _, key := range p.gatherOrder {
			if err := p.gathered[key].write(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertRows writes rows (a slice of one model type) in one INSERT straight to the
// connection gorm holds, as QueryRow reads. gorm's Create of a batch cost as much
// CPU as SQLite's work on it (a clause tree built and its text written again for
// every statement, each value bound through reflection and callbacks), and the
// flush runs on group commit's one worker, which every delivery waits for. What
// gorm would add to a row is added here: a zero automatic time is set to now. A
// model whose integer key is left to the store (which only tests queue), or that
// has a serializer, goes through gorm.
func insertRows(tx *gorm.DB, rows reflect.Value) error {
	shape := shapeOf(rows.Type().Elem())
	if shape.gormInserts {
		return createWithGorm(tx, rows)
	}
	args := make([]any, 0, rows.Len()*len(shape.index))
	for i := range rows.Len() {
		row := rows.Index(i)
		for c, index := range shape.index {
			f := row.FieldByIndex(index)
			switch {
			case shape.autoTime[c] && f.IsZero():
				f = reflect.ValueOf(tx.Config.NowFunc())
			case c == shape.autoKey && f.IsZero():
				return createWithGorm(tx, rows)
			}
			args = append(args, f.Interface())
		}
	}
	text := insertText(shape, rows.Len())
	if Dialect(tx.Dialector.Name()) == Postgres {
		text = numberPlaceholders(text)
	}
	if _, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, text, args...); err != nil {
		if translator, ok := tx.Dialector.(gorm.ErrorTranslator); ok {
			err = translator.Translate(err) // as gorm's TranslateError would, so ErrDuplicate still matches
		}
		return err
	}
	return nil
}

// createWithGorm writes rows with gorm's Create.
func createWithGorm(tx *gorm.DB, rows reflect.Value) error {
	chunk := reflect.New(rows.Type()) // gorm fills in what it must (keys) through a pointer
	chunk.Elem().Set(rows)
	return tx.Create(chunk.Interface()).Error
}

// insertTexts caches the INSERT of n rows of a model: a model has at most seven
// (flush's powers of two).
var insertTexts sync.Map // insertTextKey → string

type insertTextKey struct {
	shape *rowShape
	n     int
}

// insertText is the INSERT of n rows of shape's table, with "?" placeholders.
func insertText(shape *rowShape, n int) string {
	key := insertTextKey{shape, n}
	if text, ok := insertTexts.Load(key); ok {
		return text.(string)
	}
	row := "(" + strings.Repeat("?, ", len(shape.columns)-1) + "?)"
	text := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", shape.table, strings.Join(shape.columns, ", "),
		strings.Repeat(row+", ", n-1)+row)
	insertTexts.Store(key, text)
	return text
}

// tableName names a model's table for an error message: its TableName, else its type.
func tableName(t reflect.Type) string {
	if m, ok := reflect.Zero(t).Interface().(interface{ TableName() string }); ok {
		return m.TableName()
	}
	return t.Name()
}

// memoKey carries the txMemo of the transaction (or of a group commit's pass).
type memoKey struct{}

// txMemo holds what Memo read in one transaction.
type txMemo map[any]any

// Memo returns what load returns, reading it once per transaction: later calls in
// the transaction ctx carries (and, under group commit, in its batch) get the same
// value. It is for a read that many functions of a batch repeat and few writes
// change, such as an organization's notification channels, which every event of
// every change in a batch looked up again. A function that writes what load reads
// must call ForgetMemo in the same transaction. Outside a transaction it calls load
// every time.
func Memo[T any](ctx context.Context, key any, load func() (T, error)) (T, error) {
	m, ok := ctx.Value(memoKey{}).(txMemo)
	if !ok {
		return load()
	}
	if v, ok := m[key]; ok {
		return v.(T), nil
	}
	v, err := load()
	if err == nil {
		m[key] = v
	}
	return v, err
}

// ForgetMemo drops what Memo keeps under key in the transaction ctx carries.
func ForgetMemo(ctx context.Context, key any) {
	if m, ok := ctx.Value(memoKey{}).(txMemo); ok {
		delete(m, key)
	}
}
