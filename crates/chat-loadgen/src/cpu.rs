//! CPU time over a window, from /proc: the service's, the load generator's and the whole
//! machine's (everything else running shows up as the difference).

use std::time::Instant;

use serde::Serialize;

/// Clock ticks per second of /proc's counters (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// utime + stime of a process, in ticks.
fn proc_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_proc_stat(&stat)
}

fn parse_proc_stat(stat: &str) -> Option<u64> {
    // After the command name in parentheses: state is field 0, utime 11, stime 12.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// (busy, total) ticks of all CPUs together.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine(stat.lines().next()?)
}

fn parse_machine(cpu_line: &str) -> Option<(u64, u64)> {
    let v: Vec<u64> = cpu_line
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

/// Counters at one instant.
pub struct Snapshot {
    at: Instant,
    server: Option<u64>,
    own: Option<u64>,
    machine: Option<(u64, u64)>,
}

/// Cores used over a window (1.0 = one core busy throughout).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Use {
    /// The service.
    pub server: Option<f64>,
    /// This load generator.
    pub loadgen: Option<f64>,
    /// Every process on the machine.
    pub machine: Option<f64>,
}

impl Snapshot {
    /// Reads the counters now.
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            server: server_pid.and_then(proc_ticks),
            own: proc_ticks(std::process::id()),
            machine: machine_ticks(),
        }
    }

    /// Cores used from `self` to `later`.
    pub fn until(&self, later: &Snapshot) -> Use {
        let secs = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let cores = |a: Option<u64>, b: Option<u64>| {
            Some(b?.saturating_sub(a?) as f64 / TICKS_PER_SEC / secs)
        };
        let machine = match (self.machine, later.machine) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                // Share of all CPUs busy, times the CPUs: busy cores.
                let cpus = std::thread::available_parallelism().map_or(1, usize::from) as f64;
                Some((b1 - b0) as f64 / (t1 - t0) as f64 * cpus)
            }
            _ => None,
        };
        Use {
            server: cores(self.server, later.server),
            loadgen: cores(self.own, later.own),
            machine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "1234 (moji chat (x)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 0";
        assert_eq!(parse_proc_stat(stat), Some(300));
        assert_eq!(parse_proc_stat("garbage"), None);
        let cpu = "cpu  100 5 50 800 20 1 2 3 0 0";
        assert_eq!(parse_machine(cpu), Some((161, 981)));
        assert_eq!(parse_machine("cpu0 1 2 3"), None);
    }

    #[test]
    fn own_process_is_measured() {
        let a = Snapshot::take(None);
        let b = Snapshot::take(Some(std::process::id()));
        let u = a.until(&b);
        assert!(u.loadgen.is_some());
        assert_eq!(u.server, None);
    }
}
