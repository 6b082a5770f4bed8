//! Human formatting of durations, sizes and rates, shared by the harness and the reporters.

/// `1.23 ns`, `45.6 µs`, `1.20 s`: three significant digits.
pub fn duration_ns(ns: f64) -> String {
    let (value, unit) = if ns.abs() < 1e3 {
        (ns, "ns")
    } else if ns.abs() < 1e6 {
        (ns / 1e3, "µs")
    } else if ns.abs() < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(value))
}

/// `812 B`, `1.50 KiB`, `12.0 MiB`.
pub fn bytes(b: f64) -> String {
    let a = b.abs();
    let (value, unit) = if a < 1024.0 {
        return format!("{} B", b.round() as i64);
    } else if a < 1024.0 * 1024.0 {
        (b / 1024.0, "KiB")
    } else if a < 1024.0 * 1024.0 * 1024.0 {
        (b / (1024.0 * 1024.0), "MiB")
    } else {
        (b / (1024.0 * 1024.0 * 1024.0), "GiB")
    };
    format!("{} {unit}", sig3(value))
}

/// `950/s`, `12.3K/s`, `4.50M/s`.
pub fn rate(per_sec: f64) -> String {
    let (value, unit) = if per_sec < 1e3 {
        (per_sec, "")
    } else if per_sec < 1e6 {
        (per_sec / 1e3, "K")
    } else if per_sec < 1e9 {
        (per_sec / 1e6, "M")
    } else {
        (per_sec / 1e9, "G")
    };
    format!("{}{unit}/s", sig3(value))
}

/// `512 B/s`, `141 MB/s`, `2.10 GB/s` (decimal units, as network and disk rates are quoted).
#[cfg(feature = "cli")] // the reports' only
pub fn byte_rate(per_sec: f64) -> String {
    let (value, unit) = if per_sec < 1e3 {
        return format!("{} B/s", per_sec.round() as u64);
    } else if per_sec < 1e6 {
        (per_sec / 1e3, "kB/s")
    } else if per_sec < 1e9 {
        (per_sec / 1e6, "MB/s")
    } else {
        (per_sec / 1e9, "GB/s")
    };
    format!("{} {unit}", sig3(value))
}

/// `+3.4%`, `-12%`.
#[cfg(feature = "cli")] // the reports' only
pub fn percent_change(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p.abs() < 10.0 {
        format!("{p:+.1}%")
    } else {
        format!("{p:+.0}%")
    }
}

/// Three significant digits without scientific notation.
pub fn sig3(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration_ns(0.42), "0.42 ns");
        assert_eq!(duration_ns(1234.0), "1.23 µs");
        assert_eq!(duration_ns(2.5e6), "2.50 ms");
        assert_eq!(duration_ns(3e9), "3.00 s");
        assert_eq!(bytes(8000.0), "7.81 KiB");
        assert_eq!(bytes(12.0), "12 B");
        assert_eq!(rate(4_500_000.0), "4.50M/s");
        assert_eq!(byte_rate(141e6), "141 MB/s");
        assert_eq!(byte_rate(512.0), "512 B/s");
        assert_eq!(percent_change(0.034), "+3.4%");
        assert_eq!(percent_change(-0.25), "-25%");
    }
}
