//! The shape of a run: phases (ramp-up, stages or a steady hold) moving the level (concurrency
//! or rate) linearly over time, and the open model's timetable derived from it.

/// One phase of the plan: the level moves linearly from `from` to `to` over `dur_ns`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Phase {
    pub name: String,
    pub start_ns: u64,
    pub dur_ns: u64,
    pub from: f64,
    pub to: f64,
    /// Whether the phase's operations count in the headline figures (ramp-up does not).
    pub counted: bool,
}

impl Phase {
    pub fn end_ns(&self) -> u64 {
        self.start_ns.saturating_add(self.dur_ns)
    }

    pub fn level_at(&self, t_ns: u64) -> f64 {
        if self.dur_ns == 0 || self.dur_ns == u64::MAX {
            return self.to;
        }
        let f = (t_ns.saturating_sub(self.start_ns)) as f64 / self.dur_ns as f64;
        self.from + (self.to - self.from) * f.clamp(0.0, 1.0)
    }

    /// Operations the open model schedules in this phase (the integral of the rate).
    fn ops(&self) -> f64 {
        if self.dur_ns == u64::MAX {
            return f64::INFINITY;
        }
        (self.from + self.to) / 2.0 * self.dur_ns as f64 / 1e9
    }
}

/// The whole plan: consecutive phases from t = 0. The last phase may be endless
/// (`dur_ns == u64::MAX`) when only an operation count bounds the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub phases: Vec<Phase>,
}

impl Plan {
    /// Builds the phases: an optional ramp-up from 0 to `base`, then either the stages (each
    /// moving from the previous level to its target) or a hold at `base` for `hold_ns`.
    pub fn new(base: f64, ramp_up_ns: u64, stages: &[(u64, f64)], hold_ns: u64) -> Plan {
        let mut phases = Vec::new();
        let mut t = 0u64;
        if ramp_up_ns > 0 {
            phases.push(Phase {
                name: "ramp_up".into(),
                start_ns: 0,
                dur_ns: ramp_up_ns,
                from: 0.0,
                to: base,
                counted: false,
            });
            t = ramp_up_ns;
        }
        if stages.is_empty() {
            phases.push(Phase {
                name: "steady".into(),
                start_ns: t,
                dur_ns: hold_ns,
                from: base,
                to: base,
                counted: true,
            });
        } else {
            let mut level = base;
            for (i, &(dur_ns, target)) in stages.iter().enumerate() {
                phases.push(Phase {
                    name: format!("stage {}", i + 1),
                    start_ns: t,
                    dur_ns,
                    from: level,
                    to: target,
                    counted: true,
                });
                t = t.saturating_add(dur_ns);
                level = target;
            }
        }
        Plan { phases }
    }

    /// End of the plan, or `u64::MAX` when it is endless.
    pub fn end_ns(&self) -> u64 {
        self.phases.last().map_or(0, Phase::end_ns)
    }

    /// When the counted part starts (after ramp-up).
    pub fn counted_start_ns(&self) -> u64 {
        self.phases
            .iter()
            .find(|p| p.counted)
            .map_or(0, |p| p.start_ns)
    }

    /// The highest level any phase reaches.
    pub fn peak(&self) -> f64 {
        self.phases
            .iter()
            .map(|p| p.from.max(p.to))
            .fold(0.0, f64::max)
    }

    /// Index of the phase running at `t_ns` (the last one past the end).
    pub fn phase_at(&self, t_ns: u64) -> usize {
        self.phases
            .iter()
            .position(|p| t_ns < p.end_ns())
            .unwrap_or(self.phases.len().saturating_sub(1))
    }

    #[cfg(test)]
    pub fn level_at(&self, t_ns: u64) -> f64 {
        self.phases
            .get(self.phase_at(t_ns))
            .map_or(0.0, |p| p.level_at(t_ns))
    }

    /// Closed model: the first time at or after `t_ns` when worker `worker` (0-based) is
    /// active, i.e. the level exceeds its index. `None` when it never is again.
    pub fn next_active_ns(&self, worker: usize, t_ns: u64) -> Option<u64> {
        let w = worker as f64;
        for p in &self.phases[self.phase_at(t_ns)..] {
            let start = p.start_ns.max(t_ns);
            if start >= p.end_ns() && p.dur_ns != 0 {
                continue;
            }
            if p.level_at(start) > w {
                return Some(start);
            }
            if p.to > w && p.dur_ns != u64::MAX && p.dur_ns > 0 {
                // The level crosses `w` inside this rising phase.
                let f = (w - p.from) / (p.to - p.from);
                let cross = p.start_ns + (f * p.dur_ns as f64).ceil() as u64 + 1;
                return Some(cross.max(start).min(p.end_ns()));
            }
        }
        None
    }

    /// Scales every phase so that the plan lasts at most `max_ns` (smoke mode). Returns the
    /// factor applied to the phases' times (1 when the plan already fits), which fault
    /// windows follow.
    pub fn squeeze(&mut self, max_ns: u64) -> f64 {
        let end = self.end_ns();
        if end <= max_ns {
            return 1.0;
        }
        if end == u64::MAX {
            // Only a final hold is endless: give it what is left of the budget.
            for p in &mut self.phases {
                if p.dur_ns == u64::MAX {
                    p.dur_ns = max_ns.saturating_sub(p.start_ns);
                }
            }
            return self.squeeze(max_ns);
        }
        let f = max_ns as f64 / end as f64;
        let mut t = 0u64;
        for p in &mut self.phases {
            p.start_ns = t;
            p.dur_ns = (p.dur_ns as f64 * f) as u64;
            t += p.dur_ns;
        }
        f
    }

    /// Open model: a cursor over the scheduled start times of operations 0, 1, 2, ...
    pub fn timetable(&self) -> Timetable<'_> {
        Timetable {
            plan: self,
            phase: 0,
            ops_before: 0.0,
            next_op: 0,
        }
    }
}

/// Scheduled start times of the open model, in order. Operation `k` starts when the integral
/// of the rate since t = 0 reaches `k`, so rate changes move the timetable smoothly.
pub(crate) struct Timetable<'a> {
    plan: &'a Plan,
    phase: usize,
    /// Operations scheduled in the phases before `phase`.
    ops_before: f64,
    next_op: u64,
}

impl Timetable<'_> {
    /// The next operation's scheduled offset from the start, or `None` past the plan's end.
    pub fn next_ns(&mut self) -> Option<u64> {
        let k = self.next_op as f64;
        loop {
            let p = self.plan.phases.get(self.phase)?;
            let in_phase = p.ops();
            if k < self.ops_before + in_phase {
                let m = k - self.ops_before;
                let secs = solve_offset(p, m)?;
                self.next_op += 1;
                let t = p.start_ns as f64 + secs * 1e9;
                return Some((t as u64).min(p.end_ns()));
            }
            self.ops_before += in_phase;
            self.phase += 1;
        }
    }
}

/// Seconds into phase `p` at which `m` operations have been scheduled in it: the root of
/// `from·t + a·t²/2 = m` with `a` the rate's slope.
fn solve_offset(p: &Phase, m: f64) -> Option<f64> {
    if p.dur_ns == u64::MAX {
        return (p.to > 0.0).then(|| m / p.to);
    }
    let d = p.dur_ns as f64 / 1e9;
    let a = (p.to - p.from) / d;
    if a.abs() < 1e-12 {
        return (p.from > 0.0).then(|| m / p.from);
    }
    let disc = p.from * p.from + 2.0 * a * m;
    Some(((-p.from + disc.max(0.0).sqrt()) / a).clamp(0.0, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn steady_plan_has_one_counted_phase() {
        let p = Plan::new(8.0, 0, &[], 2 * S);
        assert_eq!(p.phases.len(), 1);
        assert_eq!(p.end_ns(), 2 * S);
        assert_eq!(p.level_at(S), 8.0);
        assert_eq!(p.counted_start_ns(), 0);
    }

    #[test]
    fn ramp_up_rises_linearly_and_is_not_counted() {
        let p = Plan::new(10.0, S, &[], S);
        assert_eq!(p.phases[0].name, "ramp_up");
        assert!(!p.phases[0].counted);
        assert!((p.level_at(S / 2) - 5.0).abs() < 1e-9);
        assert_eq!(p.counted_start_ns(), S);
        // Worker 4 becomes active once the level passes 4, i.e. just after 0.4 s.
        let t = p.next_active_ns(4, 0).unwrap();
        assert!((400_000_000..=400_000_100).contains(&t), "{t}");
        assert_eq!(p.next_active_ns(12, 0), None);
    }

    #[test]
    fn stages_chain_from_the_previous_target() {
        let p = Plan::new(1.0, 0, &[(S, 100.0), (S, 100.0), (0, 300.0), (S, 10.0)], 0);
        assert_eq!(p.phases.len(), 4);
        assert_eq!(p.phases[0].from, 1.0);
        assert_eq!(p.phases[1].from, 100.0);
        assert_eq!(p.phases[3].from, 300.0);
        assert_eq!(p.peak(), 300.0);
        assert_eq!(p.end_ns(), 3 * S);
        assert_eq!(p.phase_at(S + 1), 1);
        assert!((p.level_at(2 * S + S / 2) - 155.0).abs() < 1e-6);
        // A worker with no place in any phase after the spike never runs again.
        assert_eq!(p.next_active_ns(200, 2 * S + S / 2), None);
    }

    #[test]
    fn timetable_of_a_constant_rate_is_evenly_spaced() {
        let p = Plan::new(1000.0, 0, &[], S);
        let times: Vec<u64> = {
            let mut t = p.timetable();
            std::iter::from_fn(|| t.next_ns()).collect()
        };
        assert_eq!(times.len(), 1000);
        assert_eq!(times[0], 0);
        assert!((times[1] as i64 - 1_000_000).abs() <= 1);
        assert!((times[999] as i64 - 999_000_000).abs() <= 1);
    }

    #[test]
    fn timetable_of_a_ramp_schedules_the_integral() {
        // 0 -> 200/s over 1 s schedules 100 operations, denser at the end.
        let p = Plan::new(200.0, S, &[], 0);
        let mut t = p.timetable();
        let times: Vec<u64> = std::iter::from_fn(|| t.next_ns()).collect();
        assert!((99..=101).contains(&times.len()), "{}", times.len());
        let first_half = times.iter().filter(|&&x| x < S / 2).count();
        // A quarter of the area under a linear ramp lies in its first half.
        assert!((20..=30).contains(&first_half), "{first_half}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn squeeze_scales_phases_and_bounds_endless_plans() {
        let mut p = Plan::new(5.0, S, &[(S, 10.0), (2 * S, 1.0)], 0);
        p.squeeze(S / 5);
        assert!(p.end_ns() <= S / 5);
        assert_eq!(p.phases[1].start_ns, p.phases[0].dur_ns);
        let mut endless = Plan::new(5.0, 0, &[], u64::MAX);
        endless.squeeze(S / 5);
        assert_eq!(endless.end_ns(), S / 5);
    }
}
