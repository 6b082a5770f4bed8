//! Weighted mixes of named operations: the registered operations behind one erased type, and
//! the deterministic cycle that picks which one each sequence number runs.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::outcome::IntoOutcome;
use super::Ctx;

/// The longest pick cycle kept; weights with a larger sum are scaled down to it (each
/// operation keeping at least one slot).
const MAX_CYCLE: u64 = 10_000;

pub(crate) type BoxedFuture = Pin<Box<dyn Future<Output = Result<(), Cow<'static, str>>> + Send>>;
pub(crate) type BoxedOp = Arc<dyn Fn(Ctx) -> BoxedFuture + Send + Sync>;

/// One registered operation of a mix.
#[derive(Clone)]
pub(crate) struct Operation {
    pub name: String,
    pub weight: u32,
    pub run: BoxedOp,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Operation({:?}, {})", self.name, self.weight)
    }
}

/// Erases an operation's closure and output type. The future is boxed (one allocation per
/// operation), which only mixes pay: a one-operation `run` stays fully generic.
pub(crate) fn boxed<F, Fut>(op: F) -> BoxedOp
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    Arc::new(move |ctx| {
        let fut = op(ctx);
        Box::pin(async move { fut.await.into_outcome() }) as BoxedFuture
    })
}

/// Checks a mix's names and weights; errors name the method.
pub(crate) fn validate(ops: &[Operation]) -> Result<(), String> {
    if ops.is_empty() {
        return Err("run_mix(): no operation registered; add some with \
             load.operation(\"name\", weight, |ctx| async move { .. })"
            .into());
    }
    for (i, op) in ops.iter().enumerate() {
        if op.name.trim().is_empty() {
            return Err("operation(\"\", ..): an operation needs a name".into());
        }
        if op.weight == 0 {
            return Err(format!(
                "operation({:?}, 0, ..): a weight must be at least 1",
                op.name
            ));
        }
        if ops[..i].iter().any(|o| o.name == op.name) {
            return Err(format!(
                "operation({:?}, ..) is registered twice: give each operation its own name",
                op.name
            ));
        }
    }
    Ok(())
}

/// Which operation each sequence number runs: `cycle[seq % len]`, a smooth weighted
/// round-robin order (80/20 reduces to 4/1: a a a a b, interleaved as evenly as possible),
/// so every full cycle holds the weights exactly and no operation comes in long streaks.
#[derive(Debug, Clone)]
pub(crate) struct Picker {
    cycle: Arc<[u32]>,
}

impl Picker {
    pub fn new(weights: &[u32]) -> Picker {
        let g = weights
            .iter()
            .fold(0u64, |g, &w| gcd(g, u64::from(w)))
            .max(1);
        let mut w: Vec<u64> = weights.iter().map(|&x| u64::from(x) / g).collect();
        let sum: u64 = w.iter().sum();
        if sum > MAX_CYCLE {
            let f = MAX_CYCLE as f64 / sum as f64;
            for x in &mut w {
                *x = ((*x as f64 * f).round() as u64).max(1);
            }
        }
        let total: i64 = w.iter().sum::<u64>() as i64;
        let mut current = vec![0i64; w.len()];
        let mut cycle = Vec::with_capacity(total as usize);
        for _ in 0..total {
            for (c, &x) in current.iter_mut().zip(&w) {
                *c += x as i64;
            }
            let best = (0..w.len())
                .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
                .unwrap_or(0);
            current[best] -= total;
            cycle.push(best as u32);
        }
        if cycle.is_empty() {
            cycle.push(0);
        }
        Picker {
            cycle: cycle.into(),
        }
    }

    #[inline]
    pub fn pick(&self, seq: u64) -> u32 {
        self.cycle[(seq % self.cycle.len() as u64) as usize]
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_hold_the_weights_and_interleave() {
        let p = Picker::new(&[80, 20]);
        let first: Vec<u32> = (0..5).map(|s| p.pick(s)).collect();
        assert_eq!(first, [0, 0, 1, 0, 0]);
        let p = Picker::new(&[50, 30, 15, 5]);
        let n = 100_003u64;
        let mut counts = [0u64; 4];
        for s in 0..n {
            counts[p.pick(s) as usize] += 1;
        }
        for (c, w) in counts.iter().zip([50.0, 30.0, 15.0, 5.0]) {
            let share = *c as f64 / n as f64 * 100.0;
            assert!((share - w).abs() < 0.02 * w, "{counts:?}");
        }
        // The longest streak of one operation is short.
        let mut streak = (0, 0u32);
        for s in 0..1000 {
            let op = p.pick(s);
            streak.0 = if op == streak.1 { streak.0 + 1 } else { 1 };
            streak.1 = op;
            assert!(streak.0 <= 2, "streak of {} at {s}", streak.0);
        }
    }

    #[test]
    fn huge_weights_are_scaled_into_a_bounded_cycle() {
        let p = Picker::new(&[1_000_000, 1, 999_999]);
        assert!(p.cycle.len() as u64 <= MAX_CYCLE + 2);
        assert!(p.cycle.contains(&1));
    }

    #[test]
    fn bad_mixes_are_errors_naming_the_method() {
        let op = |name: &str, weight| Operation {
            name: name.into(),
            weight,
            run: boxed(|_| async {}),
        };
        assert!(validate(&[]).unwrap_err().contains("no operation"));
        assert!(validate(&[op("a", 0)]).unwrap_err().contains("at least 1"));
        assert!(validate(&[op("a", 1), op("a", 2)])
            .unwrap_err()
            .contains("registered twice"));
        assert!(validate(&[op(" ", 1)])
            .unwrap_err()
            .contains("needs a name"));
        assert!(validate(&[op("a", 1), op("b", 3)]).is_ok());
    }
}
