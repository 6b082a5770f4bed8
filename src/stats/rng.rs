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

    /// A fair coin for `(seed, key)`, the same for the same pair: a fresh generator from the
    /// seed and the key, stepped twice so nearby keys (consecutive rounds) decorrelate.
    pub fn coin(seed: u64, key: u64) -> bool {
        let mut rng = XorShift64::new(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next_u64();
        rng.next_u64() >> 63 == 0
    }

    /// A uniform draw in the open interval (0, 1), from the top 53 bits.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller): what the simulation tests of the verdicts use.
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A uniform index in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth noting).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::XorShift64;

    #[test]
    fn draws_are_uniform_and_normal_enough_for_simulations() {
        let mut rng = XorShift64::new(1);
        let n = 20_000;
        let u: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));
        let mean = u.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn coins_are_fair_over_consecutive_keys_and_reproducible() {
        for seed in [0, 7, 1 << 40] {
            let heads = (0..2000).filter(|&k| XorShift64::coin(seed, k)).count();
            assert!((900..1100).contains(&heads), "seed {seed}: {heads}");
            assert_eq!(XorShift64::coin(seed, 5), XorShift64::coin(seed, 5));
        }
    }
}
