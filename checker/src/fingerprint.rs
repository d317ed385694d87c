//! State fingerprints: 128-bit stable hashes (xxh3), the same on every run and machine, so
//! that with one thread every count and trace is reproducible and collisions are negligible.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

pub type Fingerprint = u128;

pub fn fingerprint<T: Hash + ?Sized>(x: &T) -> Fingerprint {
    let mut h = Xxh3Wide {
        xxh3: twox_hash::XxHash3_128::with_seed(0),
        buffer: [0; BUFFER],
        len: 0,
    };
    x.hash(&mut h);
    h.flush();
    h.xxh3.finish_128()
}

const BUFFER: usize = 1024;

/// The 128-bit hash as a `Hasher` (whose own `finish` is used by nothing here). `Hash` impls
/// write a few bytes at a time; they are gathered here and fed to xxh3 in large pieces, which
/// gives the same hash (xxh3's streaming form hashes the concatenation) several times faster.
struct Xxh3Wide {
    xxh3: twox_hash::XxHash3_128,
    buffer: [u8; BUFFER],
    len: usize,
}

impl Xxh3Wide {
    fn flush(&mut self) {
        self.xxh3.write(&self.buffer[..self.len]);
        self.len = 0;
    }
}

impl Hasher for Xxh3Wide {
    fn finish(&self) -> u64 {
        self.xxh3.finish_128() as u64
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > BUFFER {
            self.flush();
            if bytes.len() > BUFFER {
                self.xxh3.write(bytes);
                return;
            }
        }
        self.buffer[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffering_gives_xxh3_of_the_concatenation() {
        let pieces: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| vec![i as u8; (i % 37) as usize])
            .collect();
        let mut whole = twox_hash::XxHash3_128::with_seed(0);
        for p in &pieces {
            whole.write(p);
        }
        struct Pieces<'a>(&'a [Vec<u8>]);
        impl Hash for Pieces<'_> {
            fn hash<H: Hasher>(&self, h: &mut H) {
                for p in self.0 {
                    h.write(p);
                }
            }
        }
        assert_eq!(fingerprint(&Pieces(&pieces)), whole.finish_128());
        // One piece longer than the buffer, after a partly filled one.
        let long = vec![7u8; BUFFER * 3 + 5];
        let both = [vec![1u8; 10], long];
        let mut whole = twox_hash::XxHash3_128::with_seed(0);
        whole.write(&both[0]);
        whole.write(&both[1]);
        assert_eq!(fingerprint(&Pieces(&both)), whole.finish_128());
    }
}
