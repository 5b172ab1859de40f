// Package database opens the store statusgate runs on (an embedded SQLite file or
// PostgreSQL), applies the versioned migrations, and carries a transaction through a
// context so that one status change and everything that follows from it commit
// together, even when several domain packages take part.
//
// Domain packages ask for a connection with DB.Conn(ctx); inside DB.InTx they get the
// transaction, outside it the pool. *gorm.DB never crosses a package boundary in a
// signature other than Conn's.
package database
