//! Keyset paging of every list (issue 11 item 10): a list is read at most `limit` rows at
//! a time, ordered by a unique key, and continues after the last row's key (the cursor),
//! so a page is one index range whatever the table's size and no row is skipped or read
//! twice when rows are added between pages.
//!
//! A cursor is opaque to clients: the hex of a JSON array naming the list and the key of
//! the last row it gave. A cursor of another list, or one that does not decode, is
//! refused ([`StoreError::BadCursor`]) rather than read as "from the start".

use crate::{col, db, StoreError};
use sqlx::any::AnyRow;
use sqlx::AnyPool;

/// The most rows one page may hold.
pub const MAX_PAGE: usize = 1000;
/// Rows per page when the client does not say.
pub const DEFAULT_PAGE: usize = 100;

/// Which part of a list to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    limit: usize,
    after: Option<Vec<String>>,
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest {
            limit: DEFAULT_PAGE,
            after: None,
        }
    }
}

impl PageRequest {
    /// The first `limit` rows (1..=[`MAX_PAGE`]), or those after `cursor`.
    pub fn new(limit: Option<usize>, cursor: Option<&str>) -> Result<PageRequest, StoreError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(StoreError::BadCursor(format!(
                "limit must be between 1 and {MAX_PAGE}, not {limit}"
            )));
        }
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(decode(c).ok_or_else(|| {
                StoreError::BadCursor("cursor is not one this server gave".into())
            })?),
        };
        Ok(PageRequest { limit, after })
    }

    /// Rows per page.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

fn decode(cursor: &str) -> Option<Vec<String>> {
    if cursor.len() > 2048 {
        return None;
    }
    let bytes = hex::decode(cursor).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One page of a list and the cursor of the next, if there is more.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item changed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// How a list is ordered: its name (in cursors) and its key columns, each descending or
/// not. Invariant: the columns together are unique, and all are TEXT.
pub(crate) struct Order {
    pub list: &'static str,
    pub key: &'static [(&'static str, bool)],
}

impl Order {
    /// `ORDER BY` of this list.
    pub fn order_by(&self) -> String {
        let cols: Vec<String> = self
            .key
            .iter()
            .map(|(c, desc)| format!("{c}{}", if *desc { " DESC" } else { "" }))
            .collect();
        format!("ORDER BY {}", cols.join(", "))
    }

    /// The condition "after the cursor" (`1 = 1` on the first page), with `$first…`
    /// placeholders, and the values to bind to them in order.
    pub fn after(
        &self,
        page: &PageRequest,
        first: usize,
    ) -> Result<(String, Vec<String>), StoreError> {
        let Some(after) = &page.after else {
            return Ok(("1 = 1".into(), Vec::new()));
        };
        if after.len() != self.key.len() + 1 || after[0] != self.list {
            return Err(StoreError::BadCursor(format!(
                "cursor is not one of the {} list",
                self.list
            )));
        }
        // (a > $1) OR (a = $1 AND ((b > $2) OR (b = $2 AND c > $3))), built from the end.
        let mut cond = String::new();
        for (i, (c, desc)) in self.key.iter().enumerate().rev() {
            let op = if *desc { "<" } else { ">" };
            let p = first + i;
            cond = if cond.is_empty() {
                format!("{c} {op} ${p}")
            } else {
                format!("({c} {op} ${p} OR ({c} = ${p} AND {cond}))")
            };
        }
        Ok((format!("({cond})"), after[1..].to_vec()))
    }

    /// The page from rows read with `LIMIT limit + 1`: the extra row only says there is more.
    pub fn page<T>(
        &self,
        rows: &[AnyRow],
        page: &PageRequest,
        mut item: impl FnMut(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let n = rows.len().min(page.limit);
        let items = rows[..n].iter().map(&mut item).collect::<Result<_, _>>()?;
        let next = match (rows.len() > page.limit, n.checked_sub(1)) {
            (true, Some(last)) => {
                let mut key = vec![self.list.to_string()];
                for (c, _) in self.key {
                    key.push(col::<String>(&rows[last], c, "reading a list")?);
                }
                let json = serde_json::to_vec(&key).map_err(|e| StoreError::Corrupt {
                    what: "a cursor",
                    detail: e.to_string(),
                })?;
                Some(hex::encode(json))
            }
            _ => None,
        };
        Ok(Page { items, next })
    }
}

/// A value bound to a list's filter.
pub(crate) enum Arg<'a> {
    /// A text value (`''` is how the filters say "any").
    Text(&'a str),
    /// A number or flag.
    Int(i64),
}

impl Order {
    /// One page of `SELECT … FROM …` (`select`) under `filter`, a condition whose
    /// placeholders `$1…` are `args` in order; the cursor's placeholders follow them.
    #[allow(clippy::too_many_arguments)] // each is one part of the query; a struct would only rename them
    pub async fn fetch<T>(
        &self,
        pool: &AnyPool,
        select: &str,
        filter: &str,
        args: &[Arg<'_>],
        page: &PageRequest,
        what: &'static str,
        item: impl FnMut(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let (after, binds) = self.after(page, args.len() + 1)?;
        let sql = format!(
            "{select} WHERE ({filter}) AND {after} {} LIMIT {}",
            self.order_by(),
            page.limit() + 1
        );
        let mut q = sqlx::query(&sql);
        for a in args {
            q = match a {
                Arg::Text(t) => q.bind(t.to_string()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(pool).await.map_err(db(what))?;
        self.page(&rows, page, item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: Order = Order {
        list: "things",
        key: &[("a", true), ("b", false)],
    };

    #[test]
    fn conditions_follow_the_order() {
        let first = PageRequest::new(Some(5), None).unwrap();
        assert_eq!(O.after(&first, 3).unwrap(), ("1 = 1".into(), vec![]));
        let c = hex::encode(serde_json::to_vec(&["things", "x", "y"]).unwrap());
        let next = PageRequest::new(None, Some(&c)).unwrap();
        let (sql, binds) = O.after(&next, 3).unwrap();
        assert_eq!(sql, "((a < $3 OR (a = $3 AND b > $4)))");
        assert_eq!(binds, vec!["x", "y"]);
        assert_eq!(O.order_by(), "ORDER BY a DESC, b");
    }

    #[test]
    fn foreign_or_broken_cursors_are_refused() {
        let other = hex::encode(serde_json::to_vec(&["others", "x", "y"]).unwrap());
        let p = PageRequest::new(None, Some(&other)).unwrap();
        assert!(matches!(O.after(&p, 1), Err(StoreError::BadCursor(_))));
        assert!(PageRequest::new(None, Some("zz")).is_err());
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(MAX_PAGE + 1), None).is_err());
    }
}
