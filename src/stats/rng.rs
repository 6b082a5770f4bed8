//! The one random generator of the statistics: small, seeded, reproducible.

use super::BOOTSTRAP_SEED;

/// A small deterministic PRNG (Marsaglia's xorshift64*): statistics need reproducibility, not
/// cryptographic quality.
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> XorShift64 {
        // Zero is the one state xorshift never leaves.
        XorShift64(if seed == 0 { BOOTSTRAP_SEED } else { seed })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform index in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth noting).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}
