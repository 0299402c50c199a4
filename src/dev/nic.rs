//! What a network card driver offers the network layer above it: frames
//! in, frames out, and its Ethernet address. Nothing here knows a
//! protocol: the card moves whole Ethernet frames, and the stack above
//! (src/net/, smoltcp) makes sense of them. One driver implements this
//! today (src/dev/e1000.rs); another card would implement the same three
//! traits and the stack would not change.
//!
//! A frame is lent, not copied: `receive` hands the caller the bytes the
//! card wrote by DMA into its ring, and gives the slot back to the card
//! when the caller is done; `transmit` lets the caller write a frame
//! straight into the card's transmit buffer.

/// A received frame's slot, lent until the closure returns.
pub trait ReceiveQueue {
    /// Whether a received frame waits.
    fn has_frame(&self) -> bool;
    /// Lends the oldest received frame to `f` and keeps it: the next
    /// `peek` or `receive` sees the same frame. None when no frame waits.
    fn peek<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R>;
    /// Lends the oldest received frame to `f`, then gives its buffer back
    /// to the card. None, and `f` not called, when no frame waits.
    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R>;
}

/// A transmit slot.
pub trait TransmitQueue {
    /// Whether the card has a free transmit slot.
    fn has_room(&self) -> bool;
    /// Lets `f` write a frame of `len` bytes into the next free slot and
    /// hands it to the card. None, and `f` not called, when no slot is
    /// free or `len` is more than a slot holds.
    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Option<R>;
}

/// A network card: its two queues, which the stack may use at once (a
/// received frame's answer is sent while the frame is still lent).
pub trait Nic {
    type Rx: ReceiveQueue;
    type Tx: TransmitQueue;
    fn queues(&mut self) -> (&mut Self::Rx, &mut Self::Tx);
    /// The card's Ethernet (MAC) address.
    fn mac(&self) -> [u8; 6];
    /// The largest frame a transmit slot holds, headers included.
    fn max_frame(&self) -> usize;
}
