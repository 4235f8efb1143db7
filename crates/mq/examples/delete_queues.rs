//! Deletes the queues named on standard input, one per line, over one AMQP connection:
//! `rabbitmqctl list_queues -q --no-table-headers name | grep '^t' | cargo run -p moji-mq --example delete_queues`
//! (scripts/test.sh uses it to clear what crashed tests left behind). `AMQP_URL` picks the broker.

use std::io::BufRead;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let names: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    // A throw-away topology name space: connecting declares nothing we care about, and the
    // declared exchanges/queues of this prefix are removed again below.
    let topology = moji_mq::Topology::new("cleanup.");
    let broker = moji_mq::Broker::connect(&url, "moji-cleanup", topology, 5).await?;
    let deleted = broker.delete_queues(&names).await?;
    broker.delete_topology().await?;
    println!("deleted {deleted} queue(s)");
    Ok(())
}
