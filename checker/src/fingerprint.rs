//! State fingerprints: 128-bit stable hashes (xxh3), the same on every run and machine, so
//! that with one thread every count and trace is reproducible and collisions are negligible.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

pub type Fingerprint = u128;

pub fn fingerprint<T: Hash + ?Sized>(x: &T) -> Fingerprint {
    let mut h = Xxh3Wide(twox_hash::XxHash3_128::with_seed(0));
    x.hash(&mut h);
    h.0.finish_128()
}

/// The 128-bit hash as a `Hasher` (whose own `finish` is only used by nothing here).
struct Xxh3Wide(twox_hash::XxHash3_128);

impl Hasher for Xxh3Wide {
    fn finish(&self) -> u64 {
        self.0.finish_128() as u64
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

/// Fingerprints are already uniformly distributed: a map keyed by them hashes by taking
/// their low bits.
#[derive(Default)]
pub struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

pub type FingerprintMap<V> = HashMap<Fingerprint, V, BuildHasherDefault<FingerprintHasher>>;
pub type FingerprintSet = HashSet<Fingerprint, BuildHasherDefault<FingerprintHasher>>;
