//! Prepared SQLite statements bound and stepped directly, for the one place where sqlx's
//! overhead is larger than SQLite's own work: writing millions of narrow rows in a spend
//! import. sqlx sends every statement to its worker thread and boxes every argument; a
//! prepared statement reset and re-bound per row is SQLite's fastest way to write, and it
//! tells, row by row, whether an `ON CONFLICT DO NOTHING` insert wrote anything.
//!
//! A [`Statement`] borrows the transaction's connection handle mutably, so sqlx cannot use
//! the connection while the statement exists, and it is finalised when dropped. All unsafe
//! code of the crate is in this module.

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use super::{Arg, DbError, DbResult};

/// The connection under a locked sqlx handle, which it borrows for its lifetime.
pub struct Connection<'h> {
    db: NonNull<ffi::sqlite3>,
    _handle: PhantomData<&'h mut ()>,
}

impl<'h> Connection<'h> {
    pub fn new(handle: &'h mut LockedSqliteHandle<'_>) -> Connection<'h> {
        Connection {
            db: handle.as_raw_handle(),
            _handle: PhantomData,
        }
    }

    pub fn prepare(&self, sql: &str) -> DbResult<Statement<'_>> {
        let db = self.db;
        let mut stmt = ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| DbError::Sqlx(sqlx::Error::Protocol("statement too long".into())))?;
        // SAFETY: `db` is the open connection the locked handle guards; `sql` is valid for
        // `len` bytes; SQLite writes a statement pointer (or NULL) into `stmt`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Statement {
                db,
                stmt,
                _conn: PhantomData,
            }),
            _ => Err(error(db, rc, "preparing a statement")),
        }
    }
}

pub struct Statement<'c> {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
    /// Ties the statement to its connection, which must outlive it.
    _conn: PhantomData<&'c ()>,
}

fn error(db: NonNull<ffi::sqlite3>, code: c_int, doing: &str) -> DbError {
    // SAFETY: `db` is an open connection; sqlite3_errmsg returns a NUL-terminated string
    // owned by SQLite, valid until the next call on this connection, and copied at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    DbError::Sqlx(sqlx::Error::Protocol(format!(
        "SQLite error {code} while {doing}: {message}"
    )))
}

impl Statement<'_> {
    fn check(&self, rc: c_int) -> DbResult<()> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error(self.db, rc, "binding a value"))
        }
    }

    /// Binds parameter `i` (from 1).
    pub fn bind_i64(&mut self, i: c_int, v: i64) -> DbResult<()> {
        // SAFETY: a live statement; an out-of-range index is reported as SQLITE_RANGE.
        self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt.as_ptr(), i, v) })
    }

    pub fn bind_opt_i64(&mut self, i: c_int, v: Option<i64>) -> DbResult<()> {
        match v {
            Some(v) => self.bind_i64(i, v),
            // SAFETY: as above.
            None => self.check(unsafe { ffi::sqlite3_bind_null(self.stmt.as_ptr(), i) }),
        }
    }

    /// Binds text, which SQLite copies (SQLITE_TRANSIENT), so `v` need not outlive the call.
    pub fn bind_text(&mut self, i: c_int, v: &str) -> DbResult<()> {
        let len = c_int::try_from(v.len())
            .map_err(|_| DbError::Sqlx(sqlx::Error::Protocol("text value too long".into())))?;
        // SAFETY: `v` is valid UTF-8 for `len` bytes during the call, and SQLITE_TRANSIENT
        // makes SQLite copy it before returning.
        self.check(unsafe {
            ffi::sqlite3_bind_text(
                self.stmt.as_ptr(),
                i,
                v.as_ptr().cast(),
                len,
                ffi::SQLITE_TRANSIENT(),
            )
        })
    }

    pub fn bind_opt_text(&mut self, i: c_int, v: Option<&str>) -> DbResult<()> {
        match v {
            Some(v) => self.bind_text(i, v),
            // SAFETY: as in `bind_i64`.
            None => self.check(unsafe { ffi::sqlite3_bind_null(self.stmt.as_ptr(), i) }),
        }
    }

    /// Binds an [`Arg`] as sqlx would store it: booleans as 0/1, dates as `YYYY-MM-DD`.
    pub fn bind_arg(&mut self, i: c_int, v: &Arg) -> DbResult<()> {
        let p = self.stmt.as_ptr();
        match v {
            Arg::Bool(Some(b)) => self.bind_i64(i, i64::from(*b)),
            Arg::I64(Some(n)) => self.bind_i64(i, *n),
            // SAFETY: a live statement; out-of-range indexes are reported as errors.
            Arg::F64(Some(x)) => self.check(unsafe { ffi::sqlite3_bind_double(p, i, *x) }),
            Arg::Text(Some(t)) => self.bind_text(i, t),
            Arg::Date(Some(d)) => self.bind_text(i, &d.format("%Y-%m-%d").to_string()),
            Arg::Bytes(Some(b)) => {
                let len = c_int::try_from(b.len())
                    .map_err(|_| DbError::Sqlx(sqlx::Error::Protocol("value too long".into())))?;
                // SAFETY: `b` is valid for `len` bytes during the call; SQLITE_TRANSIENT
                // makes SQLite copy it.
                self.check(unsafe {
                    ffi::sqlite3_bind_blob(p, i, b.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT())
                })
            }
            Arg::Bool(None)
            | Arg::I64(None)
            | Arg::F64(None)
            | Arg::Text(None)
            | Arg::Date(None)
            | Arg::Bytes(None) => {
                // SAFETY: as above.
                self.check(unsafe { ffi::sqlite3_bind_null(p, i) })
            }
        }
    }

    /// Runs a statement that returns no rows and makes it ready to be bound again; the number
    /// of rows it changed (0 for an insert that `ON CONFLICT DO NOTHING` skipped).
    pub fn execute(&mut self) -> DbResult<u64> {
        // SAFETY: a live statement on a live connection, stepped and reset on this thread.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        let changed = if rc == ffi::SQLITE_DONE {
            // SAFETY: as above.
            Ok(unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) } as u64)
        } else {
            Err(error(self.db, rc, "writing a row"))
        };
        // SAFETY: as above. Reset keeps the bindings, which the next row overwrites.
        unsafe { ffi::sqlite3_reset(self.stmt.as_ptr()) };
        changed
    }

    /// Runs a query and returns its first row's first column as an integer, if there is a row.
    pub fn query_i64(&mut self) -> DbResult<Option<i64>> {
        // SAFETY: as in `execute`; column 0 is read only while the statement is on a row.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        let out = match rc {
            ffi::SQLITE_ROW => Ok(Some(unsafe {
                ffi::sqlite3_column_int64(self.stmt.as_ptr(), 0)
            })),
            ffi::SQLITE_DONE => Ok(None),
            _ => Err(error(self.db, rc, "reading a row")),
        };
        // SAFETY: as in `execute`.
        unsafe { ffi::sqlite3_reset(self.stmt.as_ptr()) };
        out
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on this connection and is finalised once.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}
