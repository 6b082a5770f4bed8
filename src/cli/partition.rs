//! `--partition hash:M/N | slice:M/N` (or `hash:ci`, `slice:ci`): which of the selected tests
//! this shard of a suite runs, and the shard's identity for `cargo perf merge`.
//!
//! - `hash`: a test goes to shard `fnv1a64(id) mod N`. The hash is FNV-1a 64 written out here,
//!   not `DefaultHasher` (whose algorithm may change between Rust releases), so a test stays in
//!   its shard as tests are added or removed: what stored runs need.
//! - `slice`: the selected ids sorted, dealt round-robin (the i-th id to shard `i mod N`), so
//!   the shards' sizes differ by at most one and a family of neighbouring tests (`sort/100`,
//!   `sort/1000`) is spread over the shards; adding a test can move others, so it suits `ab`.
//!
//! Both are computed after the usual selection (filters, tags, `--quick`), so every shard sees
//! the same suite and `suite_tests`/`suite_digest` tell `merge` whether they did.

use crate::cli::errors::CliError;
use crate::cli::jobs::JobIndex;

/// How the selected tests are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hash,
    Slice,
}

impl Kind {
    /// The name in `--partition KIND:M/N` and in the report's `shard.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hash => "hash",
            Kind::Slice => "slice",
        }
    }
}

/// One `--partition`: how, and which share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub kind: Kind,
    pub share: JobIndex,
}

/// What a shard knows of the whole suite, before partitioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteShape {
    /// How many tests the selection took.
    pub tests: usize,
    /// [`digest`] of their ids.
    pub digest: String,
}

impl Partition {
    /// Parses `KIND:M/N` or `KIND:ci`; `env` reads the job variables of `ci` ([`JobIndex`]).
    pub fn parse(spec: &str, env: impl Fn(&str) -> Option<String>) -> Result<Partition, CliError> {
        let (kind, share) =
            match spec.split_once(':') {
                Some(("hash", share)) => (Kind::Hash, share),
                Some(("slice", share)) => (Kind::Slice, share),
                _ => return Err(CliError::usage(
                    format!("--partition {spec}: expected hash:M/N or slice:M/N"),
                    "write `--partition hash:2/3` (the second of three shards, stable as tests \
                     are added) or `slice:2/3`; `hash:ci` reads the CI's job index",
                )),
            };
        let flag = format!("--partition {}:", kind.name());
        let share = JobIndex::parse(share, &flag, env)?;
        Ok(Partition { kind, share })
    }

    /// Keeps the items of this shard, in their order; `ids` are the items' test ids (the same
    /// length). Also returns the shape of the whole selection.
    pub fn apply<T>(&self, items: Vec<T>, ids: &[String]) -> (Vec<T>, SuiteShape) {
        let shape = SuiteShape {
            tests: ids.len(),
            digest: digest(ids),
        };
        let keep = self.members(ids);
        let kept = items
            .into_iter()
            .zip(keep)
            .filter_map(|(item, k)| k.then_some(item))
            .collect();
        (kept, shape)
    }

    /// For each id, whether it is in this shard.
    pub fn members(&self, ids: &[String]) -> Vec<bool> {
        let n = u64::from(self.share.count);
        let me = u64::from(self.share.index);
        match self.kind {
            Kind::Hash => ids.iter().map(|id| self.owns_by_hash(id)).collect(),
            Kind::Slice => {
                let mut order: Vec<usize> = (0..ids.len()).collect();
                order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
                let mut keep = vec![false; ids.len()];
                for (rank, i) in order.into_iter().enumerate() {
                    keep[i] = rank as u64 % n == me;
                }
                keep
            }
        }
    }
}

impl Partition {
    /// Whether the hash rule puts `id` in this shard, whatever the kind: `ab` deals a test
    /// that only its base has (a removed test) this way, as no selection of head ranks it.
    pub fn owns_by_hash(&self, id: &str) -> bool {
        fnv1a64(id.as_bytes()) % u64::from(self.share.count) == u64::from(self.share.index)
    }
}

/// FNV-1a, 64 bits: the published offset basis and prime, so any tool can recompute a shard.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The suite's digest: FNV-1a 64 of the sorted, deduplicated ids joined by newlines, as 16 hex
/// digits. Shards of one suite have the same digest whatever their share.
pub fn digest(ids: &[String]) -> String {
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    format!("{:016x}", fnv1a64(sorted.join("\n").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(spec: &str) -> Partition {
        Partition::parse(spec, |_| None).unwrap()
    }

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        // From the FNV reference (Fowler, Noll, Vo): "" and "a" and "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_fixed_id_goes_to_a_fixed_shard_whatever_else_is_selected() {
        // Written out, so a change of the hash (which would move stored runs' tests between
        // shards) fails here: fnv1a64("demo/perf/parse") = 0x4b55_00a8_cd39_9f98, which is 1
        // mod 3: the second of three shards.
        let id = "demo/perf/parse".to_string();
        assert_eq!(fnv1a64(id.as_bytes()), 0x4b55_00a8_cd39_9f98);
        let alone = part("hash:2/3").members(std::slice::from_ref(&id));
        let mut many: Vec<String> = (0..50).map(|i| format!("demo/perf/t{i}")).collect();
        many.push(id.clone());
        let among = part("hash:2/3").members(&many);
        assert_eq!(alone, vec![true]);
        assert!(among[50]);
    }

    #[test]
    fn every_test_is_in_exactly_one_shard() {
        // A small deterministic generator: random-looking sets without a dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50 {
            let n = (next() % 9 + 1) as u32;
            let len = (next() % 40) as usize;
            let ids: Vec<String> = (0..len).map(|_| format!("p/t/{}", next() % 1000)).collect();
            let ids: Vec<String> = {
                let mut u = ids;
                u.sort();
                u.dedup();
                u
            };
            for kind in ["hash", "slice"] {
                let mut count = vec![0usize; ids.len()];
                let mut sizes = Vec::new();
                for m in 1..=n {
                    let keep = part(&format!("{kind}:{m}/{n}")).members(&ids);
                    sizes.push(keep.iter().filter(|k| **k).count());
                    for (c, k) in count.iter_mut().zip(keep) {
                        *c += usize::from(k);
                    }
                }
                assert!(count.iter().all(|&c| c == 1), "{kind} {n}: {count:?}");
                if kind == "slice" {
                    let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
                    assert!(hi.unwrap() - lo.unwrap() <= 1, "{sizes:?}");
                }
            }
        }
    }

    #[test]
    fn the_digest_ignores_order_and_share_but_not_membership() {
        let a = vec!["x/y/a".to_string(), "x/y/b".to_string()];
        let b = vec!["x/y/b".to_string(), "x/y/a".to_string()];
        assert_eq!(digest(&a), digest(&b));
        let (_, s1) = part("hash:1/2").apply(a.clone(), &a);
        let (_, s2) = part("slice:2/2").apply(b.clone(), &b);
        assert_eq!(s1, s2);
        assert_eq!(s1.tests, 2);
        assert_ne!(digest(&a), digest(&a[..1]));
    }

    #[test]
    fn bad_specs_are_usage_errors() {
        for spec in ["hash", "mod:1/2", "hash:0/2", "slice:3/2", "hash:ci"] {
            let e = Partition::parse(spec, |_| None).unwrap_err();
            assert_eq!(e.kind, crate::cli::errors::ErrorKind::Usage, "{spec}");
        }
        let gitlab = |k: &str| match k {
            "CI_NODE_INDEX" => Some("3".to_string()),
            "CI_NODE_TOTAL" => Some("3".to_string()),
            _ => None,
        };
        let p = Partition::parse("hash:ci", gitlab).unwrap();
        assert_eq!((p.kind, p.share.index, p.share.count), (Kind::Hash, 2, 3));
    }
}
