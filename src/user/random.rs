//! Random bytes for programs: getrandom(2) and the 16 AT_RANDOM bytes
//! every process starts with.
//!
//! The source is the CPU's own generator, RDRAND, where CPUID says the CPU
//! has one (QEMU's default CPU does not; `-cpu max` does). Without it the
//! kernel has only timing to go on: the time-stamp counter, which counts
//! cycles and differs at every call, and the timer's tick count. Either
//! way the words go through one generator, `Pool`, which is pure and
//! host-tested: every call stirs fresh input into its state, and every
//! output word is the state put through a 64-bit finaliser (the mixing
//! steps of SplitMix64: multiply by odd constants, fold the high bits
//! down), so neighbouring inputs give unrelated outputs.
//!
//! Good enough for what start-up code asks (glibc seeds malloc's tcache
//! key and its stack protector from it); without RDRAND, not
//! cryptographic: an observer who knows the TSC can guess.

/// The 64-bit golden ratio, added to the state at every step (Weyl
/// sequence): the state never repeats within 2^64 steps.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijection of u64 in which every input
/// bit affects every output bit.
pub fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    state: u64,
}

impl Pool {
    pub const fn new(seed: u64) -> Pool {
        Pool { state: seed }
    }

    /// Mixes `input` (a TSC reading, a hardware random word) into the state.
    pub fn stir(&mut self, input: u64) {
        self.state = finalize(self.state ^ input).wrapping_add(GOLDEN_GAMMA);
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        finalize(self.state)
    }

    /// Fills `out`, calling `fresh` for more input before every 8 bytes
    /// (RDRAND's word, or the TSC, or 0 when there is nothing new).
    pub fn fill(&mut self, out: &mut [u8], mut fresh: impl FnMut() -> u64) {
        for chunk in out.chunks_mut(8) {
            self.stir(fresh());
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::Pool;
    use crate::cpu::{self, CPUID_ECX_RDRAND};
    use crate::dev::{pit, rtc};
    use spin::Mutex;

    static POOL: Mutex<Option<Pool>> = Mutex::new(None);

    /// A fresh input word: RDRAND's (two of them) where the CPU has it,
    /// and always the TSC, which differs at every call.
    fn fresh(rdrand: bool) -> u64 {
        let mut word = cpu::rdtsc();
        if rdrand {
            let high = cpu::rdrand().map_or(0, u64::from) << 32;
            word ^= high | cpu::rdrand().map_or(0, u64::from);
        }
        word
    }

    /// Whether this CPU has RDRAND.
    pub fn has_rdrand() -> bool {
        cpu::cpuid_features().0 & CPUID_ECX_RDRAND != 0
    }

    /// Fills `out` with random bytes. Interrupts may be on or off.
    pub fn fill(out: &mut [u8]) {
        let rdrand = has_rdrand();
        cpu::without_interrupts(|| {
            let mut pool = POOL.lock();
            let pool = pool.get_or_insert_with(|| {
                // Seeded once, from everything that differs between boots.
                let mut p = Pool::new(rtc::boot_epoch_seconds());
                p.stir(pit::ticks());
                p
            });
            pool.fill(out, || fresh(rdrand));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finalize_is_splitmix64s() {
        // SplitMix64 seeded with 0: its first output is finalize(gamma).
        assert_eq!(finalize(GOLDEN_GAMMA), 0xE220_A839_7B1D_CDAF);
        assert_eq!(finalize(0), 0);
    }

    #[test]
    fn the_same_seed_and_input_give_the_same_bytes_different_ones_do_not() {
        let fill = |seed: u64, input: u64| {
            let mut out = [0u8; 20];
            Pool::new(seed).fill(&mut out, || input);
            out
        };
        assert_eq!(fill(1, 2), fill(1, 2));
        assert_ne!(fill(1, 2), fill(1, 3), "fresh input changes the output");
        assert_ne!(fill(1, 2), fill(2, 2), "so does the seed");
        let out = fill(1, 2);
        assert_ne!(out[..8], out[8..16], "successive words differ");
    }

    #[test]
    fn every_length_is_filled_and_a_constant_input_still_moves_on() {
        let mut pool = Pool::new(42);
        for len in [0, 1, 3, 8, 9, 255, 256] {
            let mut out = std::vec![0u8; len];
            pool.fill(&mut out, || 0);
            assert!(len < 8 || out.iter().any(|&b| b != 0), "length {len}");
        }
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        pool.fill(&mut a, || 0);
        pool.fill(&mut b, || 0);
        assert_ne!(a, b, "no input at all still gives new bytes");
    }

    #[test]
    fn about_half_the_bits_are_set() {
        let mut pool = Pool::new(7);
        let mut out = [0u8; 4096];
        let mut tsc = 1000u64;
        pool.fill(&mut out, || {
            tsc += 37; // a slowly counting TSC: the worst fresh input
            tsc
        });
        let ones: u32 = out.iter().map(|b| b.count_ones()).sum();
        let bits = 8 * out.len() as u32;
        assert!((bits * 48 / 100..bits * 52 / 100).contains(&ones), "{ones} of {bits}");
    }
}
