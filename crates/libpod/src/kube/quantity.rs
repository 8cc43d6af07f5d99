//! Kubernetes quantities (`64Mi`, `500m`, `1.5`, `2G`) for memory and CPU.

use crate::error::{Error, Result};

/// Bytes as a quantity: the largest binary unit that divides them.
pub(crate) fn memory(bytes: u64) -> String {
    for (unit, shift) in [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// CPUs as a quantity: whole CPUs, else millicores.
pub(crate) fn cpu(cpus: f64) -> String {
    let milli = (cpus * 1000.0).round() as u64;
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// A quantity as a number of base units (bytes, CPUs).
pub(crate) fn parse(text: &str) -> Result<f64> {
    let bad = || Error::InvalidArgument(format!("invalid Kubernetes quantity {text:?}"));
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad())?;
            10f64.powi(exp)
        }
        _ => return Err(bad()),
    };
    let v = value * mult;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(memory(64 << 20), "64Mi");
        assert_eq!(memory(1 << 30), "1Gi");
        assert_eq!(memory(1000), "1000");
        assert_eq!(cpu(0.5), "500m");
        assert_eq!(cpu(2.0), "2");
        assert_eq!(parse("64Mi").unwrap(), (64u64 << 20) as f64);
        assert_eq!(parse("500m").unwrap(), 0.5);
        assert_eq!(parse("1.5").unwrap(), 1.5);
        assert_eq!(parse("2G").unwrap(), 2e9);
        assert_eq!(parse("1e3").unwrap(), 1000.0);
        assert!(parse("lots").is_err());
        assert!(parse("-1").is_err());
    }
}
