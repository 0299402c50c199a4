//! The x87 FPU and SSE registers: switched on for programs, and kept per
//! process.
//!
//! Intel SDM Vol. 1, section 10.5 (FXSAVE area) and Vol. 3A, sections 2.5
//! (CR0, CR4) and 13.1 (initialising the FPU and SSE). The kernel itself is
//! built soft-float and never touches these registers, but a C library
//! does: glibc's i386 string functions use SSE2 where CPUID offers it, and
//! `printf("%f")` uses the x87. So at boot `init` sets CR4.OSFXSR (SSE
//! instructions work, and FXSAVE includes the XMM registers; without it
//! every SSE instruction is #UD), CR4.OSXMMEXCPT (a SIMD exception is #XM,
//! not #UD), CR0.MP and CR0.NE (x87 errors as #MF, the native way), and
//! clears CR0.EM and CR0.TS (no emulation, no trap on first use).
//!
//! Each process has a 512-byte FXSAVE area (`FpuState`); the scheduler
//! saves the running process's registers into its area and loads the
//! next one's on every switch (eagerly: a few hundred cycles, simpler and
//! safer than trapping the first use after a switch). A new process
//! starts from `FpuState::INITIAL`, the state FNINIT leaves, with SSE's
//! MXCSR at its reset value. The layout is pure data, host-tested.

use core::mem::{align_of, size_of};

/// FXSAVE's area: 512 bytes, 16-byte aligned (FXSAVE faults otherwise).
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct FpuState(pub [u8; FXSAVE_BYTES]);

pub const FXSAVE_BYTES: usize = 512;

const _: () = assert!(size_of::<FpuState>() == FXSAVE_BYTES && align_of::<FpuState>() == 16);

/// Offsets in the FXSAVE area (SDM Vol. 1, table 10-2).
const FCW_OFFSET: usize = 0;
const MXCSR_OFFSET: usize = 24;
/// The x87 control word after FNINIT: every exception masked, 64-bit
/// precision, round to nearest.
pub const FCW_INIT: u16 = 0x037F;
/// MXCSR at reset: every SIMD exception masked, round to nearest.
pub const MXCSR_INIT: u32 = 0x1F80;

impl FpuState {
    /// What a new process starts with: FNINIT's state (the abridged tag
    /// word 0: every register empty) and MXCSR's reset value.
    pub const INITIAL: FpuState = {
        let mut bytes = [0u8; FXSAVE_BYTES];
        let fcw = FCW_INIT.to_le_bytes();
        bytes[FCW_OFFSET] = fcw[0];
        bytes[FCW_OFFSET + 1] = fcw[1];
        let mxcsr = MXCSR_INIT.to_le_bytes();
        let mut i = 0;
        while i < 4 {
            bytes[MXCSR_OFFSET + i] = mxcsr[i];
            i += 1;
        }
        FpuState(bytes)
    };

    /// The x87 control word saved in this area.
    pub fn control_word(&self) -> u16 {
        u16::from_le_bytes([self.0[FCW_OFFSET], self.0[FCW_OFFSET + 1]])
    }

    /// MXCSR saved in this area.
    pub fn mxcsr(&self) -> u32 {
        let b = &self.0[MXCSR_OFFSET..MXCSR_OFFSET + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

#[cfg(target_arch = "x86")]
pub use self::hw::*;

#[cfg(target_arch = "x86")]
mod hw {
    use super::FpuState;
    use crate::cpu::{cpuid_features, CPUID_EDX_FXSR, CPUID_EDX_SSE};
    use core::arch::asm;
    use core::sync::atomic::{AtomicBool, Ordering};
    use x86::controlregs::{cr0, cr0_write, cr4, cr4_write, Cr0, Cr4};

    /// FXSAVE and FXRSTOR exist, and `init` switched them on.
    static FXSR: AtomicBool = AtomicBool::new(false);

    /// What `init` found and enabled.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Support {
        /// x87 and SSE for programs, saved per process with FXSAVE.
        X87AndSse,
        /// x87 only (a CPU with FXSAVE but no SSE).
        X87,
        /// No FXSAVE: the FPU stays off (CR0.EM), a program using it
        /// gets #NM and is killed; nothing is saved at a switch.
        None,
    }

    /// Switches the FPU and SSE on for programs (see the module comment).
    /// Boot path, before any process exists.
    pub fn init() -> Support {
        let (_, edx) = cpuid_features();
        if edx & CPUID_EDX_FXSR == 0 {
            return Support::None;
        }
        // SAFETY: boot path, ring 0. The kernel does not use the FPU or
        // SSE itself (soft-float target), so changing how they trap
        // affects only programs, none of which runs yet.
        unsafe {
            let mut c0 = cr0();
            c0.remove(Cr0::CR0_EMULATE_COPROCESSOR | Cr0::CR0_TASK_SWITCHED);
            c0.insert(Cr0::CR0_MONITOR_COPROCESSOR | Cr0::CR0_NUMERIC_ERROR);
            cr0_write(c0);
            let mut c4 = cr4();
            c4.insert(Cr4::CR4_ENABLE_SSE);
            if edx & CPUID_EDX_SSE != 0 {
                c4.insert(Cr4::CR4_UNMASKED_SSE);
            }
            cr4_write(c4);
            asm!("fninit", options(nomem, nostack));
        }
        FXSR.store(true, Ordering::Relaxed);
        if edx & CPUID_EDX_SSE != 0 {
            Support::X87AndSse
        } else {
            Support::X87
        }
    }

    /// Saves the FPU and SSE registers into `state` (FXSAVE).
    pub fn save(state: &mut FpuState) {
        if FXSR.load(Ordering::Relaxed) {
            // SAFETY: `state` is 512 writable bytes, 16-byte aligned (the
            // type says so), and `init` enabled FXSAVE.
            unsafe { asm!("fxsave [{}]", in(reg) state.0.as_mut_ptr(), options(nostack)) };
        }
    }

    /// Loads the FPU and SSE registers from `state` (FXRSTOR).
    pub fn restore(state: &FpuState) {
        if FXSR.load(Ordering::Relaxed) {
            // SAFETY: as for `save`; `state` was written by FXSAVE or is
            // FpuState::INITIAL, whose MXCSR has no reserved bit set (which
            // would #GP).
            unsafe { asm!("fxrstor [{}]", in(reg) state.0.as_ptr(), options(nostack, readonly)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_process_starts_as_fninit_leaves_the_fpu() {
        let s = FpuState::INITIAL;
        assert_eq!(s.control_word(), 0x037F);
        assert_eq!(s.mxcsr(), 0x1F80);
        // Status word, abridged tag word (all empty) and the registers: 0.
        assert!(s.0[2..24].iter().all(|&b| b == 0));
        assert!(s.0[28..].iter().all(|&b| b == 0));
    }
}
