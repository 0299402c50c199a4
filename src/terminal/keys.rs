//! From scancode bytes to keys, and from keys to the text echoed for them.
//!
//! Pure logic, host-tested: the `pc-keyboard` crate decodes scancode set 1
//! (what the i8042 hands the CPU with translation on) in the US layout,
//! tracking Shift, Caps Lock and Ctrl and the 0xE0 / 0xE1 prefixes of
//! extended keys; this module turns its output into one small `Key` that
//! fits a ring buffer slot, and a `Key` into its echo or its bytes.

use core::fmt;
use pc_keyboard::{
    layouts::Us104Key, DecodedKey, HandleControl, KeyCode, PS2Keyboard, ScancodeSet1,
};

/// One decoded key press, as queued between the IRQ and its consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A key that produces a character (after Shift / Caps / Ctrl).
    Char(char),
    /// A key without a character: arrows, F-keys, Home, ...
    Named(KeyCode),
    /// A byte that is no scancode of set 1 (reported, then ignored), with
    /// the 0xE0 / 0xE1 prefix that came before it, if any.
    Unknown { prefix: Option<u8>, code: u8 },
}

/// The scancode decoder: a state machine fed one byte per IRQ 1.
pub struct Decoder {
    keyboard: PS2Keyboard<Us104Key, ScancodeSet1>,
    /// The prefix byte of the sequence in progress, for error reports.
    prefix: Option<u8>,
}

impl Decoder {
    pub const fn new() -> Decoder {
        Decoder {
            keyboard: PS2Keyboard::new(
                ScancodeSet1::new(),
                Us104Key,
                HandleControl::MapLettersToUnicode,
            ),
            prefix: None,
        }
    }

    /// Feeds one byte from port 0x60. Returns a key when the byte completes
    /// a key press; prefixes, releases and modifier keys return None.
    pub fn feed(&mut self, byte: u8) -> Option<Key> {
        let prefix = self.prefix.take();
        match self.keyboard.add_byte(byte) {
            Ok(Some(event)) => match self.keyboard.process_keyevent(event)? {
                DecodedKey::Unicode(c) => Some(Key::Char(c)),
                DecodedKey::RawKey(code) if is_modifier(code) => None,
                DecodedKey::RawKey(code) => Some(Key::Named(code)),
            },
            Ok(None) => {
                if matches!(byte, set1::EXTENDED | set1::EXTENDED2) {
                    self.prefix = Some(byte);
                }
                None
            }
            Err(_) => Some(Key::Unknown { prefix, code: byte }),
        }
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Keys that only change how other keys decode: never echoed.
fn is_modifier(code: KeyCode) -> bool {
    use KeyCode::*;
    matches!(
        code,
        LShift
            | RShift
            | LControl
            | RControl
            | RControl2
            | LAlt
            | RAltGr
            | RAlt2
            | CapsLock
            | NumpadLock
            | ScrollLock
            | LWin
            | RWin
    )
}

/// The text echoed for a key: printable characters as themselves, Enter as
/// a newline, everything else as a readable name in angle brackets
/// (`<Up>`, `<Backspace>`, `<Ctrl-C>`), so `com1.out` shows exactly what
/// was pressed.
pub struct Echo(pub Key);

impl fmt::Display for Echo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Key::Char('\n') => f.write_str("\n"),
            Key::Char('\t') => f.write_str("\t"),
            Key::Char('\u{8}') => f.write_str("<Backspace>"),
            Key::Char('\u{1b}') => f.write_str("<Esc>"),
            Key::Char('\u{7f}') => f.write_str("<Delete>"),
            // Ctrl+A..Ctrl+Z decode to the control characters 1..26.
            Key::Char(c @ '\u{1}'..='\u{1a}') => {
                write!(f, "<Ctrl-{}>", (b'A' + c as u8 - 1) as char)
            }
            Key::Char(c) if c.is_control() => write!(f, "<U+{:04X}>", c as u32),
            Key::Char(c) => write!(f, "{c}"),
            Key::Named(code) => match short_name(code) {
                Some(name) => write!(f, "<{name}>"),
                None => write!(f, "<{code:?}>"),
            },
            Key::Unknown { prefix: None, code } => write!(f, "<unknown scancode {code:#04x}>"),
            Key::Unknown { prefix: Some(prefix), code } => {
                write!(f, "<unknown scancode {prefix:#04x} {code:#04x}>")
            }
        }
    }
}

/// The echo of a key that is its own text (a printable character, Enter,
/// Tab) as UTF-8 bytes, or None for a key echoed by name (`Echo`).
/// The idle loop's fast path: sending these bytes is all `Echo` would do
/// for such a key, without going through `core::fmt` (whose formatter,
/// `Display` for `char` and `write_str` are indirect calls, each costly
/// under an emulator).
pub fn plain_echo(key: Key) -> Option<([u8; 4], usize)> {
    match key {
        Key::Char(c) if c == '\n' || c == '\t' || !c.is_control() => {
            let mut out = [0u8; 4];
            let len = c.encode_utf8(&mut out).len();
            Some((out, len))
        }
        _ => None,
    }
}

/// The longest byte sequence a key gives a reading program.
pub const MAX_KEY_BYTES: usize = 5;

/// The bytes a program reading the terminal gets for a key: a character's
/// UTF-8 (Enter as `\n`, Backspace as 0x08, Ctrl+letter as its control
/// byte), and for the keys without a character the escape sequences an
/// xterm sends for them, so that a program sees the same bytes whether the
/// key was pressed on the PS/2 keyboard or in the terminal on COM1:
/// arrows `ESC [ A`..`D`, Home `ESC [ H`, End `ESC [ F`, Insert, Delete,
/// Page Up and Down `ESC [ 2 ~`, `3 ~`, `5 ~`, `6 ~`, F1-F4 `ESC O P`..`S`,
/// F5-F10 `ESC [ 15 ~`..`21 ~`. Other keys (modifiers, keypad lock,
/// unknown scancodes) give no bytes. (F11 and F12 never get here: they
/// are the kernel's, src/terminal/keyboard.rs.)
pub fn bytes(key: Key) -> ([u8; MAX_KEY_BYTES], usize) {
    let sequence = |text: &[u8]| {
        let mut out = [0u8; MAX_KEY_BYTES];
        out[..text.len()].copy_from_slice(text);
        (out, text.len())
    };
    use KeyCode::*;
    match key {
        // pc-keyboard decodes the Delete key as the character DEL (0x7F),
        // which a serial terminal sends for Backspace: give it Delete's
        // sequence, so that it does not erase.
        Key::Char('\u{7f}') => sequence(b"\x1b[3~"),
        Key::Char(c) => {
            let mut out = [0u8; MAX_KEY_BYTES];
            let len = c.encode_utf8(&mut out).len();
            (out, len)
        }
        Key::Named(code) => sequence(match code {
            ArrowUp => b"\x1b[A",
            ArrowDown => b"\x1b[B",
            ArrowRight => b"\x1b[C",
            ArrowLeft => b"\x1b[D",
            Home => b"\x1b[H",
            End => b"\x1b[F",
            Insert => b"\x1b[2~",
            Delete => b"\x1b[3~",
            PageUp => b"\x1b[5~",
            PageDown => b"\x1b[6~",
            F1 => b"\x1bOP",
            F2 => b"\x1bOQ",
            F3 => b"\x1bOR",
            F4 => b"\x1bOS",
            F5 => b"\x1b[15~",
            F6 => b"\x1b[17~",
            F7 => b"\x1b[18~",
            F8 => b"\x1b[19~",
            F9 => b"\x1b[20~",
            F10 => b"\x1b[21~",
            _ => b"",
        }),
        Key::Unknown { .. } => sequence(b""),
    }
}

/// Short names where the `pc-keyboard` variant name is not what the key
/// says on it; every other key is echoed by its variant name (`<F1>`,
/// `<Home>`, `<PageUp>`).
fn short_name(code: KeyCode) -> Option<&'static str> {
    Some(match code {
        KeyCode::ArrowUp => "Up",
        KeyCode::ArrowDown => "Down",
        KeyCode::ArrowLeft => "Left",
        KeyCode::ArrowRight => "Right",
        KeyCode::PauseBreak => "Pause",
        KeyCode::Apps => "Menu",
        _ => return None,
    })
}

/// Set-1 scancodes of the keys the tests type (make codes; the break code
/// is the make code | 0x80; extended keys are preceded by 0xE0).
pub mod set1 {
    pub const RELEASE: u8 = 0x80;
    pub const EXTENDED: u8 = 0xE0;
    /// Prefix of the Pause key's sequence.
    pub const EXTENDED2: u8 = 0xE1;
    pub const LSHIFT: u8 = 0x2A;
    pub const A: u8 = 0x1E;
    pub const B: u8 = 0x30;
    pub const ENTER: u8 = 0x1C;
    /// With the 0xE0 prefix: the Up arrow (without: keypad 8).
    pub const UP: u8 = 0x48;

    /// Make code of a letter a-z (set 1 follows the keyboard rows).
    pub fn letter(c: u8) -> Option<u8> {
        const ROWS: [(&[u8], u8); 3] =
            [(b"qwertyuiop", 0x10), (b"asdfghjkl", 0x1E), (b"zxcvbnm", 0x2C)];
        ROWS.iter()
            .find_map(|(row, first)| row.iter().position(|&k| k == c).map(|i| first + i as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::set1::*;
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn decode(bytes: &[u8]) -> Vec<Key> {
        let mut d = Decoder::new();
        bytes.iter().filter_map(|&b| d.feed(b)).collect()
    }

    fn echo(bytes: &[u8]) -> String {
        decode(bytes).into_iter().map(|k| Echo(k).to_string()).collect()
    }

    #[test]
    fn letters_and_release() {
        assert_eq!(decode(&[A, A | RELEASE, B, B | RELEASE]), [Key::Char('a'), Key::Char('b')]);
    }

    #[test]
    fn shift_makes_capitals_until_released() {
        let bytes = [LSHIFT, A, A | RELEASE, LSHIFT | RELEASE, B, B | RELEASE];
        assert_eq!(echo(&bytes), "Ab");
    }

    #[test]
    fn extended_up_arrow_is_named() {
        assert_eq!(echo(&[EXTENDED, UP, EXTENDED, UP | RELEASE]), "<Up>");
        // Without the prefix, 0x48 is keypad 8.
        assert_eq!(echo(&[UP, UP | RELEASE]), "8");
    }

    #[test]
    fn caps_lock_and_ctrl() {
        assert_eq!(echo(&[0x3A, 0x3A | RELEASE, A, A | RELEASE]), "A");
        assert_eq!(echo(&[0x1D, 0x2E, 0x2E | RELEASE, 0x1D | RELEASE]), "<Ctrl-C>");
    }

    #[test]
    fn enter_backspace_escape() {
        assert_eq!(echo(&[ENTER, 0x0E, 0x01]), "\n<Backspace><Esc>");
    }

    #[test]
    fn unknown_bytes_are_reported_and_decoding_goes_on() {
        let keys = decode(&[0x59, A]);
        assert_eq!(keys, [Key::Unknown { prefix: None, code: 0x59 }, Key::Char('a')]);
        assert_eq!(echo(&[0x59]), "<unknown scancode 0x59>");
    }

    #[test]
    fn stray_prefixes_are_reported_never_turned_into_characters() {
        // 0xE0 0x1E names no key (there is no extended A).
        assert_eq!(echo(&[EXTENDED, A, B]), "<unknown scancode 0xe0 0x1e>b");
        // A doubled prefix: the second one is the unknown byte.
        assert_eq!(echo(&[EXTENDED, EXTENDED, A]), "<unknown scancode 0xe0 0xe0>a");
        // A broken Pause sequence swallows nothing after the report.
        assert_eq!(echo(&[EXTENDED2, A, A | RELEASE, B]), "<unknown scancode 0xe1 0x1e>b");
        assert_eq!(echo(&[EXTENDED2, EXTENDED2, B]), "<unknown scancode 0xe1 0xe1>b");
    }

    #[test]
    fn release_of_a_key_never_pressed_is_silent() {
        assert_eq!(decode(&[B | RELEASE, LSHIFT | RELEASE, B]), [Key::Char('b')]);
    }

    #[test]
    fn pause_sequence_is_one_named_key() {
        let keys = decode(&[0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, A]);
        assert_eq!(keys, [Key::Named(KeyCode::PauseBreak), Key::Char('a')]);
    }

    #[test]
    fn bytes_for_reading_programs() {
        let b = |k| {
            let (buf, n) = bytes(k);
            buf[..n].to_vec()
        };
        assert_eq!(b(Key::Char('a')), b"a");
        assert_eq!(b(Key::Char('\n')), b"\n");
        assert_eq!(b(Key::Char('\u{e9}')), "\u{e9}".as_bytes());
        assert_eq!(b(Key::Named(KeyCode::ArrowUp)), b"\x1b[A");
        assert_eq!(b(Key::Named(KeyCode::F1)), b"\x1bOP");
        assert_eq!(b(Key::Named(KeyCode::F5)), b"\x1b[15~");
        assert_eq!(b(Key::Char('\u{7f}')), b"\x1b[3~");
        assert_eq!(b(Key::Char('\u{8}')), b"\x08");
        assert_eq!(b(Key::Named(KeyCode::NumpadLock)), b"");
        assert_eq!(b(Key::Unknown { prefix: None, code: 0x59 }), b"");
    }

    #[test]
    fn plain_echo_is_exactly_what_echo_prints() {
        let mut keys: Vec<Key> = (0..0x3000u32).filter_map(char::from_u32).map(Key::Char).collect();
        keys.extend([
            Key::Char('\u{1F600}'),
            Key::Named(KeyCode::ArrowUp),
            Key::Named(KeyCode::F1),
        ]);
        keys.push(Key::Unknown { prefix: Some(EXTENDED), code: 0x59 });
        let mut plain = 0;
        for key in keys {
            let shown = Echo(key).to_string();
            match plain_echo(key) {
                Some((buf, n)) => {
                    assert_eq!(&buf[..n], shown.as_bytes(), "{key:?}");
                    plain += 1;
                }
                // Everything else is echoed as a name in angle brackets.
                None => {
                    assert!(shown.starts_with('<') && shown.ends_with('>'), "{key:?} -> {shown}")
                }
            }
        }
        assert!(plain > 0x2000);
        assert_eq!(plain_echo(Key::Char('a')), Some((*b"a\0\0\0", 1)));
        assert_eq!(plain_echo(Key::Char('\n')), Some((*b"\n\0\0\0", 1)));
        assert_eq!(plain_echo(Key::Char('\u{8}')), None);
    }

    #[test]
    fn letter_table() {
        assert_eq!(letter(b'a'), Some(A));
        assert_eq!(letter(b'b'), Some(B));
        assert_eq!(letter(b'q'), Some(0x10));
        assert_eq!(letter(b'm'), Some(0x32));
        assert_eq!(letter(b'1'), None);
    }
}
