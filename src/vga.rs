//! The VGA text screen at physical 0xB8000: 80x25 cells of (character,
//! attribute). A mirror of the serial log, so a student sees the kernel's
//! output in the QEMU or Bochs window. Writes only the buffer (no cursor
//! port I/O: the interrupt path should not pay for a blinking cursor).

/// Physical (= virtual, identity-mapped) address of the text buffer.
const TEXT_BUFFER: usize = 0xB8000;
pub const WIDTH: usize = 80;
pub const HEIGHT: usize = 25;
/// Attribute byte: light grey on black.
const ATTRIBUTE: u16 = 0x07 << 8;
/// What a byte the screen cannot show is drawn as (CP437 small square).
const UNPRINTABLE: u8 = 0xFE;

pub struct Screen {
    column: usize,
}

impl Screen {
    /// Clears the screen and starts writing on its bottom line.
    pub fn new() -> Screen {
        let mut screen = Screen { column: 0 };
        for row in 0..HEIGHT {
            screen.clear_row(row);
        }
        screen
    }

    fn cell(row: usize, column: usize) -> *mut u16 {
        (TEXT_BUFFER as *mut u16).wrapping_add(row * WIDTH + column)
    }

    fn put(row: usize, column: usize, value: u16) {
        // SAFETY: row < HEIGHT and column < WIDTH (all callers), so the cell
        // lies in the 4000-byte text buffer, which the kernel owns.
        unsafe { Self::cell(row, column).write_volatile(value) }
    }

    fn get(row: usize, column: usize) -> u16 {
        // SAFETY: as in `put`.
        unsafe { Self::cell(row, column).read_volatile() }
    }

    fn clear_row(&mut self, row: usize) {
        for column in 0..WIDTH {
            Self::put(row, column, ATTRIBUTE | u16::from(b' '));
        }
    }

    fn new_line(&mut self) {
        for row in 1..HEIGHT {
            for column in 0..WIDTH {
                Self::put(row - 1, column, Self::get(row, column));
            }
        }
        self.clear_row(HEIGHT - 1);
        self.column = 0;
    }

    pub fn write_byte(&mut self, byte: u8) {
        match byte {
            b'\n' => self.new_line(),
            b'\r' => self.column = 0,
            _ => {
                if self.column == WIDTH {
                    self.new_line();
                }
                let shown = if (0x20..0x7F).contains(&byte) { byte } else { UNPRINTABLE };
                Self::put(HEIGHT - 1, self.column, ATTRIBUTE | u16::from(shown));
                self.column += 1;
            }
        }
    }
}
