package database

import (
	"context"
	"fmt"
	"math/bits"
	"reflect"

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
			chunk := reflect.New(s.Type())   // gorm fills in what it must through a pointer
			chunk.Elem().Set(s.Slice(start, start+n))
			if err := tx.Create(chunk.Interface()).Error; err != nil {
				return fmt.Errorf("writing %d rows to %s: %w", n, tableName(t), err)
			}
			start += n
		}
	}
	return nil
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
