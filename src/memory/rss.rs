//! Resident set size of this process: `/proc/self/statm` on Linux, sysinfo elsewhere.
//!
//! `statm` is read into a stack buffer, so sampling allocates nothing on Linux and never
//! disturbs the allocation figures of the test being watched.

use std::sync::OnceLock;

/// This process's resident memory in bytes, or `None` when the platform does not say.
pub fn resident_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        statm_resident_bytes().or_else(sysinfo_resident_bytes)
    }
    #[cfg(not(target_os = "linux"))]
    {
        sysinfo_resident_bytes()
    }
}

/// Resident bytes from `/proc/self/statm` (its second field counts pages).
#[cfg(target_os = "linux")]
fn statm_resident_bytes() -> Option<u64> {
    use std::io::Read;
    let mut buf = [0u8; 256];
    let mut file = std::fs::File::open("/proc/self/statm").ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    Some(parse_statm_resident_pages(text)? * page_size())
}

/// The resident-pages field of a `statm` line: `size resident shared text lib data dt`.
pub(crate) fn parse_statm_resident_pages(statm: &str) -> Option<u64> {
    let mut fields = statm.split_ascii_whitespace();
    let _size = fields.next()?;
    fields.next()?.parse().ok()
}

/// The kernel's page size, from the `AT_PAGESZ` entry of `/proc/self/auxv` (read once);
/// 4 KiB if that cannot be read.
fn page_size() -> u64 {
    static PAGE_SIZE: OnceLock<u64> = OnceLock::new();
    *PAGE_SIZE.get_or_init(|| {
        std::fs::read("/proc/self/auxv")
            .ok()
            .and_then(|auxv| auxv_value(&auxv, AT_PAGESZ))
            .filter(|&size| size.is_power_of_two())
            .unwrap_or(4096)
    })
}

const AT_PAGESZ: u64 = 6;

/// Looks `key` up in an auxiliary vector: native-endian (key, value) word pairs.
fn auxv_value(auxv: &[u8], key: u64) -> Option<u64> {
    const WORD: usize = std::mem::size_of::<usize>();
    let word = |chunk: &[u8]| -> u64 {
        let mut bytes = [0u8; WORD];
        bytes.copy_from_slice(chunk);
        usize::from_ne_bytes(bytes) as u64
    };
    auxv.chunks_exact(2 * WORD)
        .map(|pair| (word(&pair[..WORD]), word(&pair[WORD..])))
        .take_while(|&(k, _)| k != 0)
        .find(|&(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Resident bytes through sysinfo: portable, but it allocates and costs more per call.
pub(crate) fn sysinfo_resident_bytes() -> Option<u64> {
    use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System};
    let pid = sysinfo::get_current_pid().ok()?;
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        false,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system.process(pid).map(|p| p.memory())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statm_parsing_takes_the_second_field() {
        assert_eq!(
            parse_statm_resident_pages("5433 1290 1012 189 0 292 0\n"),
            Some(1290)
        );
        assert_eq!(parse_statm_resident_pages("5433"), None);
        assert_eq!(parse_statm_resident_pages(""), None);
        assert_eq!(parse_statm_resident_pages("5433 x 1"), None);
    }

    #[test]
    fn auxv_lookup_finds_the_page_size_and_stops_at_the_null_entry() {
        let mut auxv = Vec::new();
        for (k, v) in [(3usize, 0x40usize), (6, 16384), (0, 0), (6, 99)] {
            auxv.extend_from_slice(&k.to_ne_bytes());
            auxv.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(auxv_value(&auxv, AT_PAGESZ), Some(16384));
        assert_eq!(auxv_value(&auxv, 7), None);
        assert_eq!(auxv_value(&auxv[..5], AT_PAGESZ), None);
    }

    #[test]
    fn touching_memory_raises_resident_bytes() {
        let _rss = crate::memory::RSS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // RSS is the whole process's: other tests of this binary free memory meanwhile, so a
        // block far larger than their churn, and a few attempts (a broken reading never
        // shows the growth; a concurrent free can only hide it once in a while).
        let attempts: Vec<(u64, u64)> = (0..3)
            .map(|_| {
                let before = resident_bytes().expect("RSS is readable here");
                // 64 MiB, every page written: resident until dropped.
                let block = std::hint::black_box(vec![1u8; 64 << 20]);
                let during = resident_bytes().unwrap();
                drop(block);
                (before, during)
            })
            .collect();
        assert!(
            attempts.iter().any(|&(b, d)| d >= b + (48 << 20)),
            "(before, during): {attempts:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn statm_and_sysinfo_agree_within_a_few_percent() {
        let _rss = crate::memory::RSS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Bracketed by two statm reads: other tests' threads may allocate meanwhile.
        let first = statm_resident_bytes().unwrap() as f64;
        let sysinfo = sysinfo_resident_bytes().unwrap() as f64;
        let second = statm_resident_bytes().unwrap() as f64;
        let (low, high) = (first.min(second) * 0.9, first.max(second) * 1.1);
        assert!(
            (low..=high).contains(&sysinfo),
            "statm {first}..{second}, sysinfo {sysinfo}"
        );
    }
}
