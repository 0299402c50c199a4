//! The VGA text screen at physical 0xB8000: 80x25 cells of (character,
//! attribute). A mirror of the serial log, so a student sees the kernel's
//! output in the QEMU or Bochs window.
//!
//! Scrolling is done by the VGA's CRT controller, not by copying: the
//! text buffer window (0xB8000-0xBFFFF) holds 16,384 cells, six and a half
//! screens, and the CRTC's start-address registers say which cell is shown
//! top left. A new line moves the start down one row, clears the row that
//! comes into view and writes the two registers: 80 cell writes and four
//! port writes, where copying the screen up costs 1,920 reads and 1,920
//! writes of the buffer. Buffer accesses are expensive (each is a device
//! access in an emulator, ~170 TSC cycles under QEMU TCG, see
//! `make bench`), so the copy made every key echoed at the end of a line
//! cost as much as a thousand port writes. Only when the start reaches
//! the end of the window are the visible rows copied back to its
//! beginning, once every ~180 lines. Per character, only the character's
//! own cell is written; no cursor port I/O.

use x86::io::outb;

use crate::cpu::paging::physical_to_virtual;

/// The text buffer: physical 0xB8000, reached through the kernel half's
/// map of physical memory (src/cpu/paging.rs).
pub const TEXT_BUFFER: usize = physical_to_virtual(0xB8000) as usize;
/// Cells in the 32 KiB text buffer window.
pub const BUFFER_CELLS: usize = 32 * 1024 / 2;
pub const WIDTH: usize = 80;
pub const HEIGHT: usize = 25;
/// Attribute byte: light grey on black.
const ATTRIBUTE: u16 = 0x07 << 8;
/// Attribute byte of pinned text: black on light grey.
const PINNED_ATTRIBUTE: u16 = 0x70 << 8;
/// An empty cell.
const BLANK: u16 = ATTRIBUTE | b' ' as u16;
/// What a byte the screen cannot show is drawn as (CP437 small square).
const UNPRINTABLE: u8 = 0xFE;

/// CRT controller index register (O), colour mode address.
const CRTC_INDEX: u16 = 0x3D4;
/// CRT controller data register (I/O) for the index last written.
const CRTC_DATA: u16 = 0x3D5;
/// CRTC register: start address, high byte (in cells, in text mode).
const CRTC_START_HIGH: u8 = 0x0C;
/// CRTC register: start address, low byte.
const CRTC_START_LOW: u8 = 0x0D;

pub struct Screen {
    /// Where the next character goes on the bottom row.
    column: usize,
    /// Buffer cell shown top left (a multiple of WIDTH).
    top: usize,
    /// Text kept at the top right of the screen (`pin`).
    pinned: &'static str,
}

impl Default for Screen {
    fn default() -> Self {
        Self::new()
    }
}

impl Screen {
    /// Clears the screen and starts writing on its bottom line.
    pub fn new() -> Screen {
        let mut screen = Screen { column: 0, top: 0, pinned: "" };
        for row in 0..HEIGHT {
            screen.clear_row(row * WIDTH);
        }
        screen.show_from(0);
        screen
    }

    fn cell(index: usize) -> *mut u16 {
        (TEXT_BUFFER as *mut u16).wrapping_add(index)
    }

    fn put(index: usize, value: u16) {
        assert!(index < BUFFER_CELLS);
        // SAFETY: the index is inside the 32 KiB text buffer window, which
        // the kernel owns.
        unsafe { Self::cell(index).write_volatile(value) }
    }

    fn get(index: usize) -> u16 {
        assert!(index < BUFFER_CELLS);
        // SAFETY: as in `put`.
        unsafe { Self::cell(index).read_volatile() }
    }

    /// Blanks the row starting at buffer cell `first`, two cells per write.
    fn clear_row(&mut self, first: usize) {
        assert!(first.is_multiple_of(2) && first + WIDTH <= BUFFER_CELLS);
        let pair = u32::from(BLANK) << 16 | u32::from(BLANK);
        for column in (0..WIDTH).step_by(2) {
            // SAFETY: `first` is even, so the two cells form an aligned u32
            // inside the buffer window (checked above).
            unsafe { (Self::cell(first + column) as *mut u32).write_volatile(pair) }
        }
    }

    /// Keeps `text` at the top right of the screen, in reverse video, over
    /// whatever line scrolls under it: for a hint that must stay readable
    /// (src/boot/cmdline.rs: `quit=`).
    pub fn pin(&mut self, text: &'static str) {
        self.pinned = text;
        self.draw_pinned();
    }

    /// Draws the pinned text on the top row shown (after every scroll).
    fn draw_pinned(&mut self) {
        let text = &self.pinned.as_bytes()[..self.pinned.len().min(WIDTH)];
        let first = self.top + WIDTH - text.len();
        for (i, &byte) in text.iter().enumerate() {
            Self::put(first + i, PINNED_ATTRIBUTE | u16::from(byte));
        }
    }

    /// Tells the CRT controller to show the screen from buffer cell `top`.
    fn show_from(&mut self, top: usize) {
        self.top = top;
        // SAFETY: the CRTC start-address registers only choose which part
        // of the text buffer is displayed.
        unsafe {
            outb(CRTC_INDEX, CRTC_START_HIGH);
            outb(CRTC_DATA, (top >> 8) as u8);
            outb(CRTC_INDEX, CRTC_START_LOW);
            outb(CRTC_DATA, top as u8);
        }
    }

    fn bottom_row(&self) -> usize {
        self.top + (HEIGHT - 1) * WIDTH
    }

    fn new_line(&mut self) {
        let mut top = self.top + WIDTH;
        if top + HEIGHT * WIDTH > BUFFER_CELLS {
            // Out of window: the rows that stay visible move to its start
            // (the destination lies below the source, so copy forwards).
            for index in 0..(HEIGHT - 1) * WIDTH {
                Self::put(index, Self::get(top + index));
            }
            top = 0;
        }
        self.clear_row(top + (HEIGHT - 1) * WIDTH);
        self.show_from(top);
        self.column = 0;
        if !self.pinned.is_empty() {
            self.draw_pinned();
        }
    }

    pub fn write_byte(&mut self, byte: u8) {
        match byte {
            b'\n' => self.new_line(),
            b'\r' => self.column = 0,
            // Backspace moves back; the line discipline rubs a character
            // out with "\b \b".
            0x08 => self.column = self.column.saturating_sub(1),
            b'\t' => {
                let stop = (self.column / 8 + 1) * 8;
                while self.column < stop.min(WIDTH) {
                    self.write_byte(b' ');
                }
            }
            _ => {
                if self.column == WIDTH {
                    self.new_line();
                }
                let shown = if (0x20..0x7F).contains(&byte) { byte } else { UNPRINTABLE };
                Self::put(self.bottom_row() + self.column, ATTRIBUTE | u16::from(shown));
                self.column += 1;
            }
        }
    }
}
