"""`make run`: start the server, print a real decision for the bundled sample, keep serving."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from clients.cli import render_table
from clients.client import Client, load_request
from service import logs
from service.server import create_server, log
from service.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--sample", default="samples/sample_day.json")
    parser.add_argument("--rules", default=None, help="rules directory or 'builtin'")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    settings = Settings.from_env(
        address=args.address,
        rules=args.rules,
        workers=args.workers,
    )
    logs.configure(settings.log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    running = create_server(settings)
    host = settings.address.rsplit(":", 1)[0]
    with Client(f"{host}:{running.port}") as client:
        request = load_request(Path(args.sample))
        response = client.decide(request, timeout_s=60.0)
    render_table(response, sys.stdout, timezone=request.timezone)
    print(
        f"\nServing on {host}:{running.port}; try: lastmile decide {args.sample} "
        f"--address {host}:{running.port}   (Ctrl-C to stop)",
        flush=True,
    )
    stop.wait()
    log.info("draining", grace_s=settings.grace_s)
    running.stop(settings.grace_s, settings.drain_delay_s)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
