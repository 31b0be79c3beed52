//! Memory and speed of the per-principal activity summary on a stream of synthetic events.
//!
//! ```sh
//! cargo run --release --example principal_summary_memory -- EVENTS PRINCIPALS [worst]
//! ```
//!
//! Feeds EVENTS events from PRINCIPALS distinct principals to one `PrincipalSummary` with the
//! default limits. Without `worst`, values repeat as in real trails (a few accounts, regions,
//! addresses and user agents per principal, 30 calls); with `worst`, every value is new and over
//! 128 bytes long (so cut to 128, distinct in its first bytes), and every list of every kept principal fills up: the bound in
//! docs/enrichment.md. Prints events per second and the peak resident set (VmHWM).

use serde_json::json;
use trailgate::summary::{Limits, PrincipalSummary};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let events: u64 = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("EVENTS"));
    let principals: u64 = args
        .next()
        .map_or(1_000, |n| n.parse().expect("PRINCIPALS"));
    let worst = args.next().as_deref() == Some("worst");
    let pad = "x".repeat(130);
    let before = peak_rss_mb();
    let mut summary = PrincipalSummary::new(Limits::default());
    let start = std::time::Instant::now();
    for i in 0..events {
        let p = i % principals;
        let v = if worst { i } else { i % 7 };
        let event = json!({
            "eventTime": format!("2024-05-{:02}T10:00:00Z", 1 + i % 28),
            "eventSource": "ec2.amazonaws.com",
            "eventName": if worst { format!("Call{i}{pad}") } else { format!("Call{}", i % 30) },
            "awsRegion": if worst { format!("region-{v}{pad}") } else { format!("us-east-{}", v % 2) },
            "sourceIPAddress": if worst { format!("{v}{pad}") } else { format!("81.2.69.{}", v) },
            "userAgent": if worst { format!("agent-{v}{pad}") } else { "aws-cli/2.15.30".to_string() },
            "recipientAccountId": if worst { format!("{v}{pad}") } else { "111122223333".to_string() },
            "userIdentity": {
                "arn": format!("arn:aws:iam::111122223333:user/u{p}"),
                // Temporary and long-term keys in turn, so that both lists fill up.
                "accessKeyId": if worst { format!("{}{v}{pad}", if i % 2 == 0 { "ASIA" } else { "AKIA" }) } else { format!("AKIA{}", p) },
            },
        });
        summary.add_event(&event);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{events} events, {principals} principals{}: {:.0} events/s (JSON building included), peak RSS {:.0} MB (before: {:.0} MB), {} principals kept, {} events in the overflow row",
        if worst { ", worst case" } else { "" },
        events as f64 / seconds,
        peak_rss_mb(),
        before,
        summary.principals().len(),
        summary.overflow.events,
    );
}
