//! Environments: persistent linked lists of values indexed by de Bruijn index (the loader
//! resolves every variable to its distance from the innermost binding). Closures and
//! suspended components share them; each node caches its hash and the depth of its values.

use crate::value::{stable_hasher, Value};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Default)]
pub struct Env(Option<Arc<Node>>);

pub struct Node {
    value: Value,
    next: Env,
    depth: u32,
    hash: OnceLock<u64>,
}

impl Env {
    pub fn empty() -> Env {
        Env(None)
    }

    pub fn push(&self, value: Value) -> Env {
        let depth = value.depth().max(self.depth());
        Env(Some(Arc::new(Node {
            value,
            next: self.clone(),
            depth,
            hash: OnceLock::new(),
        })))
    }

    /// The value bound `index` bindings out; the loader guarantees it exists.
    pub fn get(&self, index: u32) -> &Value {
        let mut node = self.0.as_ref().expect("resolved variable in scope");
        for _ in 0..index {
            node = node.next.0.as_ref().expect("resolved variable in scope");
        }
        &node.value
    }

    /// The deepest value bound here.
    pub fn depth(&self) -> u32 {
        self.0.as_ref().map_or(0, |n| n.depth)
    }

    fn node_hash(&self) -> u64 {
        match &self.0 {
            None => 0,
            Some(n) => *n.hash.get_or_init(|| {
                let mut h = stable_hasher();
                n.value.hash(&mut h);
                h.write_u64(n.next.node_hash());
                h.finish()
            }),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Value> {
        let mut cur = self.0.as_deref();
        std::iter::from_fn(move || {
            let n = cur?;
            cur = n.next.0.as_deref();
            Some(&n.value)
        })
    }
}

impl Drop for Env {
    /// Unlinks long chains iteratively so that dropping one never recurses per binding.
    fn drop(&mut self) {
        let mut next = self.0.take();
        while let Some(node) = next {
            match Arc::try_unwrap(node) {
                Ok(mut n) => next = n.next.0.take(),
                Err(_) => break,
            }
        }
    }
}

impl PartialEq for Env {
    fn eq(&self, other: &Env) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => true,
            _ => self.node_hash() == other.node_hash() && self.cmp(other) == Ordering::Equal,
        }
    }
}

impl Eq for Env {}

impl PartialOrd for Env {
    fn partial_cmp(&self, other: &Env) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Env {
    fn cmp(&self, other: &Env) -> Ordering {
        self.iter().cmp(other.iter())
    }
}

impl Hash for Env {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.node_hash());
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
