//! The line discipline: what a terminal in cooked ("canonical") mode does
//! with typed bytes before a program's `read` sees them.
//!
//! Pure logic, host-tested. Bytes come in one at a time, from the keyboard
//! (as the bytes of each key, src/terminal/keys.rs) or from COM1, and the
//! same rules apply to both:
//!
//! | byte | effect | echo |
//! | --- | --- | --- |
//! | printable, UTF-8 | added to the line | itself |
//! | Enter, `\n`, `\r` | ends the line (`\r` becomes `\n`, as ICRNL) | newline |
//! | Backspace 0x08, DEL 0x7F | erases the last character (a whole UTF-8 one) | `\b \b` |
//! | Ctrl-U 0x15 | erases the line | `\b \b` per column |
//! | Ctrl-D 0x04 | ends the line without a newline; alone, end of file | nothing |
//! | Ctrl-C 0x03 | throws away the line and every unread one | `^C` and newline |
//! | other control bytes, Esc | added to the line | `^X` (`^[` for Esc) |
//!
//! `read` hands out only finished lines, and at most one line per call,
//! as Linux does: a program asking for 100 bytes while `ab\ncd\n` waits
//! gets `ab\n`, then `cd\n` on its next call. Ctrl-D at the start of a line
//! makes `read` return 0, the end-of-file convention; after other text it
//! hands that text over without a newline.
//!
//! The buffer holds the line being typed and the finished lines not read
//! yet: `BUFFER` bytes in all, as xv6's console keeps them, three indices
//! into one ring: `read` (next byte for the program), `done` (end of the
//! finished lines), `edit` (end of the line being typed). When it is full,
//! further characters are refused and counted (`refused`), but Enter and
//! Ctrl-D always fit: one byte is kept for them, so a line that is too
//! long is cut, never lost or left unfinishable.

/// Bytes of typed input the discipline holds: the line being edited and
/// the finished lines not read yet.
pub const BUFFER: usize = 1024;

const ERASE: u8 = 0x08;
const DELETE: u8 = 0x7F;
const KILL: u8 = 0x15;
const EOF: u8 = 0x04;
const INTERRUPT: u8 = 0x03;

/// In the buffer, Ctrl-D is kept as itself: it ends a line that has no
/// newline. No other byte can stand for it, because a typed 0x04 is
/// always Ctrl-D here.
const END_WITHOUT_NEWLINE: u8 = EOF;

pub struct LineDiscipline {
    buf: [u8; BUFFER],
    /// Counters (they wrap; the slot is the value modulo BUFFER).
    read: usize,
    done: usize,
    edit: usize,
    /// The screen column the line being edited started at, for erasing a
    /// Tab (its width depends on where it began).
    start_column: usize,
    /// Characters refused because the buffer was full, since boot.
    pub refused: u32,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDiscipline {
    pub const fn new() -> LineDiscipline {
        LineDiscipline { buf: [0; BUFFER], read: 0, done: 0, edit: 0, start_column: 0, refused: 0 }
    }

    fn at(&self, index: usize) -> u8 {
        self.buf[index % BUFFER]
    }

    fn used(&self) -> usize {
        self.edit.wrapping_sub(self.read)
    }

    fn push(&mut self, byte: u8) {
        self.buf[self.edit % BUFFER] = byte;
        self.edit = self.edit.wrapping_add(1);
    }

    /// The bytes of the line being edited, in order.
    fn editing(&self) -> impl Iterator<Item = u8> + '_ {
        (self.done..self.edit).map(|i| self.at(i))
    }

    /// Whether a finished line (or an end of file) waits for `read`.
    pub fn has_line(&self) -> bool {
        self.done != self.read
    }

    /// Takes one typed byte; `column` is where the screen's cursor is now,
    /// and `echo` receives what to show for the byte.
    pub fn feed(&mut self, byte: u8, column: usize, echo: &mut impl FnMut(&[u8])) {
        if self.edit == self.done {
            self.start_column = column;
        }
        match byte {
            b'\r' | b'\n' => self.finish(b'\n', echo),
            EOF => self.finish(END_WITHOUT_NEWLINE, echo),
            ERASE | DELETE => self.erase_last(echo),
            KILL => {
                while self.edit != self.done {
                    self.erase_last(echo);
                }
            }
            INTERRUPT => {
                self.edit = self.read;
                self.done = self.read;
                echo(b"^C\n");
            }
            _ => {
                // One slot is kept for the byte that ends the line.
                if self.used() >= BUFFER - 1 {
                    self.refused += 1;
                    return;
                }
                self.push(byte);
                match byte {
                    b'\t' => echo(b"\t"),
                    0x00..=0x1F => echo(&[b'^', byte + 0x40]),
                    _ => echo(&[byte]),
                }
            }
        }
    }

    fn finish(&mut self, end: u8, echo: &mut impl FnMut(&[u8])) {
        if self.used() >= BUFFER {
            self.refused += 1;
            return;
        }
        self.push(end);
        self.done = self.edit;
        if end == b'\n' {
            echo(b"\n");
        }
    }

    /// Removes the last character of the line being edited (all bytes of
    /// a UTF-8 character), and rubs out the columns its echo took.
    fn erase_last(&mut self, echo: &mut impl FnMut(&[u8])) {
        if self.edit == self.done {
            return;
        }
        let columns = self.last_width();
        loop {
            self.edit = self.edit.wrapping_sub(1);
            let byte = self.at(self.edit);
            // Stop at the first byte of the character: anything but a
            // UTF-8 continuation byte (10xxxxxx).
            if byte & 0xC0 != 0x80 || self.edit == self.done {
                break;
            }
        }
        for _ in 0..columns {
            echo(b"\x08 \x08");
        }
    }

    /// How many columns the echo of the last character took: 2 for `^X`,
    /// up to 8 for a Tab (replayed from the line's start), else 1.
    fn last_width(&self) -> usize {
        let last = self.at(self.edit.wrapping_sub(1));
        match last {
            b'\t' => {
                let mut column = self.start_column;
                let mut before_tab = column;
                for byte in self.editing() {
                    before_tab = column;
                    column = match byte {
                        b'\t' => (column / 8 + 1) * 8,
                        0x00..=0x1F => column + 2,
                        0x80..=0xBF => column,
                        _ => column + 1,
                    };
                }
                column - before_tab
            }
            0x00..=0x1F => 2,
            _ => 1,
        }
    }

    /// Copies at most one finished line (or as much of it as fits) into
    /// `out`. None: no finished line yet (the reader waits). Some(0): end
    /// of file (Ctrl-D at the start of a line).
    pub fn read(&mut self, out: &mut [u8]) -> Option<usize> {
        if !self.has_line() {
            return None;
        }
        let mut copied = 0;
        while self.read != self.done && copied < out.len() {
            let byte = self.at(self.read);
            self.read = self.read.wrapping_add(1);
            if byte == END_WITHOUT_NEWLINE {
                break;
            }
            out[copied] = byte;
            copied += 1;
            if byte == b'\n' {
                break;
            }
            // `out` is full in the middle of a line: if a Ctrl-D ends that
            // line, it goes with this part. Left for the next call, it
            // would stand at the start of a line and read as end of file
            // (as Linux's n_tty does: `ab^D` read 2 bytes at a time gives
            // `ab`, then whatever is typed next, not 0).
            if copied == out.len()
                && self.read != self.done
                && self.at(self.read) == END_WITHOUT_NEWLINE
            {
                self.read = self.read.wrapping_add(1);
            }
        }
        Some(copied)
    }

    /// Forgets all input: what is typed and what is not read yet.
    pub fn clear(&mut self) {
        self.done = self.read;
        self.edit = self.read;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Feeds `input` at column 0; returns the echo.
    fn feed(line: &mut LineDiscipline, input: &[u8]) -> Vec<u8> {
        let mut shown = Vec::new();
        for &b in input {
            line.feed(b, 0, &mut |e: &[u8]| shown.extend_from_slice(e));
        }
        shown
    }

    fn read(line: &mut LineDiscipline, room: usize) -> Option<Vec<u8>> {
        let mut out = vec![0; room];
        line.read(&mut out).map(|n| out[..n].to_vec())
    }

    #[test]
    fn a_line_is_read_only_when_finished() {
        let mut l = LineDiscipline::new();
        assert_eq!(feed(&mut l, b"abc"), b"abc");
        assert_eq!(read(&mut l, 100), None);
        assert_eq!(feed(&mut l, b"\r"), b"\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"abc\n");
        assert_eq!(read(&mut l, 100), None);
    }

    #[test]
    fn backspace_edits_the_line_and_the_screen() {
        let mut l = LineDiscipline::new();
        assert_eq!(feed(&mut l, b"abc\x08d\n"), b"abc\x08 \x08d\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"abd\n");
        // DEL (what a serial terminal sends for Backspace) does the same;
        // erasing past the start of the line does nothing.
        assert_eq!(feed(&mut l, b"x\x7f\x7f\x7fy\n"), b"x\x08 \x08y\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"y\n");
    }

    #[test]
    fn ctrl_u_erases_the_whole_line_only() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"one\n");
        let shown = feed(&mut l, b"two\x15");
        assert_eq!(shown, b"two\x08 \x08\x08 \x08\x08 \x08");
        feed(&mut l, b"three\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"one\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"three\n");
    }

    #[test]
    fn ctrl_d_at_line_start_is_end_of_file() {
        let mut l = LineDiscipline::new();
        assert_eq!(feed(&mut l, b"\x04"), b"");
        assert_eq!(read(&mut l, 100), Some(Vec::new()));
        assert_eq!(read(&mut l, 100), None);
        // After text, Ctrl-D hands the text over without a newline.
        feed(&mut l, b"ab\x04");
        assert_eq!(read(&mut l, 100).unwrap(), b"ab");
        assert_eq!(read(&mut l, 100), None);
    }

    #[test]
    fn a_ctrl_d_after_text_that_fills_the_read_is_not_end_of_file() {
        // `ab^D` read 2 bytes at a time: the Ctrl-D goes with `ab` (it
        // ends that line), so the next read waits for more, as on Linux.
        let mut l = LineDiscipline::new();
        feed(&mut l, b"ab\x04");
        assert_eq!(read(&mut l, 2).unwrap(), b"ab");
        assert_eq!(read(&mut l, 2), None);
        feed(&mut l, b"cd\n\x04");
        assert_eq!(read(&mut l, 2).unwrap(), b"cd");
        assert_eq!(read(&mut l, 2).unwrap(), b"\n");
        assert_eq!(read(&mut l, 2), Some(Vec::new()));
        // A Ctrl-D after a full read that ended a line is a new line's:
        // end of file.
        feed(&mut l, b"x\n\x04");
        assert_eq!(read(&mut l, 2).unwrap(), b"x\n");
        assert_eq!(read(&mut l, 2), Some(Vec::new()));
    }

    #[test]
    fn read_returns_at_most_one_line_and_keeps_the_rest() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"ab\ncd\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"ab\n");
        assert_eq!(read(&mut l, 1).unwrap(), b"c");
        assert_eq!(read(&mut l, 100).unwrap(), b"d\n");
    }

    #[test]
    fn utf8_characters_are_erased_whole() {
        let mut l = LineDiscipline::new();
        let shown = feed(&mut l, "a\u{e9}\u{20ac}".as_bytes());
        assert_eq!(shown, "a\u{e9}\u{20ac}".as_bytes());
        assert_eq!(feed(&mut l, b"\x08"), b"\x08 \x08");
        assert_eq!(feed(&mut l, b"\x08\n"), b"\x08 \x08\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"a\n");
    }

    #[test]
    fn control_characters_echo_as_caret_and_erase_two_columns() {
        let mut l = LineDiscipline::new();
        // Up arrow as a serial terminal sends it: ESC [ A.
        assert_eq!(feed(&mut l, b"\x1b[A"), b"^[[A");
        assert_eq!(feed(&mut l, b"\x08\x08\x08"), b"\x08 \x08\x08 \x08\x08 \x08\x08 \x08");
        assert_eq!(feed(&mut l, b"\x01\n"), b"^A\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"\x01\n");
    }

    #[test]
    fn tab_is_erased_back_to_where_it_started() {
        let mut l = LineDiscipline::new();
        let mut shown = Vec::new();
        // The line starts at column 5 (after a prompt): "ab" ends at 7,
        // the Tab moves to 8 (one column), "c" to 9, a second Tab to 16.
        for &b in b"ab\tc\t" {
            l.feed(b, 5, &mut |e: &[u8]| shown.extend_from_slice(e));
        }
        shown.clear();
        l.feed(ERASE, 16, &mut |e: &[u8]| shown.extend_from_slice(e));
        assert_eq!(shown, b"\x08 \x08".repeat(7));
        shown.clear();
        l.feed(ERASE, 9, &mut |e: &[u8]| shown.extend_from_slice(e));
        l.feed(ERASE, 8, &mut |e: &[u8]| shown.extend_from_slice(e));
        assert_eq!(shown, b"\x08 \x08".repeat(2));
    }

    #[test]
    fn ctrl_c_throws_away_typed_and_unread_input() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"unread\npartial");
        assert_eq!(feed(&mut l, b"\x03"), b"^C\n");
        assert_eq!(read(&mut l, 100), None);
        feed(&mut l, b"next\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"next\n");
    }

    #[test]
    fn a_full_buffer_refuses_characters_but_enter_still_ends_the_line() {
        let mut l = LineDiscipline::new();
        let long = vec![b'x'; BUFFER + 10];
        let shown = feed(&mut l, &long);
        assert_eq!(shown.len(), BUFFER - 1);
        assert_eq!(l.refused, 11);
        assert_eq!(feed(&mut l, b"\n"), b"\n");
        let line = read(&mut l, 2 * BUFFER).unwrap();
        assert_eq!(line.len(), BUFFER);
        assert!(line[..BUFFER - 1].iter().all(|&b| b == b'x') && line[BUFFER - 1] == b'\n');
        // Nothing else was corrupted: the buffer works on.
        feed(&mut l, b"ok\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"ok\n");
    }

    #[test]
    fn unread_lines_fill_the_buffer_then_it_refuses_until_read() {
        let mut l = LineDiscipline::new();
        let line = b"0123456789abcde\n"; // 16 bytes
        for _ in 0..BUFFER / 16 - 1 {
            feed(&mut l, line);
        }
        // 15 bytes of room plus the kept one: 15 characters and Enter.
        feed(&mut l, b"0123456789abcdefgh\n");
        assert_eq!(l.refused, 3);
        assert_eq!(feed(&mut l, b"z\n"), b"");
        assert_eq!(l.refused, 5);
        for _ in 0..BUFFER / 16 - 1 {
            assert_eq!(read(&mut l, 100).unwrap(), line);
        }
        assert_eq!(read(&mut l, 100).unwrap(), b"0123456789abcde\n");
        feed(&mut l, b"z\n");
        assert_eq!(read(&mut l, 100).unwrap(), b"z\n");
    }

    #[test]
    fn indices_wrap_around_the_ring() {
        let mut l = LineDiscipline::new();
        for i in 0..5000u32 {
            let text = std::format!("line {i}\n");
            feed(&mut l, text.as_bytes());
            assert_eq!(read(&mut l, 100).unwrap(), text.as_bytes());
        }
    }
}
