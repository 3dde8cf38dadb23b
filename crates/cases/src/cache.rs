//! A small time-bounded cache for what nearly every request reads and rarely changes
//! (who holds a token; an organisation and its licences). Entries live a few seconds, so
//! a change made by another `serve` process is seen within that time; changes made
//! through this process invalidate at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time-to-live cache with a size cap (cleared when full: simple and bounded).
pub struct TtlCache<K, V> {
    ttl: Duration,
    cap: usize,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// A cache whose entries live `ttl`, holding at most `cap` entries.
    pub fn new(ttl: Duration, cap: usize) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            cap,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh entry, if any.
    pub fn get(&self, k: &K) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Remember a value.
    pub fn put(&self, k: K, v: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.cap {
                map.clear();
            }
            map.insert(k, (Instant::now(), v));
        }
    }

    /// Forget one entry.
    pub fn remove(&self, k: &K) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_cap_holds() {
        let c = TtlCache::new(Duration::from_millis(30), 2);
        c.put("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&"a"), None, "expired");
        c.put("a", 1);
        c.put("b", 2);
        c.put("c", 3);
        assert_eq!(
            (c.get(&"a"), c.get(&"c")),
            (None, Some(3)),
            "cleared when full"
        );
        c.remove(&"c");
        assert_eq!(c.get(&"c"), None);
    }
}
