"""`centra-sandbox` command: serve a generated sandbox until SIGINT or SIGTERM."""

import argparse
import logging
import signal
import sys
import threading
from datetime import date

from centra_sandbox.config import PLANS, RETRY_AFTER_FORMATS, SandboxConfig
from centra_sandbox.errors import SandboxConfigError
from centra_sandbox.sandbox import start_sandbox
from centra_sandbox.server.faults import FAULT_RATES, FaultRates
from centra_sandbox.webhooks.settings import MAX_RETRIES, WEBHOOK_MODES, WebhookSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="centra-sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=8090, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--window-start", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--window-days", type=int, default=14)
    parser.add_argument("--plan", choices=sorted(PLANS), default="growth")
    parser.add_argument("--retry-after-format", choices=RETRY_AFTER_FORMATS, default="seconds")
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--database", default=None, help="SQLite file instead of memory")
    parser.add_argument("--integration-name", default="centra-pipelines")
    parser.add_argument("--webhook-url", default=None, help="POST change notifications here")
    parser.add_argument("--webhook-secret", default=None, help="sign calls (X-Centra-Signature)")
    parser.add_argument("--webhook-mode", choices=WEBHOOK_MODES, default="integration")
    parser.add_argument("--webhook-retries", type=int, choices=range(MAX_RETRIES + 1), default=0)
    _add_fault_arguments(parser)
    return parser.parse_args(argv)


def _add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    faults = parser.add_argument_group(
        "random faults", "probability per request of each fault (0-1, summing to at most 1)"
    )
    for name in FAULT_RATES:
        faults.add_argument(f"--{name}-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--fault-seed", type=int, default=0, help="same seed, same faults")
    faults.add_argument("--storm-length", type=int, default=5, help="429s in a row per storm")
    faults.add_argument("--slow-seconds", type=float, default=1.0, help="delay of a slow answer")
    faults.add_argument(
        "--fault-retry-after", type=float, default=1.0, help="Retry-After of injected 429s (s)"
    )


def fault_rates(args: argparse.Namespace) -> FaultRates | None:
    """The random faults asked for, or None when every rate is 0; invalid values raise."""
    rates = FaultRates(
        seed=args.fault_seed,
        storm_length=args.storm_length,
        slow_seconds=args.slow_seconds,
        retry_after_seconds=args.fault_retry_after,
        **{name: getattr(args, f"{name}_rate") for name in FAULT_RATES},
    )
    return rates if rates.any() else None


def webhook_settings(args: argparse.Namespace) -> WebhookSettings | None:
    """The plugin's settings, or None without --webhook-url; other webhook flags need it."""
    if args.webhook_url is None:
        given = args.webhook_secret is not None or args.webhook_retries
        if given or args.webhook_mode != "integration":
            raise SandboxConfigError("--webhook-secret/-mode/-retries need --webhook-url.")
        return None
    return WebhookSettings(
        url=args.webhook_url,
        secret=args.webhook_secret,
        mode=args.webhook_mode,
        retries=args.webhook_retries,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = SandboxConfig(
            seed=args.seed,
            orders=args.orders,
            window_start=args.window_start,
            window_days=args.window_days,
            plan=args.plan,
            retry_after_format=args.retry_after_format,
            token=args.token,
            host=args.host,
            port=args.port,
            database_path=args.database,
            integration_name=args.integration_name,
            webhook=webhook_settings(args),
            faults=fault_rates(args),
        )
    except SandboxConfigError as error:
        print(f"centra-sandbox: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with start_sandbox(config) as sandbox:
        # The command's whole purpose is to tell the operator where to connect.
        print(f"Centra sandbox: {sandbox.url}", flush=True)
        print(f"Token: {sandbox.token}", flush=True)
        if config.faults is not None:
            print(f"Injecting faults: {config.faults}", flush=True)
        stop.wait()
    return 0


def _port(text: str) -> int:
    """A TCP port number, refused by argparse with a usage message when out of range."""
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {port}")
    return port


if __name__ == "__main__":
    sys.exit(main())
