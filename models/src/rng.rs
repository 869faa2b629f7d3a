//! The one seeded generator of the workspace: SplitMix64 (G. L. Steele, D. Lea and C. H. Flood,
//! "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014), a 64-bit counter passed
//! through a mixing function. Pure arithmetic, so it belongs here beside the models: a
//! configuration built from a seed (Chang-Roberts's `random:SEED` ids) is the same in the
//! checker and in the runtime, and the drivers (the simulator, the nemesis, the UDP node) and
//! the checker's random walks draw from it too.
//!
//! Small, fast and statistically good enough to shuffle ids, pick successors and schedule
//! faults; not for cryptography.

/// A SplitMix64 generator; its whole output is determined by its seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The counter's increment: 2^64 divided by the golden ratio, odd.
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`, exactly: Lemire's multiply-shift with rejection ("Fast Random Integer
    /// Generation in an Interval", ACM TOMACS 2019). The high word of `x * n` is the value; a
    /// draw whose low word falls below `2^64 mod n` is rejected and redrawn, which removes the
    /// bias. A rejection has probability below `n / 2^64`, so for small `n` the value is the
    /// plain multiply-shift of one draw. Needs `n > 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no value to return");
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            // 2^64 mod n, computed in 64 bits as (2^64 - n) mod n.
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in `0..len`, for indexing a slice of length `len > 0`.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `lo..=hi`; `lo` when `hi <= lo`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        match hi.checked_sub(lo) {
            None | Some(0) => lo,
            Some(u64::MAX) => self.next_u64(),
            Some(span) => lo + self.below(span + 1),
        }
    }

    /// True with chance `p / 1000`. Draws nothing when `p == 0`, so a fault left off does not
    /// shift the random stream of the rest of the run.
    pub fn per_mille(&mut self, p: u32) -> bool {
        p > 0 && self.below(1000) < u64::from(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_u64_matches_the_reference_sequence() {
        // First outputs of the reference C implementation seeded with 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn below_is_the_multiply_shift_of_one_draw_unless_it_rejects() {
        let mut rng = SplitMix64::new(7);
        for n in 1..=1000u64 {
            let mut raw = rng.clone();
            let x = raw.next_u64();
            let m = u128::from(x) * u128::from(n);
            let value = rng.below(n);
            if (m as u64) >= n.wrapping_neg() % n {
                assert_eq!(value, (m >> 64) as u64, "n = {n}");
                assert_eq!(rng, raw, "one draw for n = {n}");
            }
        }
    }

    #[test]
    fn below_rejects_the_biased_draws_of_a_huge_range() {
        // For n = 2^63 + 1, 2^64 mod n = 2^63 - 1: about half the draws are rejected, and
        // without rejection the value 0 would come out twice as often as any other.
        let n = (1u64 << 63) + 1;
        let mut rng = SplitMix64::new(3);
        let mut rejections = 0;
        for _ in 0..1000 {
            let before = rng.clone();
            let value = rng.below(n);
            assert!(value < n);
            let mut raw = before;
            raw.next_u64();
            rejections += usize::from(rng != raw);
        }
        assert!((300..700).contains(&rejections), "{rejections} of 1000");
    }

    #[test]
    fn below_of_a_small_range_is_uniform_enough() {
        let mut rng = SplitMix64::new(11);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.index(6)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn between_stays_in_bounds_and_hits_both_ends() {
        let mut rng = SplitMix64::new(42);
        let draws: Vec<u64> = (0..1000).map(|_| rng.between(3, 7)).collect();
        assert!(draws.iter().all(|d| (3..=7).contains(d)));
        assert!(draws.contains(&3) && draws.contains(&7));
        assert_eq!(rng.between(5, 5), 5);
        assert_eq!(rng.between(9, 2), 9);
    }

    #[test]
    fn per_mille_extremes_are_never_and_always() {
        let mut rng = SplitMix64::new(1);
        let before = rng.clone();
        assert!(!rng.per_mille(0));
        assert_eq!(rng, before, "a zero chance draws nothing");
        assert!((0..100).all(|_| rng.per_mille(1000)));
    }
}
