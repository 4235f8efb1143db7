"""Prepares a Milvus 2.3.5 base folder from the `milvus` wheel without starting anything.

    python prepare.py DATA_DIR

Writes DATA_DIR/configs/milvus.yaml (the wheel's template with Milvus's default ports, storage
under DATA_DIR/data, logs under DATA_DIR/logs) and unpacks the binaries into DATA_DIR/bin (only
when they changed). scripts/milvus.sh then runs DATA_DIR/bin/milvus itself.

Why not the wheel's `milvus-server` launcher: it probes every port by binding it from Python
without SO_REUSEADDR, so a port left in TIME_WAIT by a previous run (our own health checks leave
them) looks taken and it silently moves the service to the next port (19530 -> 19532, 9091 ->
9092). Milvus itself binds with SO_REUSEADDR, so the fixed default ports are safe here.
"""

import sys

import milvus

EXTRA = {
    # Reads see every acknowledged write (Bounded consistency waits 0 ms: Strong in effect).
    "common.gracefulTime": 0,
    # A SIGTERM ends the server within about 5 s.
    "common.gracefulStopTimeout": 5,
    # With gracefulTime 0 a read waits for the next time tick (200 ms by default).
    "proxy.timeTickInterval": 50,
    # 2.3.5 stops its embedded etcd before the components revoke their sessions, so a restarted
    # server waits for the previous run's sessions to expire before its first create collection
    # (about the whole ttl, 30 s by default).
    "common.session.ttl": 10,
}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: prepare.py DATA_DIR")
    config = milvus.MilvusServerConfig(data_dir=sys.argv[1])
    config.resolve_storage()
    for key, value in EXTRA.items():
        config.set(key, value)
    unresolved = [k for k, (_, v) in config.configurable_items.items() if v is None]
    if unresolved:
        sys.exit(f"prepare.py: no value for {', '.join(unresolved)}")
    config.write_config()
    milvus._initialize_data_files(config.base_data_dir)
    print(config.base_data_dir)


if __name__ == "__main__":
    main()
