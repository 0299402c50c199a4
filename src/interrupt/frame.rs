//! The trap frame: what the stack holds when the common stub calls Rust.
//!
//! Built in four layers, from high addresses to low (the stack grows down):
//! the CPU pushes EFLAGS, CS, EIP (and, only when it switches from ring 3
//! to ring 0, the user SS and ESP first); the per-vector stub pushes an
//! error code (a dummy 0 where the CPU pushed none) and the vector number;
//! the common stub runs `pushad` and then saves DS and ES. The struct
//! lists the fields from the lowest address up, so its field order is the
//! reverse of the push order.
//!
//! src/interrupt/stubs.rs reads the offsets below through `const` operands, so the
//! assembly and this struct cannot drift apart; the table in its header
//! comment must still be updated by hand if a field moves.

use core::mem::{offset_of, size_of};

/// Register state of the interrupted code, as saved on the kernel stack.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct TrapFrame {
    // ---- pushed by the common stub (isr_common) ----
    /// ES of the interrupted code (zero-extended selector).
    pub es: u32, // +0
    /// DS of the interrupted code (zero-extended selector).
    pub ds: u32, // +4

    // ---- pushed by `pushad` in the common stub ----
    pub edi: u32, // +8
    pub esi: u32, // +12
    pub ebp: u32, // +16
    /// ESP as `pushad` saw it (pointing at `vector`); `popad` ignores it.
    pub esp_pushad: u32, // +20
    pub ebx: u32, // +24
    pub edx: u32, // +28
    pub ecx: u32, // +32
    pub eax: u32, // +36

    // ---- pushed by the per-vector stub ----
    /// Which gate was taken, 0..=255.
    pub vector: u32, // +40
    /// The CPU's error code, or 0 pushed by the stub (see `has_error_code`).
    pub error_code: u32, // +44

    // ---- pushed by the CPU on every interrupt ----
    pub eip: u32,    // +48
    pub cs: u32,     // +52 (selector in the low 16 bits)
    pub eflags: u32, // +56

    // ---- pushed by the CPU only when entering from ring 3 ----
    // On an entry from ring 0 these two words belong to whatever was on
    // the kernel stack before; read them through `user_stack()`.
    pub user_esp: u32, // +60
    pub user_ss: u32,  // +64
}

/// Byte offsets the assembly uses; compile-time checked below.
pub const OFFSET_ES: usize = 0;
pub const OFFSET_DS: usize = 4;
pub const OFFSET_VECTOR: usize = 40;
pub const OFFSET_CS: usize = 52;
/// Bytes the stubs push below the CPU's part: DS/ES, pushad, vector, error.
pub const STUB_PUSHED_BYTES: usize = 48;

const _: () = assert!(size_of::<TrapFrame>() == 68);
const _: () = assert!(offset_of!(TrapFrame, es) == OFFSET_ES);
const _: () = assert!(offset_of!(TrapFrame, ds) == OFFSET_DS);
const _: () = assert!(offset_of!(TrapFrame, edi) == 8);
const _: () = assert!(offset_of!(TrapFrame, eax) == 36);
const _: () = assert!(offset_of!(TrapFrame, vector) == OFFSET_VECTOR);
const _: () = assert!(offset_of!(TrapFrame, error_code) == 44);
const _: () = assert!(offset_of!(TrapFrame, eip) == STUB_PUSHED_BYTES);
const _: () = assert!(offset_of!(TrapFrame, cs) == OFFSET_CS);
const _: () = assert!(offset_of!(TrapFrame, user_esp) == 60);

impl TrapFrame {
    /// Which gate was taken. The stub pushed it as a 32-bit word; only the
    /// low byte can be set.
    pub fn vector(&self) -> u8 {
        self.vector as u8
    }

    /// The privilege level the interrupted code ran at (CS.RPL = CPL).
    pub fn ring(&self) -> u8 {
        (self.cs & 3) as u8
    }

    /// The interrupted ring-3 stack (SS, ESP), present only when the CPU
    /// switched stacks, that is, when the interrupt came from ring 3.
    pub fn user_stack(&self) -> Option<(u16, u32)> {
        (self.ring() == 3).then_some((self.user_ss as u16, self.user_esp))
    }

    /// ESP of the interrupted code. From ring 0 there was no stack switch:
    /// the CPU pushed EFLAGS, CS, EIP onto the interrupted stack, so that
    /// stack's ESP is just above them.
    pub fn interrupted_esp(&self) -> u32 {
        match self.user_stack() {
            Some((_, esp)) => esp,
            None => self.esp_pushad + 8 + 12,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_seventeen_words_in_push_order() {
        assert_eq!(size_of::<TrapFrame>(), 17 * 4);
        // The CPU's part starts right after what the stubs pushed.
        assert_eq!(offset_of!(TrapFrame, eip), STUB_PUSHED_BYTES);
        // pushad order: EAX first (highest address) ... EDI last (lowest).
        assert!(offset_of!(TrapFrame, eax) > offset_of!(TrapFrame, ecx));
        assert!(offset_of!(TrapFrame, ebx) > offset_of!(TrapFrame, esp_pushad));
        assert!(offset_of!(TrapFrame, esi) > offset_of!(TrapFrame, edi));
    }

    #[test]
    fn user_stack_only_from_ring3() {
        let mut f = TrapFrame { cs: 0x08, user_esp: 0xdead, user_ss: 0x23, ..Default::default() };
        assert_eq!(f.ring(), 0);
        assert_eq!(f.user_stack(), None);
        f.cs = 0x1b;
        assert_eq!(f.ring(), 3);
        assert_eq!(f.user_stack(), Some((0x23, 0xdead)));
        assert_eq!(f.interrupted_esp(), 0xdead);
    }

    #[test]
    fn kernel_esp_is_above_the_cpu_words() {
        // pushad saw ESP pointing at `vector`; vector + error code + EIP,
        // CS, EFLAGS lie between it and the interrupted stack pointer.
        let f = TrapFrame { cs: 0x08, esp_pushad: 0x1000, ..Default::default() };
        assert_eq!(f.interrupted_esp(), 0x1000 + 20);
    }
}
