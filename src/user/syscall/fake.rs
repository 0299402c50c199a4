//! The host tests' kernel: `Services` over plain memory. User memory is a
//! vector at BASE (everything else faults, as an unmapped page would),
//! keys a byte queue, the console a log, and a clock that sleeps by
//! moving forward, and a descriptor table as a process starts with.
//! Every handler file's tests use it.

use super::services::{Clock, Fault, Services};
use crate::cpu::gdt::TlsDescriptors;
use crate::cpu::paging::PAGE_SIZE;
use crate::fd::FdTable;
use crate::mm::space::Protection;
use crate::net::api::{Address, Kind, NetError};
use crate::user::abi::NANOS;
use crate::user::umem::UserRange;
use std::vec;
use std::vec::Vec;

/// The part of user space the fake program has.
pub const BASE: u32 = 0x0804_8000;
pub const SIZE: u32 = 0x1_0000;

pub struct Fake {
    pub memory: Vec<u8>,
    pub keys: Vec<u8>,
    pub console: Vec<u8>,
    pub brk: u32,
    pub clock: u64,
    pub yields: u32,
    pub unknown: Vec<u32>,
    pub tls: TlsDescriptors,
    /// (start, pages, protection) of every protect call that succeeded.
    pub protected: Vec<(u32, u32, Protection)>,
    pub files: FdTable,
    /// Every bind the fake network saw, and the sockets released.
    pub bound: Vec<(u16, Address)>,
    pub released: Vec<u16>,
}

impl Fake {
    pub fn new() -> Fake {
        Fake {
            memory: vec![0; SIZE as usize],
            keys: b"hi\n".to_vec(),
            console: Vec::new(),
            brk: 0x0805_0000,
            clock: 5_000_000_000,
            yields: 0,
            unknown: Vec::new(),
            tls: [0; 3],
            protected: Vec::new(),
            files: FdTable::console(),
            bound: Vec::new(),
            released: Vec::new(),
        }
    }

    fn at(range: UserRange) -> Result<std::ops::Range<usize>, Fault> {
        let start = range.start().checked_sub(BASE).ok_or(Fault)?;
        let end = start + range.len();
        if end > SIZE {
            return Err(Fault);
        }
        Ok(start as usize..end as usize)
    }

    /// The 32-bit word at `address` in the fake program's memory.
    pub fn word(&self, address: u32) -> u32 {
        let at = (address - BASE) as usize;
        u32::from_le_bytes(self.memory[at..at + 4].try_into().unwrap())
    }

    /// Puts `bytes` at `address` in the fake program's memory.
    pub fn poke(&mut self, address: u32, bytes: &[u8]) {
        let at = (address - BASE) as usize;
        self.memory[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

impl Services for Fake {
    fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) -> Result<(), Fault> {
        let range = Self::at(from)?;
        to.copy_from_slice(&self.memory[range]);
        Ok(())
    }
    fn copy_to_user(&mut self, from: &[u8], to: UserRange) -> Result<(), Fault> {
        let range = Self::at(to)?;
        self.memory[range].copy_from_slice(from);
        Ok(())
    }
    /// With no keys left: None if nonblocking, else the end of the input.
    fn read_console(&mut self, buf: &mut [u8], nonblocking: bool) -> Option<usize> {
        if self.keys.is_empty() && nonblocking {
            return None;
        }
        let n = buf.len().min(self.keys.len());
        buf[..n].copy_from_slice(&self.keys[..n]);
        self.keys.drain(..n);
        Some(n)
    }
    fn write_console(&mut self, bytes: &[u8]) {
        self.console.extend_from_slice(bytes);
    }
    fn pid(&mut self) -> u32 {
        7
    }
    fn brk(&mut self, address: u32) -> u32 {
        if (0x0805_0000..0x0900_0000).contains(&address) {
            self.brk = address;
        }
        self.brk
    }
    fn yield_cpu(&mut self) {
        self.yields += 1;
    }
    fn sleep(&mut self, nanoseconds: u64) {
        self.clock += nanoseconds;
    }
    fn now(&mut self, clock: Clock) -> u64 {
        match clock {
            Clock::Monotonic => self.clock,
            Clock::Realtime => 1_700_000_000 * NANOS + self.clock,
            // The fake program has run for a fifth of the time.
            Clock::CpuTime => self.clock / 5,
        }
    }
    fn unknown(&mut self, number: u32) {
        self.unknown.push(number);
    }
    fn program_path(&mut self, out: &mut [u8]) -> usize {
        let path = b"build/hello_c";
        let n = path.len().min(out.len());
        out[..n].copy_from_slice(&path[..n]);
        n
    }
    fn tls(&mut self) -> TlsDescriptors {
        self.tls
    }
    fn set_tls(&mut self, slot: usize, descriptor: u64) {
        self.tls[slot] = descriptor;
    }
    fn random(&mut self, out: &mut [u8]) {
        out.iter_mut().enumerate().for_each(|(i, b)| *b = 0x80 | i as u8);
    }
    fn protect(&mut self, start: u32, pages: u32, protection: Protection) -> Result<(), Fault> {
        Self::at(UserRange::new(start, pages * PAGE_SIZE).ok_or(Fault)?)?;
        self.protected.push((start, pages, protection));
        Ok(())
    }
    fn files<R>(&mut self, f: impl FnOnce(&mut FdTable) -> R) -> R {
        f(&mut self.files)
    }

    // The fake's network: every socket answers as a connected peer at
    // 10.0.2.2:9 would; accept hands out socket 5 from 10.0.2.2:40000 (or
    // EAGAIN when it may not wait); bind refuses port 80 as taken; every
    // socket is a datagram socket; send writes to the console log.
    fn socket(&mut self, _kind: Kind) -> Result<u16, NetError> {
        Ok(4)
    }
    fn release_socket(&mut self, id: u16) {
        self.released.push(id);
    }
    fn kind(&mut self, _id: u16) -> Kind {
        Kind::Datagram
    }
    fn bind(&mut self, id: u16, to: Address) -> Result<(), NetError> {
        self.bound.push((id, to));
        if to.port == 80 {
            Err(NetError::AddressInUse)
        } else {
            Ok(())
        }
    }
    fn listen(&mut self, _id: u16, _backlog: u32) -> Result<(), NetError> {
        Err(NetError::NotSupported)
    }
    fn accept(&mut self, _id: u16, nonblocking: bool) -> Result<(u16, Address), NetError> {
        if nonblocking {
            return Err(NetError::WouldBlock);
        }
        Ok((5, Address { ip: [10, 0, 2, 2], port: 40000 }))
    }
    fn connect(&mut self, _id: u16, _to: Address, _nonblocking: bool) -> Result<(), NetError> {
        Err(NetError::Refused)
    }
    fn send(
        &mut self,
        _id: u16,
        bytes: &[u8],
        _to: Option<Address>,
        _nonblocking: bool,
    ) -> Result<usize, NetError> {
        self.console.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn receive(
        &mut self,
        _id: u16,
        buffer: &mut [u8],
        _nonblocking: bool,
    ) -> Result<(usize, Option<Address>), NetError> {
        let n = buffer.len().min(4);
        buffer[..n].copy_from_slice(&b"pong"[..n]);
        Ok((n, Some(Address { ip: [10, 0, 2, 2], port: 9 })))
    }
    fn shutdown(&mut self, _id: u16, _read: bool, _write: bool) -> Result<(), NetError> {
        Ok(())
    }
    fn local_address(&mut self, _id: u16) -> Result<Address, NetError> {
        Ok(Address { ip: [10, 0, 2, 15], port: 5555 })
    }
    fn peer_address(&mut self, _id: u16) -> Result<Address, NetError> {
        Err(NetError::NotConnected)
    }
    fn set_reuse_address(&mut self, _id: u16, _on: bool) -> Result<(), NetError> {
        Ok(())
    }
}
